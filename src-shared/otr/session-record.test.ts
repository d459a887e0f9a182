// Session records (issue 13, "restarts lose nothing"): a session exported mid-conversation and
// restored into a new conversation object carries on as if nothing happened, in both directions,
// with messages in flight and out of order; a record that is corrupt, truncated or not ours is
// refused with a SessionRecordError and leaves the conversation as it was.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OPPORTUNISTIC_POLICY, type EngineOutput, type OtrEvent, type OtrPolicy } from './api';
import { NegotiatingConversation } from './conversation';
import { SessionRecordError } from './session-record';
import { fixtureKey, nativeDh1536Engine } from './v3/test-support/keys';
import { nativeDh3072Engine, seededRandom } from './v4/test-support/engines';
import { makeParty, T0 } from './v4/test-support/parties';

const dh = nativeDh3072Engine();
const dh1536 = nativeDh1536Engine();

interface Side {
  conv: NegotiatingConversation;
  events: OtrEvent[];
  /** a new conversation object of the same device (its keys and instance tag), as after a restart */
  restart(): Side;
}

let now = T0;
const clock = () => now;

function side(name: string, peer: string, keyIndex: number, versions: { v3: boolean; v4: boolean }, policy: Partial<OtrPolicy> = {}, run = 0): Side {
  const party = makeParty(name, peer, seededRandom(name), dh);
  const make = (n: number): Side => {
    const random = seededRandom(`${name}#${n}`);
    const conv = new NegotiatingConversation({
      policy: { ...OPPORTUNISTIC_POLICY, ...policy },
      ...(versions.v3
        ? { v3: { identity: { instanceTag: party.identity.instanceTag, dsaKey: fixtureKey(keyIndex) }, rng: random, clock, engine: dh1536 } }
        : {}),
      ...(versions.v4 ? { v4: { identity: party.identity, random, clock, dh, ourId: name, theirId: peer, ratchet: { sessionExpiryMs: 3_600_000 } } } : {}),
    });
    return { conv, events: [], restart: () => make(n + 1) };
  };
  return make(run);
}

/** delivers everything both sides produce until nothing is left */
function pump(a: Side, b: Side, first: EngineOutput, from: Side): void {
  const queue: Array<{ to: Side; wire: string }> = [];
  const post = (src: Side, out: EngineOutput) => {
    src.events.push(...out.events);
    for (const wire of out.toSend) queue.push({ to: src === a ? b : a, wire });
  };
  post(from, first);
  for (let n = 0; n < 200 && queue.length; n++) {
    const { to, wire } = queue.shift()!;
    post(to, to.conv.receive(wire));
  }
  if (queue.length) throw new Error('did not settle');
}

/** the data message of one send, held back (in flight) */
function sendHeld(s: Side, text: string): string {
  const out = s.conv.send(text);
  s.events.push(...out.events);
  expect(out.toSend).toHaveLength(1);
  return out.toSend[0]!;
}

/** delivers one held message; returns the texts shown and what went back */
function deliver(to: Side, wire: string): { texts: string[]; replies: string[] } {
  const out = to.conv.receive(wire);
  to.events.push(...out.events);
  return { texts: out.events.flatMap((e) => (e.type === 'message' ? [e.text] : [])), replies: out.toSend };
}

const errors = (s: Side) => s.events.filter((e) => e.type === 'error');
const encryptedVersion = (s: Side) => s.conv.sessions().find((x) => x.state === 'encrypted')?.version;

function restored(s: Side): Side {
  const records = s.conv.exportSessions();
  expect(records).toHaveLength(1);
  const next = s.restart();
  for (const r of records) next.conv.restoreSession(r.record);
  return next;
}

/** a mid-conversation exchange with messages in flight both ways across a restart of both sides */
function roundTrip(versions: { v3: boolean; v4: boolean }, expected: 3 | 4): void {
  now = T0;
  let a = side('alice@x', 'bob@x', 0, versions);
  let b = side('bob@x', 'alice@x', 1, versions);
  pump(a, b, a.conv.start(), a);
  expect(encryptedVersion(a)).toBe(expected);
  // a few messages each way, so the ratchets / key ids have moved on
  for (let n = 0; n < 3; n++) {
    pump(a, b, a.conv.send(`a${n}`), a);
    pump(a, b, b.conv.send(`b${n}`), b);
  }
  // in flight: three from alice (the second arrives first), two from bob
  const m1 = sendHeld(a, 'm1');
  const m2 = sendHeld(a, 'm2');
  const m3 = sendHeld(a, 'm3');
  const n1 = sendHeld(b, 'n1');
  const n2 = sendHeld(b, 'n2');
  // OTRv3 §"When you receive a Data Message": the counter must grow within a key pair, so OTRv3
  // reads in order only (as without a restart); OTRv4 keeps the skipped key of m1
  if (expected === 3) expect(deliver(b, m1).texts).toEqual(['m1']);
  expect(deliver(b, m2).texts).toEqual(['m2']);

  // both restart: new objects from the records
  a = restored(a);
  b = restored(b);
  expect(encryptedVersion(a)).toBe(expected);
  expect(a.conv.sessions()[0]?.theirFingerprint).toBeDefined();

  expect(deliver(b, m3).texts).toEqual(['m3']);
  if (expected === 4) {
    // m1's key was skipped before the restart: it survived it
    expect(deliver(b, m1).texts).toEqual(['m1']);
    expect(deliver(a, n2).texts).toEqual(['n2']);
    expect(deliver(a, n1).texts).toEqual(['n1']);
  } else {
    expect(deliver(a, n1).texts).toEqual(['n1']);
    expect(deliver(a, n2).texts).toEqual(['n2']);
  }
  // and the conversation goes on in the restored sessions, without a new key exchange
  pump(a, b, a.conv.send('after'), a);
  pump(a, b, b.conv.send('reply'), b);
  expect(b.events).toContainEqual(expect.objectContaining({ type: 'message', text: 'after', encrypted: true }));
  expect(a.events).toContainEqual(expect.objectContaining({ type: 'message', text: 'reply', encrypted: true }));
  for (const s of [a, b]) {
    expect(errors(s)).toEqual([]);
    expect(s.events.some((e) => e.type === 'state-changed')).toBe(false);
  }
}

describe('session records', () => {
  it('OTRv4: a restored double ratchet reads messages in flight both ways, out of order, with its skipped keys', () => roundTrip({ v3: true, v4: true }, 4));

  it('OTRv3: restored key pairs and counters read messages in flight both ways', () => roundTrip({ v3: true, v4: false }, 3));

  it('OTR version 2 sessions are restored too (tag 0)', () => {
    now = T0;
    let a = side('alice@x', 'bob@x', 0, { v3: true, v4: true });
    const old = side('old@x', 'alice@x', 1, { v3: true, v4: false }, { allowV3: false });
    pump(a, old, a.conv.start(), a);
    expect(a.conv.sessions()).toEqual([expect.objectContaining({ state: 'encrypted', version: 2, instanceTag: 0 })]);
    pump(a, old, old.conv.send('hi'), old); // alice sent the Signature message: kept once old's data came
    a = restored(a);
    expect(a.conv.sessions()).toEqual([expect.objectContaining({ state: 'encrypted', version: 2, instanceTag: 0 })]);
    pump(a, old, a.conv.send('over v2 after a restart'), a);
    expect(old.events).toContainEqual(expect.objectContaining({ type: 'message', text: 'over v2 after a restart', encrypted: true }));
  });

  it('only encrypted sessions are recorded: nothing while the DAKE runs', () => {
    now = T0;
    const a = side('alice@x', 'bob@x', 0, { v3: true, v4: true });
    const b = side('bob@x', 'alice@x', 1, { v3: true, v4: true });
    const query = a.conv.start().toSend[0]!;
    b.conv.receive(query); // bob's Identity message goes out; bob waits for Auth-R
    expect(b.conv.exportSessions()).toEqual([]);
    pump(a, b, a.conv.start(), a);
    expect(a.conv.exportSessions()).toHaveLength(1);
    a.conv.end();
    expect(a.conv.exportSessions()).toEqual([]);
  });

  it('a session the contact may not have is not recorded: the Auth-I / Signature sender waits for its first data message', () => {
    for (const versions of [
      { v3: true, v4: true },
      { v3: true, v4: false },
    ]) {
      now = T0;
      const a = side('alice@x', 'bob@x', 0, versions);
      const b = side('bob@x', 'alice@x', 1, versions);
      pump(a, b, a.conv.start(), a);
      // the sender of the last message of the key exchange (OTRv4: bob's Auth-I; OTRv3: alice's
      // Signature) cannot know it arrived; the receiver knows both sides have the session
      const [done, waiting] = versions.v4 ? [a, b] : [b, a];
      expect(done.conv.exportSessions()).toHaveLength(1);
      expect(waiting.conv.exportSessions()).toEqual([]);
      const held = sendHeld(waiting, 'written first');
      expect(waiting.conv.exportSessions()).toEqual([]);
      deliver(done, held);
      pump(a, b, done.conv.send('answered'), done);
      expect(waiting.conv.exportSessions()).toHaveLength(1);
    }
  });

  it('ending a session removes it from the records', () => {
    now = T0;
    const a = side('alice@x', 'bob@x', 0, { v3: true, v4: true });
    const b = side('bob@x', 'alice@x', 1, { v3: true, v4: true });
    pump(a, b, a.conv.start(), a);
    a.conv.end();
    expect(a.conv.exportSessions()).toEqual([]);
  });

  it('§"Session Expiration" still applies to a restored OTRv4 session: the time of our last new ECDH key is kept', () => {
    now = T0;
    let a = side('alice@x', 'bob@x', 0, { v3: false, v4: true });
    const b = side('bob@x', 'alice@x', 1, { v3: false, v4: true });
    pump(a, b, a.conv.start(), a);
    pump(a, b, a.conv.send('hello'), a);
    a = restored(a);
    now += 3_600_000; // the configured sessionExpiryMs, with no new ECDH key of ours since
    const out = a.conv.v4!.tick();
    expect(out.events).toContainEqual(expect.objectContaining({ type: 'state-changed', state: 'finished' }));
    expect(a.conv.exportSessions()).toEqual([]);
  });

  describe('refused records', () => {
    now = T0;
    const a = side('alice@x', 'bob@x', 0, { v3: true, v4: true });
    const b = side('bob@x', 'alice@x', 1, { v3: true, v4: true });
    pump(a, b, a.conv.start(), a);
    pump(a, b, a.conv.send('hello'), a);
    const good = a.conv.exportSessions()[0]!.record;
    const json = () => JSON.parse(new TextDecoder().decode(good)) as { v: number; session: Record<string, unknown> & { ratchet: Record<string, unknown> } };
    const bytes = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
    const refuses = (record: Uint8Array) => {
      const fresh = a.restart();
      expect(() => fresh.conv.restoreSession(record)).toThrow(SessionRecordError);
      expect(fresh.conv.sessions().filter((s) => s.state !== 'plaintext')).toEqual([]);
    };

    it('a good record is accepted', () => {
      expect(a.restart().conv.restoreSession(good)).toEqual({ version: 4, instanceTag: expect.any(Number) });
    });

    it('truncated at any length', () => {
      for (let n = 0; n < good.length; n += 97) refuses(good.subarray(0, n));
    });

    it('another record version, an unknown field, a missing field, a key of the wrong length, a point off the curve', () => {
      refuses(bytes({ ...json(), v: 2 }));
      refuses(bytes({ ...json(), extra: 1 }));
      const noRoot = json();
      delete noRoot.session.ratchet.root;
      refuses(bytes(noRoot));
      const shortRoot = json();
      shortRoot.session.ratchet.root = (shortRoot.session.ratchet.root as string).slice(2);
      refuses(bytes(shortRoot));
      const badPoint = json();
      badPoint.session.ratchet.theirEcdh = 'ff'.repeat(57);
      refuses(bytes(badPoint));
      const negative = json();
      negative.session.ratchet.j = -1;
      refuses(bytes(negative));
    });

    it('a record of another device (another instance tag of ours) is refused', () => {
      const carol = side('carol@x', 'bob@x', 2, { v3: true, v4: true });
      expect(() => carol.conv.restoreSession(good)).toThrow(SessionRecordError);
      expect(carol.conv.sessions()).toEqual([]);
    });

    it('random bytes and random corruptions never crash: a SessionRecordError or a valid session', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (junk) => refuses(junk)),
        { numRuns: 50 },
      );
      fc.assert(
        fc.property(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), (at, x) => {
          const bad = good.slice();
          bad[at] = bad[at]! ^ x;
          const fresh = a.restart();
          try {
            fresh.conv.restoreSession(bad);
          } catch (e) {
            expect(e).toBeInstanceOf(SessionRecordError);
          }
        }),
        { numRuns: 100 },
      );
    });
  });
});
