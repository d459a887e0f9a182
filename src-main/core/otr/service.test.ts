// Two OTR services (two accounts) wired to each other in-process, without XMPP: what each one
// hands to its transport is delivered to the other's receive(), from a full JID, in order.
// Real libraries, real SQLCipher databases in temp dirs, real (native) DH engines.
import { Database } from '@signalapp/sqlcipher';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OtrEventPayloads, OtrNotice, OtrPolicyName, OtrStatus } from '../../../src-shared/ipc/otr-contract';
import { generateIdentity, type OtrAccountIdentity } from './identity';
import { systemRandom } from '../../../src-shared/node-crypto/dh-engines';
import { OtrStore } from './otr-store';
import { MessengerError } from '../../../src-shared/ipc/result';
import { generatePrekeyMessages } from '../../../src-shared/otr/v4/identity';
import type { PrekeyEnsemble } from '../../../src-shared/otr/v4/prekey-message';
import { nativeDh3072Engine } from '../../../src-shared/node-crypto/dh-engines';
import { OFFLINE_ENSEMBLES_MAX_AGE_MS, OtrService, RECENT_NOTICES_PER_PEER, type OtrWire, type ReceivedMessage } from './service';

const dirs: string[] = [];
const dbs: Database[] = [];
let idA: OtrAccountIdentity;
let idB: OtrAccountIdentity;
let idB2: OtrAccountIdentity;

beforeAll(async () => {
  [idA, idB, idB2] = await Promise.all([generateIdentity(systemRandom, Date.now()), generateIdentity(systemRandom, Date.now()), generateIdentity(systemRandom, Date.now())]);
}, 120_000);

afterAll(() => {
  for (const db of dbs) db.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function openDb(): Database {
  const dir = mkdtempSync(join(tmpdir(), 'otr-service-'));
  dirs.push(dir);
  const db = new Database(join(dir, 'test.db'));
  db.pragma(`key = "x'${randomBytes(32).toString('hex')}'"`);
  dbs.push(db);
  return db;
}

interface Side {
  jid: string;
  full: string;
  svc: OtrService;
  store: OtrStore;
  out: OtrWire[];
  /** every wire body ever sent, for "never in clear" checks */
  wireLog: OtrWire[];
  received: ReceivedMessage[];
  notices: OtrNotice[];
  statuses: OtrStatus[];
  sent: Array<{ id: string; encrypted: boolean }>;
  discarded: string[];
}

interface SideOptions {
  resource?: string;
  clock?: () => number;
  onPrekeyConsumed?: () => void;
}

function side(jid: string, identity: OtrAccountIdentity, db: Database, policy: OtrPolicyName = 'opportunistic', opts: SideOptions = {}): Side {
  const store = new OtrStore(db);
  const s = { jid, full: `${jid}/${opts.resource ?? `dev-${jid[0]}`}`, store, out: [], wireLog: [], received: [], notices: [], statuses: [], sent: [], discarded: [] } as unknown as Side;
  s.svc = new OtrService({
    accountId: `acct-${jid}`,
    ownJid: jid,
    identity,
    store,
    defaultPolicy: policy,
    transport: (w) => {
      s.out.push(w);
      s.wireLog.push(w);
    },
    emit: <K extends keyof OtrEventPayloads>(name: K, payload: OtrEventPayloads[K]) => {
      if (name === 'otr.notice') s.notices.push(payload as OtrNotice);
      else s.statuses.push(payload as OtrStatus);
    },
    onQueuedSent: (id, encrypted) => s.sent.push({ id, encrypted }),
    onQueuedDiscarded: (id) => s.discarded.push(id),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.onPrekeyConsumed ? { onPrekeyConsumed: opts.onPrekeyConsumed } : {}),
  });
  return s;
}

/** what the account session does with a message the user wrote */
function write(s: Side, peer: string, text: string): 'sent' | 'queued' | 'plain' {
  const id = randomUUID();
  if (s.svc.wantsPrivate(peer)) return s.svc.sendPrivate(peer, id, text);
  const w = { to: peer, id, body: s.svc.plaintextWire(peer, text) };
  s.out.push(w);
  s.wireLog.push(w);
  return 'plain';
}

/** delivers everything in flight both ways until quiet */
function pump(a: Side, b: Side): void {
  for (let i = 0; i < 500; i++) {
    const fromA = a.out.shift();
    if (fromA) {
      b.received.push(...b.svc.receive(a.full, fromA.body));
      continue;
    }
    const fromB = b.out.shift();
    if (fromB) {
      a.received.push(...a.svc.receive(b.full, fromB.body));
      continue;
    }
    return;
  }
  throw new Error('did not settle');
}

const A = 'alice@example.test';
const B = 'bob@example.test';

function pair(policyA: OtrPolicyName = 'opportunistic', policyB: OtrPolicyName = 'opportunistic'): [Side, Side] {
  return [side(A, idA, openDb(), policyA), side(B, idB, openDb(), policyB)];
}

function privatePair(): [Side, Side] {
  const [a, b] = pair();
  a.svc.start(B);
  pump(a, b);
  return [a, b];
}

describe('OTR service: sessions', () => {
  it('starts a private conversation (v4) and exchanges encrypted messages addressed to the device', () => {
    const [a, b] = pair();
    a.svc.start(B);
    expect(a.out[0]?.to).toBe(B); // the query goes to the bare JID: every device may answer
    expect(a.out[0]?.body).toMatch(/^\?OTRv4/);
    pump(a, b);
    expect(a.svc.status(B)).toMatchObject({ state: 'private-unverified', version: 4, resource: 'dev-b' });
    expect(b.svc.status(A)).toMatchObject({ state: 'private-unverified', version: 4 });
    expect(a.svc.status(B).theirFingerprint).toBe(b.svc.status(A).ourFingerprints.v4);

    expect(write(a, B, 'hello bob')).toBe('sent');
    expect(a.out[0]?.to).toBe(b.full); // per device: the full JID of the session
    expect(a.out[0]?.body).toMatch(/^\?OTR:/);
    expect(a.out[0]?.body).not.toContain('hello');
    pump(a, b);
    expect(write(b, A, 'hi alice')).toBe('sent');
    pump(a, b);
    expect(b.received).toEqual([{ text: 'hello bob', encrypted: true }]);
    expect(a.received).toEqual([{ text: 'hi alice', encrypted: true }]);
  });

  it('ending from one side moves the other to finished; what it writes then waits and goes out in the next session', () => {
    const [a, b] = privatePair();
    expect(a.svc.end(B).state).toBe('not-private');
    pump(a, b);
    expect(b.svc.status(A).state).toBe('finished');
    expect(b.notices.map((n) => n.kind)).toContain('ended-by-peer');

    const before = b.wireLog.length;
    expect(write(b, A, 'secret after end')).toBe('queued');
    expect(b.svc.status(A).queued).toBe(1);
    expect(b.notices.at(-1)?.kind).toBe('queued');
    // nothing went out in clear
    expect(b.wireLog.slice(before).some((w) => w.body.includes('secret after end'))).toBe(false);
    pump(a, b);
    expect(a.received).toEqual([]);

    // a new private conversation: the waiting message is sent inside it
    a.svc.start(B);
    pump(a, b);
    expect(b.svc.status(A).state).toBe('private-unverified');
    expect(a.received).toEqual([{ text: 'secret after end', encrypted: true }]);
    expect(b.sent).toEqual([expect.objectContaining({ encrypted: true })]);
    expect(b.svc.status(A).queued).toBe(0);
  });

  it('refresh (start while private) makes a new session and messages keep flowing', () => {
    const [a, b] = privatePair();
    expect(write(a, B, 'before refresh')).toBe('sent');
    pump(a, b);
    a.svc.start(B);
    pump(a, b);
    expect(a.svc.status(B).state).toBe('private-unverified');
    expect(b.svc.status(A).state).toBe('private-unverified');
    expect(write(b, A, 'after refresh')).toBe('sent');
    pump(a, b);
    expect(a.received.at(-1)).toEqual({ text: 'after refresh', encrypted: true });
    expect(a.notices.concat(b.notices).map((n) => n.kind)).not.toContain('unreadable');
  });

  it('after our end, messages go in clear again (the user left the private conversation)', () => {
    const [a, b] = privatePair();
    a.svc.end(B);
    pump(a, b);
    expect(write(a, B, 'plain again')).toBe('plain');
    pump(a, b);
    expect(b.received.at(-1)).toEqual({ text: 'plain again', encrypted: false });
  });

  it('a restarted contact (sessions lost, same keys) gets a new session and messages flow again', () => {
    const [a, b] = privatePair();
    // bob restarts: new service, same database and identity
    const b2 = side(B, idB, openDb());
    b2.svc.start(A);
    pump(a, b2);
    expect(a.svc.status(B).state).toBe('private-unverified');
    expect(write(a, B, 'after restart')).toBe('sent');
    pump(a, b2);
    expect(b2.received).toEqual([{ text: 'after restart', encrypted: true }]);
    void b;
  });

  it('an unreadable message (session lost on our side) is explained and a new session is requested', () => {
    const [a, b] = privatePair();
    const b2 = side(B, idB, openDb()); // bob restarted and does not know the session
    expect(write(a, B, 'lost one')).toBe('sent');
    pump(a, b2);
    expect(b2.notices.map((n) => n.kind)).toContain('unreadable');
    expect(b2.received.some((m) => m.text.includes('lost one'))).toBe(false);
    expect(a.notices.map((n) => n.kind)).toContain('peer-error');
    // the query bob sent brought a new session up
    expect(b2.svc.status(A).state).toBe('private-unverified');
    expect(write(a, B, 'again')).toBe('sent');
    pump(a, b2);
    expect(b2.received.at(-1)).toEqual({ text: 'again', encrypted: true });
    void b;
  });
});

describe('OTR service: SMP and trust', () => {
  it('question and answer: the asker verifies the contact; both are told', () => {
    const [a, b] = privatePair();
    a.svc.startSmp(B, 'blue whale', 'Where did we meet?');
    expect(a.svc.status(B).smp).toMatchObject({ phase: 'waiting', initiatedByUs: true });
    pump(a, b);
    expect(b.svc.status(A).smp).toMatchObject({ phase: 'asked', question: 'Where did we meet?', initiatedByUs: false });
    b.svc.answerSmp(A, 'blue whale');
    pump(a, b);
    expect(a.svc.status(B)).toMatchObject({ state: 'private-verified', smp: { phase: 'succeeded' } });
    expect(b.svc.status(A).smp.phase).toBe('succeeded');
    expect(b.svc.status(A).state).toBe('private-unverified'); // bob has not verified alice yet
    expect(a.notices.map((n) => n.kind)).toContain('smp-succeeded');
    expect(b.notices.map((n) => n.kind)).toContain('smp-succeeded');

    // and the other way round
    b.svc.startSmp(A, 'pizza', 'What did we eat?');
    pump(a, b);
    a.svc.answerSmp(B, 'pizza');
    pump(a, b);
    expect(b.svc.status(A).state).toBe('private-verified');
    // trust is per fingerprint and stored
    expect(a.svc.fingerprints(B).theirs).toEqual([expect.objectContaining({ fingerprint: a.svc.status(B).theirFingerprint, version: 4, verified: true })]);
  });

  it('a wrong answer fails on both sides and verifies nobody', () => {
    const [a, b] = privatePair();
    a.svc.startSmp(B, 'blue whale', 'Where did we meet?');
    pump(a, b);
    b.svc.answerSmp(A, 'red whale');
    pump(a, b);
    expect(a.svc.status(B)).toMatchObject({ state: 'private-unverified', smp: { phase: 'failed' } });
    expect(b.svc.status(A)).toMatchObject({ state: 'private-unverified', smp: { phase: 'failed' } });
    expect(a.notices.map((n) => n.kind)).toContain('smp-failed');
    expect(b.notices.map((n) => n.kind)).toContain('smp-failed');
  });

  it('a shared secret verifies both sides', () => {
    const [a, b] = privatePair();
    a.svc.startSmp(B, 'correct horse');
    pump(a, b);
    expect(b.svc.status(A).smp).toMatchObject({ phase: 'asked' });
    expect(b.svc.status(A).smp.question).toBeUndefined();
    b.svc.answerSmp(A, 'correct horse');
    pump(a, b);
    expect(a.svc.status(B).state).toBe('private-verified');
    expect(b.svc.status(A).state).toBe('private-verified');
  });

  it('fingerprint comparison: trust set by hand, refused for a key never seen', () => {
    const [a, b] = privatePair();
    const fp = a.svc.status(B).theirFingerprint as string;
    expect(a.svc.setTrust(B, fp, true).state).toBe('private-verified');
    expect(a.svc.setTrust(B, fp, false).state).toBe('private-unverified');
    expect(() => a.svc.setTrust(B, 'ab'.repeat(56), true)).toThrow(/No key with that fingerprint/);
    expect(() => a.svc.answerSmp(B, 'x')).toThrow(/has not asked/);
    void b;
  });

  it('warns when a contact shows up with a new key', () => {
    const [a, b] = privatePair();
    expect(a.notices.some((n) => n.kind === 'fingerprint-changed')).toBe(false);
    const fp1 = a.svc.status(B).theirFingerprint as string;
    a.svc.setTrust(B, fp1, true);
    const bNew = side(B, idB2, openDb()); // bob with a new key (new install, or someone else)
    bNew.svc.start(A);
    pump(a, bNew);
    const warn = a.notices.find((n) => n.kind === 'fingerprint-changed');
    expect(warn?.fingerprint).toBe(bNew.svc.status(A).ourFingerprints.v4);
    // the new key is not trusted just because the old one was
    expect(a.svc.status(B).state).toBe('private-unverified');
    void b;
  });
});

describe('OTR service: policies and the queue', () => {
  it("'always': never in clear; the message waits, a query goes out and the message follows encrypted", () => {
    const [a, b] = pair('always', 'opportunistic');
    expect(write(a, B, 'only privately')).toBe('queued');
    expect(a.wireLog.every((w) => !w.body.includes('only privately'))).toBe(true);
    expect(a.out[0]?.body).toMatch(/^\?OTRv/);
    pump(a, b);
    expect(b.received).toEqual([{ text: 'only privately', encrypted: true }]);
    expect(a.svc.status(B).queued).toBe(0);
    expect(() => a.svc.resolveQueue(B, 'send-in-clear')).not.toThrow(); // nothing waits: no-op
  });

  it("'always' refuses to send waiting messages in clear; discard removes them", () => {
    const a = side(A, idA, openDb(), 'always');
    expect(write(a, B, 'waits')).toBe('queued');
    expect(() => a.svc.resolveQueue(B, 'send-in-clear')).toThrow(/never sent unencrypted/);
    a.svc.resolveQueue(B, 'discard');
    expect(a.discarded).toHaveLength(1);
    expect(a.svc.status(B).queued).toBe(0);
  });

  it('the queue survives a restart and goes out once a session is up', () => {
    const db = openDb();
    const a1 = side(A, idA, db, 'always');
    expect(write(a1, B, 'written before restart')).toBe('queued');
    const a2 = side(A, idA, db, 'always'); // restart: same database
    expect(a2.svc.status(B)).toMatchObject({ queued: 1, privateIntent: true });
    const b = side(B, idB, openDb());
    a2.svc.setOnline(true); // reconnect: asks for a session for the waiting messages
    pump(a2, b);
    expect(b.received).toEqual([{ text: 'written before restart', encrypted: true }]);
  });

  it('send-in-clear (opportunistic) ends the private conversation and sends the waiting messages', () => {
    const [a, b] = privatePair();
    b.svc.end(A);
    pump(a, b);
    expect(write(a, B, 'waiting one')).toBe('queued');
    a.out.length = 0; // the peer is gone
    const st = a.svc.resolveQueue(B, 'send-in-clear');
    expect(st).toMatchObject({ state: 'not-private', queued: 0, privateIntent: false });
    expect(a.sent).toEqual([expect.objectContaining({ encrypted: false })]);
    pump(a, b);
    expect(b.received.at(-1)).toEqual({ text: 'waiting one', encrypted: false });
  });

  it('opportunistic: plaintext carries the whitespace tag and the contact starts OTR from it', () => {
    const [a, b] = pair();
    expect(write(a, B, 'hello')).toBe('plain');
    expect(a.out[0]?.body.startsWith('hello ')).toBe(true);
    pump(a, b);
    expect(b.received).toEqual([{ text: 'hello', encrypted: false }]);
    expect(a.svc.status(B).state).toBe('private-unverified');
    expect(b.svc.status(A).state).toBe('private-unverified');
  });

  it('manual: no whitespace tag, no automatic start', () => {
    const [a, b] = pair('manual', 'manual');
    expect(write(a, B, 'hello')).toBe('plain');
    expect(a.out[0]?.body).toBe('hello');
    pump(a, b);
    expect(b.svc.status(A).state).toBe('not-private');
    // policy per contact overrides the account's
    a.svc.setPolicy(B, 'always');
    expect(a.svc.status(B)).toMatchObject({ policy: 'always', policyOverridden: true });
    expect(write(a, B, 'now private')).toBe('queued');
    a.svc.setPolicy(B, null);
    expect(a.svc.status(B)).toMatchObject({ policy: 'manual', policyOverridden: false });
  });

  it('garbage from the network changes nothing and throws nothing', () => {
    const [a, b] = privatePair();
    for (const junk of ['?OTR:AAQD', '?OTR:!!!!.', '?OTR|ffff|1|2,1,1,x,', '?OTRv', '?OTR Error:', '?OTR:' + 'A'.repeat(5000) + '.']) {
      expect(() => a.svc.receive(b.full, junk)).not.toThrow();
    }
    expect(a.svc.status(B).state).toBe('private-unverified');
    expect(write(a, B, 'still works')).toBe('sent');
    pump(a, b);
    expect(b.received.at(-1)).toEqual({ text: 'still works', encrypted: true });
  });
});

describe('OTR service: notices kept for a window that was not listening', () => {
  it('keeps the recent notices of every conversation with stable ids, oldest first, bounded', () => {
    const [a, b] = privatePair();
    // a new key for bob (a reinstall): the warning is pushed and kept
    const b2 = side(B, idB2, openDb());
    b2.svc.start(A);
    pump(a, b2);
    void b;
    const kept = a.svc.notices();
    const warning = kept.find((n) => n.kind === 'fingerprint-changed');
    expect(warning).toEqual(a.notices.find((n) => n.kind === 'fingerprint-changed'));
    expect(warning).toMatchObject({ accountId: `acct-${A}`, peer: B, id: expect.stringMatching(/^[0-9a-f-]{36}$/) as string });
    a.svc.accountNotice('prekey-server-changed', 'the key of your prekey server changed');
    expect(a.svc.notices().at(-1)).toMatchObject({ peer: A, kind: 'prekey-server-changed' });
    // bounded per conversation: the oldest go first
    for (let i = 0; i < RECENT_NOTICES_PER_PEER + 5; i++) a.svc.offlineDevices(B, { ok: false, reason: 'fingerprint-changed', server: 'prekeys.example.test', announced: 'AB'.repeat(56), text: `changed ${i}` });
    const forBob = a.svc.notices().filter((n) => n.peer === B);
    expect(forBob).toHaveLength(RECENT_NOTICES_PER_PEER);
    expect(new Set(a.svc.notices().map((n) => n.id)).size).toBe(a.svc.notices().length);
  });
});

describe('OTR service: several devices of one contact', () => {
  it('keeps the devices apart by instance tag and addresses each by its full JID', () => {
    const a = side(A, idA, openDb());
    const phone = side(B, idB, openDb());
    phone.full = `${B}/phone`;
    const laptop = side(B, idB2, openDb());
    laptop.full = `${B}/laptop`;
    const devices = [phone, laptop];
    /** XMPP routing: a bare JID reaches every device (as our server does for chat), a full JID one */
    const route = () => {
      for (let i = 0; i < 500; i++) {
        const w = a.out.shift();
        if (w) {
          for (const d of devices) if (w.to === B || w.to === d.full) d.received.push(...d.svc.receive(a.full, w.body));
          continue;
        }
        const d = devices.find((x) => x.out.length > 0);
        if (!d) return;
        const dw = d.out.shift() as OtrWire;
        a.received.push(...a.svc.receive(d.full, dw.body));
      }
      throw new Error('did not settle');
    };
    a.svc.start(B);
    route();
    expect(phone.svc.status(A).state).toBe('private-unverified');
    expect(laptop.svc.status(A).state).toBe('private-unverified');
    const fps = a.svc.fingerprints(B).theirs.map((f) => f.fingerprint).sort();
    expect(fps).toEqual([phone.svc.status(A).ourFingerprints.v4, laptop.svc.status(A).ourFingerprints.v4].sort());

    // the laptop writes: alice's replies go to the laptop only
    expect(write(laptop, A, 'from the laptop')).toBe('sent');
    route();
    expect(a.received.at(-1)).toEqual({ text: 'from the laptop', encrypted: true });
    expect(write(a, B, 'to the device that wrote last')).toBe('sent');
    const to = a.out[0]?.to;
    expect(to).toBe(laptop.full);
    route();
    const got = devices.filter((d) => d.received.some((m) => m.text === 'to the device that wrote last'));
    expect(got).toHaveLength(1);
    expect(got[0]?.full).toBe(to);
  });
});

describe('OTR service: starting with an offline contact (non-interactive DAKE)', () => {
  const dh = nativeDh3072Engine();

  /** what the contact's prekey server would hand out for this device: its profiles and one fresh prekey message */
  function ensembleOf(id: OtrAccountIdentity): PrekeyEnsemble {
    const [prekeyMessage] = generatePrekeyMessages(id.v4, systemRandom, dh, 1);
    return { clientProfile: id.v4.clientProfiles[0]!, prekeyProfile: id.v4.sharedPrekeys[0]!.profile, prekeyMessage: prekeyMessage! };
  }

  /** delivers what `from` sent to every device in `to` (as an archive would), in order */
  function deliverAll(from: Side, to: Side[]): void {
    for (const w of from.out.splice(0)) for (const d of to) d.received.push(...d.svc.receive(from.full, w.body));
  }

  it('sends what waits to the one chosen device, which reads it later; then the conversation goes on as usual', () => {
    const a = side(A, idA, openDb(), 'manual');
    let consumed = 0;
    const b = side(B, idB, openDb(), 'manual', { onPrekeyConsumed: () => consumed++ });
    a.svc.start(B);
    a.out.length = 0; // bob is offline: the query waits unanswered
    expect(write(a, B, 'written while bob is offline')).toBe('queued');

    const list = a.svc.offlineDevices(B, { ok: true, byInstanceTag: new Map([[idB.instanceTag, ensembleOf(idB)]]) });
    expect(list.devices).toEqual([
      { instanceTag: idB.instanceTag, fingerprint: b.svc.status(A).ourFingerprints.v4, known: false, verified: false, expiresAt: expect.any(Number) as number },
    ]);
    expect(list.devices[0]!.expiresAt).toBeGreaterThan(Date.now());

    const st = a.svc.sendOffline(B, [idB.instanceTag]);
    expect(st).toMatchObject({ state: 'private-unverified', version: 4, queued: 0, offlineDevices: [idB.instanceTag] });
    expect(a.sent).toEqual([expect.objectContaining({ encrypted: true })]);
    // one notice says where the waiting message went
    expect(a.notices.map((n) => n.kind)).toContain('offline-sent');
    expect(a.notices.map((n) => n.kind)).not.toContain('queue-sent');
    // to the bare JID (bob's resources are unknown), never in clear
    expect(a.out.every((w) => w.to === B && !w.body.includes('written while'))).toBe(true);
    // the ChatMessage id rides with the data message
    expect(a.out.at(-1)?.messageId).toBe(a.sent[0]?.id);

    // bob comes online and reads what waited for him
    deliverAll(a, [b]);
    expect(b.received).toEqual([{ text: 'written while bob is offline', encrypted: true }]);
    expect(b.svc.status(A)).toMatchObject({ state: 'private-unverified', version: 4 });
    expect(b.notices.map((n) => n.kind)).toContain('offline-start');
    expect(consumed).toBe(1);
    expect(idB.v4.prekeys.size).toBe(0);

    // his answer makes his device the current one; the offline fan-out ends
    expect(write(b, A, 'got it')).toBe('sent');
    pump(a, b);
    expect(a.received).toEqual([{ text: 'got it', encrypted: true }]);
    expect(a.svc.status(B).offlineDevices).toBeUndefined();
    expect(write(a, B, 'good')).toBe('sent');
    expect(a.out[0]?.to).toBe(b.full);
    pump(a, b);
    expect(b.received.at(-1)).toEqual({ text: 'good', encrypted: true });
  });

  it('"all devices": each device gets its own session and a copy of every message until the contact answers', () => {
    const a = side(A, idA, openDb(), 'manual');
    const b1 = side(B, idB, openDb(), 'manual', { resource: 'laptop' });
    const b2 = side(B, idB2, openDb(), 'manual', { resource: 'desktop' });
    a.svc.start(B);
    a.out.length = 0;
    write(a, B, 'first, while offline');
    const byInstanceTag = new Map([
      [idB.instanceTag, ensembleOf(idB)],
      [idB2.instanceTag, ensembleOf(idB2)],
    ]);
    expect(a.svc.offlineDevices(B, { ok: true, byInstanceTag }).devices.map((d) => d.instanceTag).sort()).toEqual([idB.instanceTag, idB2.instanceTag].sort());
    expect(a.svc.sendOffline(B, [idB.instanceTag, idB2.instanceTag]).offlineDevices?.sort()).toEqual([idB.instanceTag, idB2.instanceTag].sort());
    // one ChatMessage, marked sent once
    expect(a.sent).toHaveLength(1);
    expect(write(a, B, 'second, still offline')).toBe('sent');
    // both devices collect everything (an archive); each reads only what was encrypted for it
    deliverAll(a, [b1, b2]);
    for (const d of [b1, b2]) {
      expect(d.received).toEqual([
        { text: 'first, while offline', encrypted: true },
        { text: 'second, still offline', encrypted: true },
      ]);
      expect(d.notices.filter((n) => n.kind === 'unreadable')).toEqual([]);
    }
  });

  it('refuses a device that was not offered, a list fetched too long ago, and an ensemble used once already', () => {
    let now = Date.now();
    const a = side(A, idA, openDb(), 'manual', { clock: () => now });
    a.svc.start(B);
    a.out.length = 0;
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return e instanceof MessengerError ? e.code : 'other';
      }
      return undefined;
    };
    // nothing fetched yet
    expect(code(() => a.svc.sendOffline(B, [idB.instanceTag]))).toBe('invalid-argument');
    a.svc.offlineDevices(B, { ok: true, byInstanceTag: new Map([[idB.instanceTag, ensembleOf(idB)]]) });
    expect(code(() => a.svc.sendOffline(B, [idB2.instanceTag]))).toBe('invalid-argument');
    now += OFFLINE_ENSEMBLES_MAX_AGE_MS + 1;
    expect(code(() => a.svc.sendOffline(B, [idB.instanceTag]))).toBe('invalid-argument');
    a.svc.offlineDevices(B, { ok: true, byInstanceTag: new Map([[idB.instanceTag, ensembleOf(idB)]]) });
    expect(code(() => a.svc.sendOffline(B, [idB.instanceTag]))).toBeUndefined();
    // the same ensemble is never used for a second DAKE
    expect(code(() => a.svc.sendOffline(B, [idB.instanceTag]))).toBe('invalid-argument');
    // nothing refused went out
    expect(a.out.filter((w) => w.body.startsWith('?OTR:'))).toHaveLength(1);
  });

  it('says in plain words why there are no devices, and warns about a changed prekey server key', () => {
    const a = side(A, idA, openDb(), 'manual');
    const none = a.svc.offlineDevices(B, { ok: false, reason: 'none', text: 'nothing published' });
    expect(none).toEqual({ accountId: `acct-${A}`, peer: B, devices: [], unavailable: 'nothing published' });
    const changed = a.svc.offlineDevices(B, { ok: false, reason: 'fingerprint-changed', server: 'prekeys.example.test', announced: 'AB'.repeat(56), text: 'the key changed' });
    expect(changed.unavailable).toBe('the key changed');
    // the notice names the server and the key it presents now, for the user to accept or not
    expect(a.notices.at(-1)).toMatchObject({ kind: 'prekey-server-changed', peer: B, server: 'prekeys.example.test', fingerprint: 'ab'.repeat(56) });
  });
});
