import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OtrError } from '../common/errors';
import {
  FLAG_IGNORE_UNREADABLE,
  chachaXor,
  computeAuthenticator,
  decodeDataMessage,
  encodeDataMessage,
  peekDataMessageHeader,
  sealDataMessage,
  splitMacKeys,
  verifyAuthenticator,
  type DataMessage,
} from './data-message';
import { G, encodePoint } from './ed448';
import { vectorPath } from '../test-support/vectors';

const seedPath = vectorPath('otr4j-seeds/EncodedMessageParser/otrv4-DataMessage-00');
const hex = (h: string): Uint8Array => Uint8Array.from(h.match(/../g)!.map((b) => parseInt(b, 16)));

function sample(over: Partial<DataMessage> = {}): DataMessage {
  return {
    senderTag: 0x101,
    receiverTag: 0xfffffffe,
    flags: FLAG_IGNORE_UNREADABLE,
    previousChainLength: 7,
    ratchetId: 3,
    messageId: 0xffffffff,
    ecdh: encodePoint(G),
    dh: 0x1234n,
    ciphertext: Uint8Array.of(1, 2, 3),
    authenticator: new Uint8Array(64).fill(0xaa),
    revealedMacKeys: new Uint8Array(128).fill(0x55),
    ...over,
  };
}

describe('OTRv4 data message encoding', () => {
  it('round-trips every field, with and without a DH key', () => {
    for (const m of [sample(), sample({ dh: null, revealedMacKeys: new Uint8Array(0), ciphertext: new Uint8Array(0) })]) {
      const bytes = encodeDataMessage(m);
      const { authenticated, ...decoded } = decodeDataMessage(bytes);
      expect(decoded).toEqual(m);
      expect(authenticated).toEqual(bytes.slice(0, bytes.length - 64 - 4 - m.revealedMacKeys.length));
      expect(peekDataMessageHeader(bytes).flags).toBe(m.flags);
    }
  });

  it('lays out the header as §"Data Message Format" says', () => {
    const bytes = encodeDataMessage(sample({ dh: null }));
    expect([...bytes.slice(0, 3)]).toEqual([0x00, 0x04, 0x03]);
    expect([...bytes.slice(3, 11)]).toEqual([0, 0, 1, 1, 0xff, 0xff, 0xff, 0xfe]);
    expect(bytes[11]).toBe(0x01); // flags
    expect([...bytes.slice(12, 24)]).toEqual([0, 0, 0, 7, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff]);
    expect(bytes.slice(24, 81)).toEqual(encodePoint(G));
    expect([...bytes.slice(81, 85)]).toEqual([0, 0, 0, 0]); // empty MPI
  });

  it('decodes the otr4j seed data message to exactly its length', () => {
    const bytes = new Uint8Array(readFileSync(seedPath));
    const m = decodeDataMessage(bytes);
    expect(m.senderTag).toBe(0xca405447);
    expect(m.receiverTag).toBe(0xb71db2ad);
    expect(m.flags).toBe(0);
    expect(m.ecdh.length).toBe(57);
    expect(m.authenticator.length).toBe(64);
    expect(encodeDataMessage(m)).toEqual(bytes);
  });

  it('refuses wrong version/type, non-minimal DH, partial MAC keys, trailing bytes', () => {
    const good = encodeDataMessage(sample());
    const cases: Array<[Uint8Array, string]> = [];
    const v3 = Uint8Array.from(good);
    v3[1] = 3;
    cases.push([v3, 'unsupported-version']);
    const type = Uint8Array.from(good);
    type[2] = 0x35;
    cases.push([type, 'malformed']);
    cases.push([Uint8Array.of(...good, 0), 'malformed']);
    cases.push([encodeDataMessage(sample({ revealedMacKeys: new Uint8Array(0) })).slice(0, -1), 'malformed']);
    const bad = encodeDataMessage(sample({ revealedMacKeys: new Uint8Array(0) }));
    const partial = Uint8Array.of(...bad.slice(0, -4), 0, 0, 0, 3, 1, 2, 3);
    cases.push([partial, 'malformed']);
    // DH MPI with a leading zero: rewrite the length 2 value 0x1234 as length 3 0x001234
    const head = good.slice(0, 81);
    const tail = good.slice(81 + 4 + 2);
    cases.push([Uint8Array.of(...head, 0, 0, 0, 3, 0, 0x12, 0x34, ...tail), 'malformed']);
    for (const [bytes, code] of cases) {
      expect(() => decodeDataMessage(bytes)).toThrow(OtrError);
      try {
        decodeDataMessage(bytes);
      } catch (e) {
        expect((e as OtrError).code).toBe(code);
      }
    }
  });

  it('fuzz: arbitrary bytes and mutations throw only OtrError', () => {
    const good = encodeDataMessage(sample());
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 700 }),
          fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 1, max: 255 })).map(([p, x]) => {
            const b = Uint8Array.from(good);
            b[p]! ^= x;
            return b;
          }),
          fc.nat({ max: good.length }).map((n) => good.slice(0, n)),
        ),
        (bytes) => {
          for (const f of [decodeDataMessage, peekDataMessageHeader]) {
            try {
              f(bytes);
            } catch (e) {
              expect(e).toBeInstanceOf(OtrError);
            }
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('ChaCha20 is RFC 8439 with the all-zero 12-byte nonce and block counter 0', () => {
    // RFC 8439 §A.1 test vector #1: zero key, zero nonce, counter 0
    const keystream = chachaXor(new Uint8Array(64), new Uint8Array(64));
    expect(keystream).toEqual(
      hex('76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586'),
    );
    // only the first 32 bytes of MKenc are the key
    const mk = new Uint8Array(64);
    mk.fill(9, 32);
    expect(chachaXor(mk, new Uint8Array(64))).toEqual(keystream);
  });

  it('seals: the authenticator covers version through the ciphertext DATA only', () => {
    const mkEnc = new Uint8Array(64).fill(1);
    const mkMac = new Uint8Array(64).fill(2);
    const header = { senderTag: 0x100, receiverTag: 0x200, flags: 0, previousChainLength: 0, ratchetId: 0, messageId: 0, ecdh: encodePoint(G), dh: null };
    const withKeys = sealDataMessage(header, Uint8Array.of(104, 105), mkEnc, mkMac, new Uint8Array(64).fill(3));
    const m = decodeDataMessage(withKeys);
    expect(verifyAuthenticator(mkMac, m)).toBe(true);
    expect(verifyAuthenticator(mkEnc, m)).toBe(false);
    expect(m.authenticator).toEqual(computeAuthenticator(mkMac, m.authenticated));
    expect(chachaXor(mkEnc, m.ciphertext)).toEqual(Uint8Array.of(104, 105));
    expect(splitMacKeys(m.revealedMacKeys)).toEqual([new Uint8Array(64).fill(3)]);
    const without = sealDataMessage(header, Uint8Array.of(104, 105), mkEnc, mkMac, new Uint8Array(0));
    expect(decodeDataMessage(without).authenticator).toEqual(m.authenticator);
  });

  it('refuses to encode out-of-range fields', () => {
    expect(() => encodeDataMessage(sample({ senderTag: -1 }))).toThrow(RangeError);
    expect(() => encodeDataMessage(sample({ flags: 256 }))).toThrow(RangeError);
    expect(() => encodeDataMessage(sample({ ecdh: new Uint8Array(56) }))).toThrow(RangeError);
    expect(() => encodeDataMessage(sample({ revealedMacKeys: new Uint8Array(63) }))).toThrow(RangeError);
  });
});
