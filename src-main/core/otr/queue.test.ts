// Policies and the queue (otr/queue.ts, otr/peers.ts): never in clear when private, what waits
// survives a restart, send-in-clear and discard, whitespace tags (test-support/otr-pair.ts).
import { describe, expect, it } from 'vitest';
import { A, B, ids, openDb, pair, privatePair, pump, side, useOtrFixtures, write } from './test-support/otr-pair';

useOtrFixtures();

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
    const a = side(A, ids.A, openDb(), 'always');
    expect(write(a, B, 'waits')).toBe('queued');
    expect(() => a.svc.resolveQueue(B, 'send-in-clear')).toThrow(/never sent unencrypted/);
    a.svc.resolveQueue(B, 'discard');
    expect(a.discarded).toHaveLength(1);
    expect(a.svc.status(B).queued).toBe(0);
  });

  it('the queue survives a restart and goes out once a session is up', () => {
    const db = openDb();
    const a1 = side(A, ids.A, db, 'always');
    expect(write(a1, B, 'written before restart')).toBe('queued');
    const a2 = side(A, ids.A, db, 'always'); // restart: same database
    expect(a2.svc.status(B)).toMatchObject({ queued: 1, privateIntent: true });
    const b = side(B, ids.B, openDb());
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
