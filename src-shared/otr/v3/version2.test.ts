// OTR version 2 between two instances of our library: one side speaks only v2 (allowV3 false, as
// Profanity's libotr policy ALLOW_V1 | ALLOW_V2), the other has the default policy. Negotiation
// (v2 only when nothing newer is offered), the v2 wire layout (no instance tags, "?OTR," fragments),
// data messages, SMP and ending the session. The same against libotr: libotr.integration.test.ts.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeOtrMessage, encodeOtrMessage } from '../common/envelope';
import { WHITESPACE_BASE } from '../common/whitespace';
import { errors, makePeer, messages, post, pump, smpEvents, twoPeers, type Peer } from './test-support/pair';
import { V2_TAG } from './conversation';
import { decodeV3Message } from './messages';

function v2Pair(opts: { maxMessageSize?: number } = {}) {
  return twoPeers({ policyB: { allowV3: false }, ...opts });
}

const bytesOf = (wire: string): Uint8Array => decodeOtrMessage(wire);

describe('OTR version 2 fallback', () => {
  for (const starter of ['us', 'the v2 client'] as const) {
    it(`AKE started by ${starter}: a version 2 session without instance tags, messages both ways`, () => {
      const { a, b, say } = v2Pair();
      const start = starter === 'us' ? a.conv.start() : b.conv.start();
      expect(start.toSend).toEqual([starter === 'us' ? '?OTRv32?' : '?OTRv2?']);
      say(starter === 'us' ? a : b, start);
      expect(a.conv.sessions()).toEqual([expect.objectContaining({ instanceTag: V2_TAG, state: 'encrypted', version: 2 })]);
      expect(b.conv.sessions()).toEqual([expect.objectContaining({ instanceTag: V2_TAG, state: 'encrypted', version: 2 })]);
      expect(a.events.find((e) => e.type === 'state-changed')).toMatchObject({ state: 'encrypted', version: 2, theirInstanceTag: V2_TAG });
      const out = a.conv.send('hello old friend');
      // SHORT 0x0002 ‖ BYTE 0x03 ‖ BYTE flags: the v2 data message layout (no instance tags)
      expect(Array.from(bytesOf(out.toSend[0]!).subarray(0, 4))).toEqual([0, 2, 3, 0]);
      say(a, out);
      say(b, b.conv.send('hello back'));
      for (let i = 0; i < 10; i++) say(i % 2 ? a : b, (i % 2 ? a : b).conv.send(`round ${i}`));
      expect(messages(b)).toContain('hello old friend');
      expect(messages(a)).toContain('hello back');
      expect(messages(a).filter((m) => m.startsWith('round')).length).toBe(5);
      expect(errors(a)).toEqual([]);
      expect(errors(b)).toEqual([]);
    });
  }

  it('every AKE message we send to a v2 client is version 2', () => {
    const { a, b } = v2Pair();
    const sent: string[] = [];
    const links = new Map<Peer, Peer[]>([
      [a, [b]],
      [b, [a]],
    ]);
    post(b, b.conv.start(), [a]);
    for (let i = 0; i < 20 && (a.inbox.length || b.inbox.length); i++) {
      const p = a.inbox.length ? a : b;
      const out = p.conv.receive(p.inbox.shift()!);
      if (p === a) sent.push(...out.toSend);
      post(p, out, links.get(p)!);
    }
    pump([a, b], links);
    const types = sent.map((w) => decodeV3Message(bytesOf(w))).map((m) => [m.type, m.senderTag, m.receiverTag]);
    expect(types).toEqual([
      ['dh-commit', 0, 0],
      ['reveal-signature', 0, 0],
    ]);
    expect(sent.every((w) => Array.from(bytesOf(w).subarray(0, 2)).join() === '0,2')).toBe(true);
  });

  it('a v2-only whitespace tag starts a v2 AKE; our tag offers 3 and 2', () => {
    const { a, b, say } = v2Pair();
    const tagged = b.conv.send('plain hi');
    expect(tagged.toSend[0]).toBe('plain hi' + WHITESPACE_BASE + '\x20\x20\x09\x09\x20\x20\x09\x20');
    say(b, tagged);
    expect(a.events[0]).toEqual({ type: 'message', text: 'plain hi', encrypted: false });
    expect(a.conv.sessions()[0]).toMatchObject({ state: 'encrypted', version: 2 });
    const fresh = v2Pair();
    const ours = fresh.a.conv.send('hi');
    expect(ours.toSend[0]).toBe('hi' + WHITESPACE_BASE + '\x20\x20\x09\x09\x20\x20\x09\x09' + '\x20\x20\x09\x09\x20\x20\x09\x20');
    fresh.say(fresh.a, ours);
    expect(fresh.b.conv.sessions()[0]).toMatchObject({ state: 'encrypted', version: 2 });
  });

  it('v3 is chosen whenever both offer it, even if both also allow 2', () => {
    const { a, say } = twoPeers();
    const q = a.conv.start();
    expect(q.toSend).toEqual(['?OTRv32?']);
    say(a, q);
    expect(a.conv.sessions()).toEqual([expect.objectContaining({ state: 'encrypted', version: 3 })]);
    expect(a.conv.sessions()[0]?.instanceTag).toBe(0x2222);
  });

  it('fragments in the v2 format ("?OTR,k,n,piece,") both ways', () => {
    const { a, b, say } = v2Pair({ maxMessageSize: 120 });
    say(a, a.conv.start());
    const long = 'a long message that needs fragments '.repeat(12);
    const out = a.conv.send(long);
    expect(out.toSend.length).toBeGreaterThan(3);
    for (const f of out.toSend) expect(f).toMatch(/^\?OTR,\d{5},\d{5},[^,]+,$/);
    say(a, out);
    say(b, b.conv.send('back: ' + long));
    expect(messages(b)).toContain(long);
    expect(messages(a)).toContain('back: ' + long);
  });

  it('SMP (question, right and wrong answer) and abort run as with v3', () => {
    const { a, b, say } = v2Pair();
    say(b, b.conv.start());
    say(a, a.conv.startSmp('blue', 'favourite colour?'));
    expect(b.events).toContainEqual({ type: 'smp', smp: { type: 'smp-request', question: 'favourite colour?' } });
    say(b, b.conv.answerSmp('blue'));
    expect(smpEvents(a)).toContain('smp-succeeded');
    expect(smpEvents(b)).toContain('smp-succeeded');
    say(b, b.conv.startSmp('red'));
    say(a, a.conv.answerSmp('green'));
    expect(smpEvents(a)).toContain('smp-failed');
    expect(smpEvents(b)).toContain('smp-failed');
    say(a, a.conv.startSmp('x'));
    say(b, b.conv.abortSmp());
    expect(smpEvents(a)).toContain('smp-aborted');
  });

  it('ending: the other side is FINISHED, then a new v2 session starts', () => {
    const { a, b, say } = v2Pair();
    say(a, a.conv.start());
    say(b, b.conv.end());
    expect(a.conv.sessions()[0]).toMatchObject({ state: 'finished' });
    expect(a.conv.send('lost?').toSend).toEqual([]);
    say(a, a.conv.end());
    say(a, a.conv.start());
    expect(a.conv.sessions()[0]).toMatchObject({ state: 'encrypted', version: 2 });
    say(a, a.conv.send('again'));
    expect(messages(b)).toContain('again');
  });

  it('the extra symmetric key does not exist in version 2: a typed error, nothing sent', () => {
    const { a, say } = v2Pair();
    say(a, a.conv.start());
    const r = a.conv.useExtraKey(1, new Uint8Array(0));
    expect(r.toSend).toEqual([]);
    expect(r.key.length).toBe(0);
    expect(r.events).toEqual([expect.objectContaining({ type: 'error', code: 'not-allowed' })]);
  });

  it('a v2 client alongside a v3 instance of the same contact: two sessions, routed by tag', () => {
    const alice = makePeer('alice', 0, 0x1111);
    const old = makePeer('old', 1, 0x2001, { policy: { allowV3: false } });
    const modern = makePeer('modern', 1, 0x2002);
    const links = new Map<Peer, Peer[]>([
      [alice, [old, modern]],
      [old, [alice]],
      [modern, [alice]],
    ]);
    const say = (p: Peer, out: ReturnType<Peer['conv']['send']>) => (post(p, out, links.get(p)!), pump([alice, old, modern], links));
    say(old, old.conv.start());
    say(modern, modern.conv.start());
    const byTag = Object.fromEntries(alice.conv.sessions().map((s) => [s.instanceTag, s.version]));
    expect(byTag).toEqual({ [V2_TAG]: 2, 0x2002: 3 });
    say(alice, alice.conv.send('to the old one', { instanceTag: V2_TAG }));
    say(alice, alice.conv.send('to the modern one', { instanceTag: 0x2002 }));
    expect(messages(old)).toEqual(['to the old one']);
    expect(messages(modern)).toEqual(['to the modern one']);
  });

  it('bad v2 input (mutated AKE and data messages, fragments) never throws nor breaks the session', () => {
    const { a, b, say } = v2Pair();
    say(a, a.conv.start());
    const data = bytesOf(b.conv.send('valid').toSend[0]!);
    const commit = bytesOf(makePeer('c', 1, 0x3333, { policy: { allowV3: false } }).conv.receive('?OTRv2?').toSend[0]!);
    fc.assert(
      fc.property(fc.constantFrom(data, commit), fc.nat(), fc.integer({ min: 1, max: 255 }), (msg, i, x) => {
        const bad = msg.slice();
        bad[i % bad.length]! ^= x;
        const out = a.conv.receive(encodeOtrMessage(bad));
        for (const e of out.events) if (e.type === 'error') expect(e.message).not.toBe('internal error');
      }),
      { numRuns: 150 },
    );
    fc.assert(
      fc.property(fc.string(), (t) => {
        const out = a.conv.receive('?OTR,' + t);
        expect(out.events.filter((e) => e.type === 'error' && e.message === 'internal error')).toEqual([]);
      }),
    );
    say(a, a.conv.send('still fine'));
    expect(messages(b)).toContain('still fine');
  });
});
