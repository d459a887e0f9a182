// Sessions kept across restarts (otr/session-store.ts, issue 13) with the real libraries and real
// SQLCipher databases: a "crash" is a new OtrService on the same database at the worst moment.
// Write then transmit: a service restarted right when a wire message leaves holds the state
// after that message (else its next message would reuse the key and be refused); a service
// restarted right after a decrypt does not read the same message again (else it would be shown
// twice). Ended sessions and removed accounts leave no row; a damaged row starts afresh.
import type { Database } from '@signalapp/sqlcipher';
import { describe, expect, it } from 'vitest';
import type { OtrNotice } from '../../../src-shared/ipc/otr-contract';
import type { OtrAccountIdentity } from './identity';
import { OtrStore } from './otr-store';
import { OtrService, type OtrWire, type ReceivedMessage } from './service';
import { A, B, ids, openDb, plain, useOtrFixtures } from './test-support/otr-pair';

useOtrFixtures();

interface Dev {
  jid: string;
  full: string;
  db: Database;
  store: OtrStore;
  svc: OtrService;
  out: OtrWire[];
  received: ReceivedMessage[];
  notices: OtrNotice[];
  /** called inside the transport, after the wire was recorded (the moment it leaves) */
  onTransmit?: () => void;
}

function dev(jid: string, identity: OtrAccountIdentity, db: Database): Dev {
  const store = new OtrStore(db);
  const d = { jid, full: `${jid}/dev`, db, store, out: [], received: [], notices: [] } as unknown as Dev;
  d.svc = new OtrService({
    accountId: `acct-${jid}`,
    ownJid: jid,
    identity,
    store,
    transport: (w) => {
      d.out.push(w);
      d.onTransmit?.();
    },
    emit: (name, payload) => {
      if (name === 'otr.notice') d.notices.push(payload as OtrNotice);
    },
    onQueuedSent: () => {},
    onQueuedDiscarded: () => {},
  });
  return d;
}

/** the same device after a crash: same database and keys, a new service */
const restarted = (d: Dev, identity: OtrAccountIdentity): Dev => dev(d.jid, identity, d.db);

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
  const a = dev(A, ids.A, openDb());
  const b = dev(B, ids.B, openDb());
  a.svc.start(B);
  pump(a, b);
  expect(a.svc.status(B).state).toBe('private-unverified');
  return [a, b];
}

const write = (d: Dev, peer: string, text: string) => d.svc.sendPrivate(peer, crypto.randomUUID(), text);
const rows = (d: Dev) => d.store.sessions.all(`acct-${d.jid}`);
const troubles = (d: Dev) => d.notices.filter((n) => n.kind === 'unreadable' || n.kind === 'peer-error');

describe('sessions kept across restarts', () => {
  it('write then transmit: alice crashes the moment her message leaves; her restarted device goes on without reusing a key', () => {
    const [a, b] = privatePair();
    write(a, B, 'one');
    pump(a, b);
    let crashed: Dev | undefined;
    a.onTransmit = () => {
      crashed ??= restarted(a, ids.A);
    };
    write(a, B, 'two');
    a.onTransmit = undefined;
    deliver(a, b);
    expect(crashed).toBeDefined();
    const a2 = crashed!;
    expect(a2.svc.status(B).state).toBe('private-unverified');
    write(a2, B, 'three');
    pump(a2, b);
    write(b, A, 'four');
    pump(a2, b);
    expect(b.received.map((m) => m.text)).toEqual(['one', 'two', 'three']);
    expect(a2.received).toEqual([{ text: 'four', encrypted: true }]);
    expect([...troubles(a2), ...troubles(b)]).toEqual([]);
  });

  it('after a decrypt the state is stored: bob restarted right after reading a message does not read its copy again', () => {
    const [a, b] = privatePair();
    // bob wrote a moment ago, so reading sends nothing (no heartbeat, OTRv4 §"Receiving a Data
    // Message"): only the store after the decrypt can have kept the new state
    write(b, A, 'hello');
    pump(a, b);
    write(a, B, 'only once');
    const wire = a.out[0]!.body;
    deliver(a, b);
    expect(b.out).toEqual([]);
    const b2 = restarted(b, ids.B);
    b2.received.push(...plain(b2.svc.receive(a.full, wire))); // the server delivers a copy
    expect(b.received.concat(b2.received).filter((m) => m.text === 'only once')).toHaveLength(1);
    // and the conversation goes on with the restarted device
    b2.out.length = 0;
    write(a, B, 'next');
    pump(a, b2);
    expect(b2.received.map((m) => m.text)).toEqual(['next']);
  });

  it('an ended session leaves no row; account removal deletes the rows', () => {
    const [a, b] = privatePair();
    write(a, B, 'hi');
    pump(a, b);
    expect(rows(a)).toHaveLength(1);
    expect(rows(b)).toHaveLength(1);
    a.svc.end(B);
    expect(rows(a)).toEqual([]);
    pump(a, b); // bob's side: FINISHED, the keys are gone
    expect(rows(b)).toEqual([]);
    expect(restarted(a, ids.A).svc.status(B).state).toBe('not-private');

    const [c, d] = privatePair();
    expect(rows(c)).toHaveLength(1);
    c.store.removeAccount(`acct-${A}`);
    expect(rows(c)).toEqual([]);
    void d;
  });

  it('a damaged row is deleted at start and the conversation starts afresh (the contact recovers)', () => {
    const [a, b] = privatePair();
    a.db.prepare('UPDATE otr_sessions SET state = ?').run([new TextEncoder().encode('{"format":"otr-session","v":1,')]);
    const a2 = restarted(a, ids.A);
    expect(rows(a2)).toEqual([]);
    expect(a2.svc.status(B).state).toBe('not-private');
    write(b, A, 'into the lost session');
    pump(a2, b);
    // alice's device says it cannot read it; bob's recovery needs receipts the test does not send
    expect(a2.notices.map((n) => n.kind)).toContain('unreadable');
  });
});
