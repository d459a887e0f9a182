// DataSession's buffers reused from message to message (docs/performance.md, OTRv3 round four):
// messages stay independent of each other, the plaintext and extra key the receiver hands out are
// wiped by it once read, and destroy() wipes every reused buffer; with the pure and the native
// symmetric engines alike.
import { describe, expect, it } from 'vitest';
import { nativeV3Symmetric } from '../../node-crypto/symmetric-engine';
import { splitMessagePayload } from '../common/tlv';
import type { AkeResult } from './ake';
import { DataSession } from './data-session';
import { DH1536_G } from './group';
import { decodeV3Message, type Header } from './messages';
import { pureSymmetric, type V3Symmetric } from './symmetric';
import { fixtureKey, nativeDh1536Engine, seededRng } from './test-support/keys';

const engine = nativeDh1536Engine();
const H_AB: Header = { senderTag: 0x100, receiverTag: 0x200 };

function sessions(sym: V3Symmetric): { a: DataSession; b: DataSession } {
  const x = 0x1234567890abcdefn;
  const y = 0xfedcba0987654321n;
  const gx = engine.modPow(DH1536_G, x);
  const gy = engine.modPow(DH1536_G, y);
  const common = { theirLongTerm: fixtureKey(0), ssid: new Uint8Array(8) };
  const ra: AkeResult = { ...common, ourDh: { priv: x, pub: gx }, ourKeyId: 1, theirDh: gy, theirKeyId: 1, weSentRevealSig: true };
  const rb: AkeResult = { ...common, ourDh: { priv: y, pub: gy }, ourKeyId: 1, theirDh: gx, theirKeyId: 1, weSentRevealSig: false };
  return { a: new DataSession(ra, engine, seededRng('a'), sym), b: new DataSession(rb, engine, seededRng('b'), sym) };
}

function receive(to: DataSession, wire: Uint8Array) {
  const m = decodeV3Message(wire.slice()); // the sender's array is reused: the wire carries a copy
  if (m.type !== 'data') throw new Error('not a data message');
  return to.decrypt(m);
}

const priv = (s: DataSession) => s as unknown as { recvBuf: Uint8Array; sendBuf: Uint8Array; extraBuf: Uint8Array; macBuf: Uint8Array };
const zero = (b: Uint8Array) => b.every((v) => v === 0);

describe.each([
  ['pure', pureSymmetric],
  ['native', nativeV3Symmetric()],
])('DataSession reused buffers (%s engines)', (_name, sym) => {
  it('carries ASCII, non-ASCII, long and binary payloads one after the other, each intact', () => {
    const { a, b } = sessions(sym);
    const texts = ['hello', 'x'.repeat(100), 'grüße, 你好 🙂', 'y'.repeat(1500), '', 'z'];
    for (const t of texts) {
      const d = receive(b, a.encrypt(H_AB, t, 0));
      expect(splitMessagePayload(d.payload).text).toBe(t);
      d.payload.fill(0);
    }
    const bin = Uint8Array.from({ length: 300 }, (_v, i) => (i * 7) & 0xff);
    const d = receive(b, a.encrypt(H_AB, bin, 0));
    expect([...d.payload]).toEqual([...bin]);
  });

  it('gives the same extra symmetric key on both sides, in a buffer wiped by destroy()', () => {
    const { a, b } = sessions(sym);
    const sent = a.currentExtraKey();
    const d = receive(b, a.encrypt(H_AB, 'with a TLV 8', 0));
    expect([...d.extraKey]).toEqual([...sent]);
    expect(zero(d.extraKey)).toBe(false);
    b.destroy();
    expect(zero(d.extraKey)).toBe(true);
    expect(zero(d.payload)).toBe(true);
  });

  it('wipes its reused plaintext, message, MAC and extra-key buffers on destroy()', () => {
    const { a, b } = sessions(sym);
    receive(b, a.encrypt(H_AB, 'secret text', 0));
    expect(zero(priv(b).recvBuf)).toBe(false);
    expect(zero(priv(a).sendBuf)).toBe(false);
    expect(zero(priv(b).macBuf)).toBe(true); // not kept after the check
    a.destroy();
    b.destroy();
    for (const s of [a, b]) {
      const { recvBuf, sendBuf, extraBuf, macBuf } = priv(s);
      for (const buf of [recvBuf, sendBuf, extraBuf, macBuf]) expect(zero(buf)).toBe(true);
    }
  });

  it('rejects a message whose MAC is wrong, and then still reads the next good one', () => {
    const { a, b } = sessions(sym);
    const bad = a.encrypt(H_AB, 'one', 0).slice();
    bad[bad.length - 30]! ^= 1; // inside the MAC (20 bytes before the 4-byte old-keys length)
    expect(() => receive(b, bad)).toThrow();
    const d = receive(b, a.encrypt(H_AB, 'two', 0));
    expect(splitMessagePayload(d.payload).text).toBe('two');
  });
});
