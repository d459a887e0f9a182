// The AKE state machine on its own (OTRv3 §"The protocol state machine", AKE transitions):
// retransmissions, crossing commits, ignored messages, and tampered AKE messages.
import { describe, expect, it } from 'vitest';
import { Ake } from './ake';
import { decodeV3Message, type V3Message } from './messages';
import { fixtureKey, nativeDh1536Engine, seededRng } from './test-support/keys';
import { OtrError } from '../common/errors';

const engine = nativeDh1536Engine();
function pair() {
  const a = new Ake({ ourKey: fixtureKey(0), engine, rng: seededRng('ake-a') }, () => ({ senderTag: 0x100, receiverTag: 0x200 }));
  const b = new Ake({ ourKey: fixtureKey(1), engine, rng: seededRng('ake-b') }, () => ({ senderTag: 0x200, receiverTag: 0x100 }));
  return { a, b };
}
const msg = (bytes: Uint8Array | undefined): V3Message => decodeV3Message(bytes!);

describe('OTRv3 AKE', () => {
  it('runs to completion: both sides agree on ssid and see each other’s key and keyid', () => {
    const { a, b } = pair();
    const commit = a.start();
    expect(a.state).toBe('awaiting-dhkey');
    const key = b.receive(msg(commit));
    expect(b.state).toBe('awaiting-revealsig');
    const reveal = a.receive(msg(key.reply));
    expect(a.state).toBe('awaiting-sig');
    const sig = b.receive(msg(reveal.reply));
    expect(b.state).toBe('none');
    const done = a.receive(msg(sig.reply));
    expect(a.state).toBe('none');
    expect(done.result!.ssid).toEqual(sig.result!.ssid);
    expect(done.result!.theirDh).toBe(sig.result!.ourDh.pub);
    expect(sig.result!.theirDh).toBe(done.result!.ourDh.pub);
    expect(done.result!.theirLongTerm.y).toBe(fixtureKey(1).y);
    expect(sig.result!.theirLongTerm.y).toBe(fixtureKey(0).y);
    expect(done.result!.weSentRevealSig).toBe(true);
    expect(sig.result!.weSentRevealSig).toBe(false);
  });

  it('retransmissions: a repeated commit gets the same D-H Key; a repeated D-H Key the same Reveal Signature', () => {
    const { a, b } = pair();
    const commit = a.start();
    const k1 = b.receive(msg(commit)).reply!;
    const k2 = b.receive(msg(commit)).reply!;
    expect(k2).toEqual(k1);
    const r1 = a.receive(msg(k1)).reply!;
    const r2 = a.receive(msg(k1)).reply!;
    expect(r2).toEqual(r1);
    // a different D-H Key in AWAITING_SIG is ignored
    const other = new Ake({ ourKey: fixtureKey(2), engine, rng: seededRng('other') }, () => ({ senderTag: 0x300, receiverTag: 0x100 }));
    const otherKey = other.receive(
      msg(new Ake({ ourKey: fixtureKey(0), engine, rng: seededRng('x') }, () => ({ senderTag: 0x100, receiverTag: 0 })).start()),
    ).reply!;
    expect(a.receive(msg(otherKey))).toEqual({});
    expect(a.state).toBe('awaiting-sig');
  });

  it('crossing commits: the higher hashed g^x keeps its commitment, the other becomes responder', () => {
    const { a, b } = pair();
    const ca = a.start();
    const cb = b.start();
    const ra = a.receive(msg(cb));
    const rb = b.receive(msg(ca));
    const states = [a.state, b.state].sort();
    expect(states).toEqual(['awaiting-dhkey', 'awaiting-revealsig']);
    // the one that kept its commit resent it; the other answered with a D-H Key
    const [initiator, responder, keyMsg] = a.state === 'awaiting-dhkey' ? [a, b, rb.reply!] : [b, a, ra.reply!];
    const reveal = initiator.receive(msg(keyMsg));
    const sig = responder.receive(msg(reveal.reply));
    expect(initiator.receive(msg(sig.reply)).result).toBeDefined();
  });

  it('messages out of state are ignored', () => {
    const { a, b } = pair();
    const commit = a.start();
    const key = b.receive(msg(commit)).reply!;
    const reveal = a.receive(msg(key)).reply!;
    const fresh = pair();
    expect(fresh.a.receive(msg(key))).toEqual({});
    expect(fresh.a.receive(msg(reveal))).toEqual({});
    expect(fresh.a.state).toBe('none');
  });

  it('a tampered Reveal Signature or Signature is rejected with OtrError and the genuine one still completes', () => {
    const { a, b } = pair();
    const key = b.receive(msg(a.start())).reply!;
    const reveal = a.receive(msg(key)).reply!;
    for (let i = 11; i < reveal.length; i += 7) {
      const t = reveal.slice();
      t[i]! ^= 0x04;
      let m: V3Message;
      try {
        m = decodeV3Message(t);
      } catch (e) {
        expect(e).toBeInstanceOf(OtrError);
        continue;
      }
      expect(() => b.receive(m)).toThrow(OtrError);
      expect(b.state).toBe('awaiting-revealsig');
    }
    const sig = b.receive(msg(reveal)).reply!;
    for (let i = 11; i < sig.length; i += 7) {
      const t = sig.slice();
      t[i]! ^= 0x04;
      let m: V3Message;
      try {
        m = decodeV3Message(t);
      } catch (e) {
        expect(e).toBeInstanceOf(OtrError);
        continue;
      }
      expect(() => a.receive(m)).toThrow(OtrError);
      expect(a.state).toBe('awaiting-sig');
    }
    expect(a.receive(msg(sig)).result).toBeDefined();
  });
});
