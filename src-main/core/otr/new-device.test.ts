// Issue 13, "one conversation, several devices": a contact's second device is announced once,
// calmly ('new-device', with its fingerprint, instance tag and name), and is not taken for a key
// change ('fingerprint-changed' stays for a device that replaces the one we knew); and the user
// chooses which of the contact's devices get what they write (otr.devices.choose through the IPC
// handlers, otr/fanout.ts step 2). Real libraries and databases; the "network" is the test's: a
// wire to a full JID reaches that device, one to the bare JID every device of the account (each
// drops what is not for its instance tag), as an XMPP server does.
import { describe, expect, it } from 'vitest';
import { otrNoticeSchema, otrRequestSchemas, type OtrNotice, type OtrStatus } from '../../../src-shared/ipc/otr-contract';
import type { OtrAccount } from './account';
import { otrRequestHandlers } from './handlers';
import { OtrStore } from './otr-store';
import { OtrService, type OtrWire, type ReceivedMessage } from './service';
import type { OtrAccountIdentity } from './identity';
import { A, B, ids, openDb, side, useOtrFixtures, type Side } from './test-support/otr-pair';

useOtrFixtures();

interface Alice {
  full: string;
  svc: OtrService;
  out: OtrWire[];
  received: ReceivedMessage[];
  notices: OtrNotice[];
  statuses: OtrStatus[];
  /** Bob's full JIDs that are available now, as alice's presence knows them (RFC 6121 §4) */
  present: string[];
  unconfirmed: Array<{ messageId: string; body: string }>;
  resent: string[];
}

function alice(): Alice {
  const a = { full: `${A}/desk`, out: [], received: [], notices: [], statuses: [], present: [], unconfirmed: [], resent: [] } as unknown as Alice;
  a.svc = new OtrService({
    accountId: 'acct-alice',
    ownJid: A,
    identity: ids.A,
    store: new OtrStore(openDb()),
    transport: (w) => a.out.push(w),
    emit: (name, payload) => {
      // every notice must pass the IPC schema (a code and its data)
      if (name === 'otr.notice') a.notices.push(otrNoticeSchema.parse(payload) as OtrNotice);
      else a.statuses.push(payload as OtrStatus);
    },
    onQueuedSent: () => {},
    onQueuedDiscarded: () => {},
    outgoing: () => ({ unconfirmed: a.unconfirmed, confirmsReceipts: true }),
    onResent: (id) => a.resent.push(id),
    presentResources: () => [...a.present],
  });
  return a;
}

const bobDevice = (identity: OtrAccountIdentity, resource: string): Side => side(B, identity, openDb(), 'opportunistic', { resource });

/** delivers everything in flight between alice and Bob's devices until quiet */
function net(a: Alice, bobs: Side[]): void {
  for (let i = 0; i < 1000; i++) {
    const w = a.out.shift();
    if (w) {
      const to = w.to.includes('/') ? bobs.filter((b) => b.full === w.to) : bobs;
      for (const b of to) b.received.push(...b.svc.receive(a.full, w.body).map(({ text, encrypted }) => ({ text, encrypted })));
      continue;
    }
    const from = bobs.find((b) => b.out.length > 0);
    if (!from) return;
    a.received.push(...a.svc.receive(from.full, from.out.shift()!.body));
  }
  throw new Error('did not settle');
}

const kinds = (a: Alice) => a.notices.map((n) => n.kind).filter((k) => k === 'new-device' || k === 'fingerprint-changed');

/** alice private with Bob's phone, then Bob's laptop starts its own session while the phone is there */
function twoDevices(unconfirmed: Alice['unconfirmed'] = []): { a: Alice; phone: Side; laptop: Side } {
  const a = alice();
  // what the account's history says before the laptop comes: written to the phone, not confirmed
  a.unconfirmed.push(...unconfirmed);
  const phone = bobDevice(ids.B, 'phone');
  a.present = [phone.full];
  a.svc.start(B);
  net(a, [phone]);
  expect(a.svc.status(B).state).toBe('private-unverified');
  const laptop = bobDevice(ids.B2, 'laptop');
  a.present = [phone.full, laptop.full];
  laptop.svc.start(A);
  net(a, [phone, laptop]);
  expect(a.svc.status(B).theirInstanceTag).toBe(ids.B2.instanceTag);
  return { a, phone, laptop };
}

describe("a contact's new device", () => {
  it('is announced once as a new device, with its fingerprint, tag and name, not as a key change', () => {
    const { a, phone, laptop } = twoDevices([{ messageId: 'm-1', body: 'unconfirmed on the phone' }]);
    expect(kinds(a)).toEqual(['new-device']);
    const n = a.notices.find((x) => x.kind === 'new-device');
    expect(n).toMatchObject({
      kind: 'new-device',
      peer: B,
      instanceTag: ids.B2.instanceTag,
      device: 'laptop',
      fingerprint: laptop.svc.status(A).ourFingerprints.v4,
    });
    // the laptop refreshes its session, the phone too: nothing more is said
    laptop.svc.start(A);
    net(a, [phone, laptop]);
    phone.svc.start(A);
    net(a, [phone, laptop]);
    expect(kinds(a)).toEqual(['new-device']);
    // the phone is still there: nothing of it is re-sent into the laptop's session (compose.ts)
    expect(a.resent).toEqual([]);
    expect(laptop.received).toEqual([]);
  });

  it('is a key change when the device we knew is not there any more (presence), and when the same tag brings a new key', () => {
    const a = alice();
    const phone = bobDevice(ids.B, 'phone');
    a.present = [phone.full];
    a.svc.start(B);
    net(a, [phone]);
    a.unconfirmed.push({ messageId: 'm-lost', body: 'to the phone that went' });
    // the phone went away; a new installation with another key comes
    const laptop = bobDevice(ids.B2, 'laptop');
    a.present = [laptop.full];
    laptop.svc.start(A);
    net(a, [laptop]);
    expect(kinds(a)).toEqual(['fingerprint-changed']);
    // and recovery re-sends what the old device never confirmed, as before
    expect(a.resent).toEqual(['m-lost']);
    expect(laptop.received).toEqual([{ text: 'to the phone that went', encrypted: true }]);
  });

  it('a reinstall under the same resource replaces the device even while that address is online', () => {
    const a = alice();
    const phone = bobDevice(ids.B, 'phone');
    a.present = [phone.full];
    a.svc.start(B);
    net(a, [phone]);
    const again = bobDevice(ids.B2, 'phone');
    again.svc.start(A);
    net(a, [again]);
    expect(kinds(a)).toEqual(['fingerprint-changed']);
  });
});

/** the IPC path: the request parsed by its schema, then the core's handler */
function ipc(a: Alice) {
  const account = { run: <T>(f: (s: OtrService) => T) => Promise.resolve().then(() => f(a.svc)) } as unknown as OtrAccount;
  const handlers = otrRequestHandlers(() => account);
  return (input: unknown) => handlers['otr.devices.choose'](otrRequestSchemas['otr.devices.choose'].parse(input));
}

describe('the user chooses which devices get their messages', () => {
  it('sends only to the chosen device, says so in the status, and back to all with null', async () => {
    const { a, phone, laptop } = twoDevices();
    const choose = ipc(a);
    const PHONE = ids.B.instanceTag;
    const LAPTOP = ids.B2.instanceTag;
    expect(a.svc.status(B).sessionDevices).toEqual(
      expect.arrayContaining([
        { instanceTag: PHONE, receives: true },
        { instanceTag: LAPTOP, receives: true },
      ]),
    );
    const st = await choose({ accountId: 'acct-alice', peer: B, instanceTags: [LAPTOP] });
    expect(st.chosenDevices).toEqual([LAPTOP]);
    expect(st.sessionDevices).toEqual(
      expect.arrayContaining([
        { instanceTag: PHONE, receives: false },
        { instanceTag: LAPTOP, receives: true },
      ]),
    );
    expect(a.statuses.at(-1)?.chosenDevices).toEqual([LAPTOP]);

    expect(a.svc.sendPrivate(B, 'm-laptop', 'only for the laptop')).toBe('sent');
    net(a, [phone, laptop]);
    expect(laptop.received).toEqual([{ text: 'only for the laptop', encrypted: true }]);
    expect(phone.received).toEqual([]);

    const all = await choose({ accountId: 'acct-alice', peer: B, instanceTags: null });
    expect(all.chosenDevices).toBeUndefined();
    a.svc.sendPrivate(B, 'm-both', 'for both again');
    net(a, [phone, laptop]);
    expect(phone.received).toEqual([{ text: 'for both again', encrypted: true }]);
    expect(laptop.received.map((m) => m.text)).toEqual(['only for the laptop', 'for both again']);
  });

  it('refuses a device without a private session with a typed error, and leaves the choice as it was', async () => {
    const { a } = twoDevices();
    const choose = ipc(a);
    await expect(choose({ accountId: 'acct-alice', peer: B, instanceTags: [0x12345678] })).rejects.toMatchObject({ name: 'MessengerError', code: 'not-found' });
    expect(a.svc.status(B).chosenDevices).toBeUndefined();
    // ending the conversation drops the choice with the sessions it named
    await choose({ accountId: 'acct-alice', peer: B, instanceTags: [ids.B.instanceTag] });
    expect(a.svc.end(B).chosenDevices).toBeUndefined();
  });
});
