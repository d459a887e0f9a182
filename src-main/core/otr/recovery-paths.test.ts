// Recovery without rituals on the paths added for issue 13 (otr/recovery.ts keyChanged,
// contactLeft/resumeOffline): a changed key of the contact, and the contact going offline while
// messages to them are unconfirmed. Each message arrives exactly once, marked re-sent, never in
// clear. Real libraries and databases (test-support/otr-pair.ts); the "network" is the test's.
import { describe, expect, it } from 'vitest';
import { nativeDh3072Engine, systemRandom } from '../../../src-shared/node-crypto/dh-engines';
import { generatePrekeyMessages } from '../../../src-shared/otr/v4/identity';
import type { PrekeyEnsemble } from '../../../src-shared/otr/v4/prekey-message';
import type { OtrAccountIdentity } from './identity';
import { A, B, deliver, goPrivate, ids, openDb, pump, side, useOtrFixtures, type Side } from './test-support/otr-pair';

useOtrFixtures();

/** a device of otr-pair's with the account's history that recovery reads (otr/recovery.ts outgoing) */
interface Dev extends Side {
  /** what the account's history says: written (text, when), not confirmed by a receipt */
  unconfirmed: Map<string, { body: string; timestamp: number }>;
  resent: string[];
  sendsReceipts: boolean;
  /** how many times recovery read the history */
  reads: number;
}

function dev(jid: string, identity: OtrAccountIdentity, resource = 'dev'): Dev {
  const history = { unconfirmed: new Map<string, { body: string; timestamp: number }>(), resent: [] as string[], sendsReceipts: true, reads: 0 };
  const d: Dev = Object.assign(
    side(jid, identity, openDb(), 'opportunistic', {
      resource,
      outgoing: () => {
        d.reads++;
        return {
          unconfirmed: [...d.unconfirmed].map(([messageId, m]) => ({ messageId, ...m, ...(d.resent.includes(messageId) ? { resent: true } : {}) })),
          confirmsReceipts: d.sendsReceipts,
        };
      },
      onResent: (id) => d.resent.push(id),
    }),
    history,
  );
  return d;
}

function privatePair(): [Dev, Dev] {
  const a = dev(A, ids.A);
  const b = dev(B, ids.B, 'old-phone');
  goPrivate(a, b);
  expect(a.svc.status(B).state).toBe('private-unverified');
  return [a, b];
}
const T = 1_700_000_000_000;
/** alice writes; the message leaves and is lost on the way (the device went away with it unread) */
function writeAndLose(a: Dev, text: string): string {
  const id = crypto.randomUUID();
  expect(a.svc.sendPrivate(B, id, text)).toBe('sent');
  a.out.length = 0;
  a.unconfirmed.set(id, { body: text, timestamp: T });
  return id;
}
const neverInClear = (d: Dev) => expect(d.wireLog.every((w) => w.body.startsWith('?OTR') && !w.inClear)).toBe(true);

/** what bob's prekey server would hand out for this device: its profiles and one fresh prekey message */
function ensembleOf(id: OtrAccountIdentity): PrekeyEnsemble {
  const [prekeyMessage] = generatePrekeyMessages(id.v4, systemRandom, nativeDh3072Engine(), 1);
  return { clientProfile: id.v4.clientProfiles[0]!, prekeyProfile: id.v4.sharedPrekeys[0]!.profile, prekeyMessage: prekeyMessage! };
}

describe('recovery: the contact comes back with another key', () => {
  it('says so inline and re-sends what the old device never confirmed in the new session, once', () => {
    const [a] = privatePair();
    const id = writeAndLose(a, 'did the old phone get this?');
    // bob reinstalled: another key, another instance tag, and he starts a private conversation
    const b2 = dev(B, ids.B2, 'new-phone');
    b2.svc.start(A);
    pump(a, b2);
    expect(a.notices.filter((n) => n.kind === 'fingerprint-changed')).toHaveLength(1);
    expect(a.resent).toEqual([id]);
    expect(b2.received).toEqual([{ text: 'did the old phone get this?', encrypted: true }]);
    expect(a.svc.status(B)).toMatchObject({ state: 'private-unverified', queued: 0, theirInstanceTag: ids.B2.instanceTag });
    // a refresh of the new session later: not a second time
    b2.svc.start(A);
    pump(a, b2);
    expect(a.resent).toEqual([id]);
    expect(b2.received).toHaveLength(1);
    neverInClear(a);
  });

  it('re-sends nothing when the contact sends no receipts, or when the key stays the same', () => {
    const [a] = privatePair();
    a.sendsReceipts = false;
    writeAndLose(a, 'no receipts from bob');
    const b2 = dev(B, ids.B2, 'new-phone');
    b2.svc.start(A);
    pump(a, b2);
    expect(a.notices.filter((n) => n.kind === 'fingerprint-changed')).toHaveLength(1);
    expect(a.resent).toEqual([]);
    expect(b2.received).toEqual([]);

    // same key, a new session (a refresh): no key change, nothing re-sent by this path
    const [c, d] = privatePair();
    writeAndLose(c, 'still the same key');
    d.svc.start(A);
    pump(c, d);
    expect(c.notices.some((n) => n.kind === 'fingerprint-changed')).toBe(false);
    expect(c.resent).toEqual([]);
  });
});

describe('recovery: the contact went offline with messages unconfirmed', () => {
  it('starts the offline session from their prekeys by itself and re-sends them in it, once', () => {
    const [a, b] = privatePair();
    const id = writeAndLose(a, 'sent just before your phone went off');
    expect(a.svc.contactLeft(B)).toBe(true);
    a.svc.offlineDevices(B, { ok: true, byInstanceTag: new Map([[ids.B.instanceTag, ensembleOf(ids.B)]]) });
    expect(a.svc.resumeOffline(B)).toBe(true);
    expect(a.resent).toEqual([id]);
    expect(a.notices.some((n) => n.kind === 'offline-sent' && n.messages === 1 && n.devices === 1)).toBe(true);
    expect(a.svc.status(B)).toMatchObject({ state: 'private-unverified', queued: 0, offlineDevices: [ids.B.instanceTag] });
    // the Non-Interactive-Auth to the bare JID (offline-start.ts), everything to bob, privately
    expect(a.out[0]?.to).toBe(B);
    expect(a.out.every((w) => w.to.split('/')[0] === B)).toBe(true);
    neverInClear(a);

    // bob's device comes back and reads what waited on his server: the message once, encrypted
    deliver(a, b);
    expect(b.received).toEqual([{ text: 'sent just before your phone went off', encrypted: true }]);
    expect(b.notices.some((n) => n.kind === 'offline-start')).toBe(true);
    // his presence comes back too: nothing goes a second time
    a.svc.contactAvailable(B, T + 1_000);
    expect(a.out).toEqual([]);
    expect(a.svc.contactLeft(B)).toBe(false);
    expect(a.resent).toEqual([id]);
  });

  it('does nothing without unconfirmed messages, without receipts, without published prekeys, or when the contact came back first', () => {
    const [a] = privatePair();
    expect(a.svc.contactLeft(B)).toBe(false);
    a.sendsReceipts = false;
    writeAndLose(a, 'bob sends no receipts');
    expect(a.svc.contactLeft(B)).toBe(false);
    a.sendsReceipts = true;
    expect(a.svc.contactLeft(B)).toBe(true);
    // nothing published: the lookup says 'none'; nothing is started, nothing is re-sent
    a.svc.offlineDevices(B, { ok: false, reason: 'none' });
    expect(a.svc.resumeOffline(B)).toBe(false);
    expect(a.resent).toEqual([]);
    // he came back before the lookup answered: the running session got the message (contactReturned)
    a.svc.contactAvailable(B, T + 1_000);
    expect(a.resent).toHaveLength(1);
    a.out.length = 0;
    a.svc.offlineDevices(B, { ok: true, byInstanceTag: new Map([[ids.B.instanceTag, ensembleOf(ids.B)]]) });
    expect(a.svc.resumeOffline(B)).toBe(false);
    expect(a.out).toEqual([]);
  });

  it('reads the history once when the contact returns (not once per question)', () => {
    const [a] = privatePair();
    writeAndLose(a, 'once');
    a.reads = 0;
    a.svc.contactAvailable(B, T + 1_000);
    expect(a.reads).toBe(1);
  });
});
