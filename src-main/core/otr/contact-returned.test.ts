// A message lost without a word (otr/recovery.ts contactReturned, issue 13): with sessions kept
// across restarts, a message that reached the contact's messenger while it was closing is not
// read there and no OTR error comes back. When the contact is seen online again, what their
// devices never confirmed goes again in the running session, once, with its own id. Real
// libraries and databases; the "network" is the test's.
import { describe, expect, it } from 'vitest';
import type { OtrAccountIdentity } from './identity';
import { OtrStore } from './otr-store';
import { OtrService, type OtrWire, type ReceivedMessage } from './service';
import { A, B, ids, openDb, plain, useOtrFixtures } from './test-support/otr-pair';

useOtrFixtures();

interface Dev {
  full: string;
  svc: OtrService;
  out: OtrWire[];
  received: ReceivedMessage[];
  /** what the account's history says: written (text, when), not confirmed by a receipt */
  unconfirmed: Map<string, { body: string; timestamp: number }>;
  resent: string[];
  sendsReceipts: boolean;
}

function dev(jid: string, identity: OtrAccountIdentity): Dev {
  const d: Dev = { full: `${jid}/dev`, out: [], received: [], unconfirmed: new Map(), resent: [], sendsReceipts: true } as unknown as Dev;
  d.svc = new OtrService({
    accountId: `acct-${jid}`,
    ownJid: jid,
    identity,
    store: new OtrStore(openDb()),
    transport: (w) => d.out.push(w),
    emit: () => {},
    onQueuedSent: () => {},
    onQueuedDiscarded: () => {},
    unconfirmed: () => [...d.unconfirmed].map(([messageId, m]) => ({ messageId, ...m, ...(d.resent.includes(messageId) ? { resent: true } : {}) })),
    confirmsReceipts: () => d.sendsReceipts,
    onResent: (id) => d.resent.push(id),
  });
  return d;
}

function deliver(from: Dev, to: Dev): void {
  for (let w = from.out.shift(); w; w = from.out.shift()) to.received.push(...plain(to.svc.receive(from.full, w.body)));
}
function pump(a: Dev, b: Dev): void {
  for (let n = 0; n < 100 && (a.out.length || b.out.length); n++) {
    deliver(a, b);
    deliver(b, a);
  }
}
function privatePair(): [Dev, Dev] {
  const a = dev(A, ids.A);
  const b = dev(B, ids.B);
  a.svc.start(B);
  pump(a, b);
  expect(a.svc.status(B).state).toBe('private-unverified');
  return [a, b];
}
/** alice writes at `at`; the message leaves and is lost on the way (bob's messenger was closing) */
function writeAndLose(a: Dev, text: string, at: number): string {
  const id = crypto.randomUUID();
  expect(a.svc.sendPrivate(B, id, text)).toBe('sent');
  expect(a.out.map((w) => w.messageId)).toContain(id);
  a.out.length = 0;
  a.unconfirmed.set(id, { body: text, timestamp: at });
  return id;
}
const T = 1_700_000_000_000;

describe('a message lost without an error, when the contact comes back', () => {
  it('goes again in the running session with its id, once', () => {
    const [a, b] = privatePair();
    const id = writeAndLose(a, 'did you get this?', T);
    a.svc.contactAvailable(B, T + 1_000); // bob was seen leaving after it was written
    expect(a.resent).toEqual([id]);
    expect(a.out.find((w) => w.messageId === id)?.body).toMatch(/^\?OTR:/); // private, never in clear
    pump(a, b);
    expect(b.received).toEqual([{ text: 'did you get this?', encrypted: true }]);
    expect(a.svc.status(B).state).toBe('private-unverified'); // the same session: no new key exchange
    // seen online again, still unconfirmed: not a second time
    a.svc.contactAvailable(B, T + 5_000);
    expect(a.out).toEqual([]);
    expect(a.resent).toEqual([id]);
  });

  it('not what was written while the contact was away (their server keeps it), nor when we did not see them leave', () => {
    const [a] = privatePair();
    writeAndLose(a, 'written while bob was away', T + 2_000);
    a.svc.contactAvailable(B, T + 1_000);
    a.svc.contactAvailable(B); // at our own start every contact "comes online"
    expect(a.out).toEqual([]);
    expect(a.resent).toEqual([]);
  });

  it('not for a contact whose devices send no receipts (everything would go again), nor without a session', () => {
    const [a] = privatePair();
    a.sendsReceipts = false;
    writeAndLose(a, 'no receipts here', T);
    a.svc.contactAvailable(B, T + 1_000);
    expect(a.out).toEqual([]);
    expect(a.resent).toEqual([]);

    const lone = dev(A, ids.A);
    lone.unconfirmed.set('m1', { body: 'old', timestamp: T });
    lone.svc.contactAvailable(B, T + 1_000);
    expect(lone.resent).toEqual([]);
  });
});
