// The interactive DAKE inside the conversation when messages are repeated, cross or stall
// (otrv4.md §"Receiving an Identity Message" WAITING_AUTH_I, §"Receiving an Auth-I Message";
// docs/otrv4-decisions.md D17, D20, D31): a byte-identical retransmitted Identity gets the same
// Auth-R, a DAKE that cannot complete ends with a `dake-failed` error, stalled DAKEs are visible
// with their start time and can be given up, by hand or by tick() after a timeout.
import { describe, expect, it } from 'vitest';
import type { OtrEvent } from '../api';
import { nativeDh3072Engine } from './test-support/engines';
import { makeSide, messages, post, pump, type Side } from './test-support/pair';
import { T0 } from './test-support/parties';

const dh = nativeDh3072Engine();

function sides(seed: string, extra = {}, clock?: () => number) {
  const a = makeSide('alice@example.org', 'bob@example.org', `${seed}-a`, dh, extra, clock);
  const b = makeSide('bob@example.org', 'alice@example.org', `${seed}-b`, dh, extra, clock);
  return { a, b };
}
const encrypted = (s: Side) => s.conv.sessions().some((x) => x.state === 'encrypted');
const failures = (s: Side) => s.events.filter((e): e is Extract<OtrEvent, { type: 'error' }> => e.type === 'error' && e.code === 'dake-failed');

describe('retransmitted Identity message', () => {
  it('in WAITING_AUTH_I gets the same Auth-R again, and the DAKE completes with either copy', () => {
    const { a, b } = sides('retx');
    const identity = a.conv.startInteractive().toSend;
    const first = b.conv.receive(identity[0]!).toSend;
    const second = b.conv.receive(identity[0]!).toSend;
    expect(first).toHaveLength(1);
    expect(second).toEqual(first);
    // Alice completes with the second copy (the first one was "lost")
    post(a, b, a.conv.receive(second[0]!));
    pump(a, b);
    expect(encrypted(a) && encrypted(b)).toBe(true);
    expect(a.conv.ssid()).toEqual(b.conv.ssid());
    // a late copy of the first Auth-R is ignored by Alice, who is encrypted
    const late = a.conv.receive(first[0]!);
    expect(late).toEqual({ toSend: [], events: [] });
    // and a third copy of the Identity, after the DAKE it started completed, changes nothing
    expect(b.conv.receive(identity[0]!)).toEqual({ toSend: [], events: [] });
    expect(b.conv.dakeStatus()).toEqual([]);
    post(a, b, a.conv.send('after'));
    pump(a, b);
    expect(messages(b)).toEqual(['after']);
    expect(failures(a).concat(failures(b))).toEqual([]);
  });

  it('a new Identity message (a restarted DAKE) gets a new Auth-R, as the spec says', () => {
    const { a, b } = sides('restart');
    const r1 = b.conv.receive(a.conv.startInteractive().toSend[0]!).toSend;
    const r2 = b.conv.receive(a.conv.startInteractive().toSend[0]!).toSend;
    expect(r2).not.toEqual(r1);
    post(b, a, { toSend: r2, events: [] });
    pump(a, b);
    expect(encrypted(a) && encrypted(b)).toBe(true);
  });
});

describe('a DAKE that cannot complete', () => {
  it('an Auth-I for an Auth-R we replaced is ignored; the current DAKE still completes (never half-open)', () => {
    const { a, b } = sides('stale');
    // DAKE 1 up to Alice's Auth-I, which is delayed
    const r1 = b.conv.receive(a.conv.startInteractive().toSend[0]!).toSend;
    const authI1 = a.conv.receive(r1[0]!).toSend;
    expect(encrypted(a)).toBe(true);
    // meanwhile Alice restarted and Bob answered her new Identity with fresh ephemerals
    const r2 = b.conv.receive(a.conv.startInteractive().toSend[0]!).toSend;
    const late = b.conv.receive(authI1[0]!);
    expect(late.events).toEqual([{ type: 'error', code: 'unreadable', message: expect.stringMatching(/does not verify/) }]);
    expect(b.conv.dakeStatus()).toMatchObject([{ state: 'waiting-auth-i' }]);
    post(b, a, { toSend: r2, events: [] });
    pump(a, b);
    expect(encrypted(a) && encrypted(b)).toBe(true);
    expect(a.conv.ssid()).toEqual(b.conv.ssid());
  });

  it('given up while the peer believes it is private: the peer is told (ERROR_2), and gets a peer-error', () => {
    let now = T0;
    const { a, b } = sides('halfopen', { dakeTimeoutMs: 60_000 }, () => now);
    const r1 = b.conv.receive(a.conv.startInteractive().toSend[0]!).toSend;
    a.conv.receive(r1[0]!); // Alice's Auth-I is lost
    expect(encrypted(a)).toBe(true);
    post(a, b, a.conv.send('hello?'));
    pump(a, b);
    expect(messages(b)).toEqual([]);
    now += 60_000;
    const out = b.conv.tick();
    expect(out.events).toEqual([
      { type: 'error', code: 'dake-failed', message: 'the private conversation was not set up: no answer from the contact in time' },
    ]);
    expect(out.toSend).toEqual([expect.stringMatching(/^\?OTR Error: ERROR_2/)]);
    post(b, a, out);
    pump(a, b);
    expect(a.events).toContainEqual(expect.objectContaining({ type: 'error', code: 'peer-error' }));
    expect(b.conv.dakeStatus()).toEqual([]);
  });
});

describe('stalled DAKEs: status, giving up, timeout', () => {
  it('reports each DAKE with the time it began; abandonDake forgets it and says so', () => {
    let now = T0;
    const { a, b } = sides('stall', {}, () => now);
    a.conv.startInteractive();
    expect(a.conv.dakeStatus()).toEqual([{ instanceTag: 0, state: 'waiting-auth-r', startedAt: T0 }]);
    now += 5000;
    const id2 = a.conv.startInteractive().toSend;
    b.conv.receive(id2[0]!);
    expect(b.conv.dakeStatus()).toEqual([{ instanceTag: a.conv.instanceTag, state: 'waiting-auth-i', startedAt: T0 + 5000 }]);
    const out = b.conv.abandonDake();
    expect(out.events).toEqual([{ type: 'error', code: 'dake-failed', message: 'the private conversation was not set up: given up' }]);
    expect(b.conv.dakeStatus()).toEqual([]);
    // a late Auth-I for the abandoned DAKE is ignored
    expect(a.conv.abandonDake(0).events).toHaveLength(1);
    expect(a.conv.dakeStatus()).toEqual([]);
  });

  it('tick() gives up a DAKE older than dakeTimeoutMs', () => {
    let now = T0;
    const { a } = sides('timeout', { dakeTimeoutMs: 30_000 }, () => now);
    a.conv.startInteractive();
    now += 29_999;
    expect(a.conv.tick().events).toEqual([]);
    now += 1;
    const out = a.conv.tick();
    expect(out.events).toEqual([
      { type: 'error', code: 'dake-failed', message: 'the private conversation was not set up: no answer from the contact in time' },
    ]);
    expect(a.conv.dakeStatus()).toEqual([]);
    expect(a.conv.tick().events).toEqual([]);
  });
});
