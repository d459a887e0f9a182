// Encodings of every prekey-server message: round trips with real OTRv4 values, and fuzzing —
// random bytes, mutated valid messages and truncations must give OtrError (never another
// exception, never a hang) from every decoder: messages, attached messages, body framing and
// fragments.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OtrError } from '../otr/common/errors';
import { generateEdKeyPair } from '../otr/v4/keys';
import { createPrekeyMessage, encodePrekeyMessage } from '../otr/v4/prekey-message';
import { Reassembler, fragmentMessage, parseFragment } from './fragment';
import { decodeBody, encodeBody } from './framing';
import { type AttachedMessage, NO_PREKEY_MESSAGES_TEXT, type TopLevelMessage, decodeAttached, decodeTopLevel, encodeMessage } from './messages';
import { nativeDh3072Engine } from '../node-crypto/dh-engines';
import { buildPublication } from './publication';
import { makeDevice, random } from './test-support/device';

const engine = nativeDh3072Engine();
const dev = makeDevice();
const prekeys = Array.from({ length: 2 }, () => createPrekeyMessage(random, engine, dev.instanceTag));
const encodedPrekeys = prekeys.map((p) => encodePrekeyMessage(p.message));
const mac = random(64);
const sigma = random(342);
const point = generateEdKeyPair(random).publicBytes;

const topLevel: TopLevelMessage[] = [
  { type: 'dake1', version: 4, senderInstanceTag: dev.instanceTag, clientProfile: dev.clientProfile.encoded, i: point },
  {
    type: 'dake2',
    version: 4,
    receiverInstanceTag: dev.instanceTag,
    compositeIdentity: { identity: 'prekeys.example.org', publicKey: point },
    s: point,
    sigma,
  },
  { type: 'dake3', version: 4, senderInstanceTag: dev.instanceTag, sigma, message: random(100) },
  { type: 'storage-status', version: 4, receiverInstanceTag: 0x1234, storedPrekeyMessages: 17, mac },
  { type: 'success', version: 4, receiverInstanceTag: 0x1234, mac },
  { type: 'failure', version: 4, receiverInstanceTag: 0x1234, mac },
  { type: 'ensemble-query', version: 4, senderInstanceTag: 0x1234, identity: 'alice@example.org', versions: '45' },
  {
    type: 'ensemble-retrieval',
    version: 4,
    receiverInstanceTag: 0x1234,
    identity: 'alice@example.org',
    ensembles: encodedPrekeys.map((pm) => ({ clientProfile: dev.clientProfile.encoded, prekeyProfile: dev.prekeyProfile.encoded, prekeyMessage: pm })),
  },
  { type: 'no-prekey-ensembles', version: 4, receiverInstanceTag: 0x1234, identity: 'alice@example.org', text: NO_PREKEY_MESSAGES_TEXT },
];

const sk = random(64);
const fullPublication = buildPublication({
  sk,
  macKey: random(64),
  prekeys: prekeys.map((p, k) => ({ encoded: encodedPrekeys[k]!, y: p.secrets.ecdh, b: p.secrets.dh })),
  clientProfile: dev.clientProfile.encoded,
  prekeyProfile: { encoded: dev.prekeyProfile.encoded, sharedPrekey: dev.sharedPrekey },
  random,
  engine,
});
const attached: AttachedMessage[] = [
  fullPublication,
  buildPublication({ sk, macKey: random(64), prekeys: [], clientProfile: dev.clientProfile.encoded, random, engine }),
  { type: 'storage-info-request', version: 4, mac },
];

/** decoding must either succeed or throw OtrError */
function total(decode: (b: Uint8Array) => unknown, b: Uint8Array): void {
  try {
    decode(b);
  } catch (e) {
    if (!(e instanceof OtrError)) throw e;
  }
}

describe('prekey server message encodings', () => {
  it('round-trips every top-level message', () => {
    for (const m of topLevel) {
      const bytes = encodeMessage(m);
      expect(decodeTopLevel(bytes)).toEqual(m);
      expect(encodeBody(bytes).startsWith('AAQ')).toBe(true);
    }
  });

  it('uses the XMPP body prefixes of the spec', () => {
    const prefix = (m: TopLevelMessage): string => encodeBody(encodeMessage(m)).slice(0, 4);
    expect(topLevel.map(prefix)).toEqual(['AAQ1', 'AAQ2', 'AAQ3', 'AAQL', 'AAQG', 'AAQF', 'AAQQ', 'AAQT', 'AAQO']);
  });

  it('round-trips publications and storage requests', () => {
    for (const m of attached) expect(decodeAttached(encodeMessage(m))).toEqual(m);
  });

  it('refuses version 3, unknown types, trailing bytes, L = 0 and flags other than 0/1', () => {
    const status = encodeMessage(topLevel[3]!);
    const v3 = Uint8Array.from(status);
    v3[1] = 3;
    expect(() => decodeTopLevel(v3)).toThrow(expect.objectContaining({ code: 'unsupported-version' }));
    const unknown = Uint8Array.from(status);
    unknown[2] = 0x42;
    expect(() => decodeTopLevel(unknown)).toThrow(OtrError);
    expect(() => decodeTopLevel(Uint8Array.of(...status, 0))).toThrow(/trailing/);
    const retrieval = encodeMessage(topLevel[7]!);
    const lOffset = 2 + 1 + 4 + 4 + 'alice@example.org'.length;
    const zeroL = Uint8Array.from(retrieval);
    zeroL.set([0, 0, 0, 0], lOffset);
    expect(() => decodeTopLevel(zeroL)).toThrow(/greater than 0/);
    const noPrekeys = encodeMessage(attached[1]!);
    const badK = Uint8Array.from(noPrekeys);
    badK[4] = 2; // SHORT version, BYTE type, BYTE N = 0, then K
    expect(() => decodeAttached(badK)).toThrow(/K must be/);
    // a top-level message is not accepted inside DAKE-3, nor the reverse
    expect(() => decodeAttached(status)).toThrow(OtrError);
    expect(() => decodeTopLevel(encodeMessage(attached[2]!))).toThrow(OtrError);
  });

  it('fuzz: random bytes never throw anything but OtrError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.constantFrom(0x35, 0x36, 0x37, 0x0b, 0x06, 0x05, 0x10, 0x13, 0x0e, 0x08, 0x09), (tail, type) => {
        // half of the cases get a valid header so that the body parsers are reached
        const withHeader = Uint8Array.of(0, 4, type, ...tail);
        for (const b of [tail, withHeader]) {
          total(decodeTopLevel, b);
          total(decodeAttached, b);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('fuzz: mutated and truncated valid messages never throw anything but OtrError', () => {
    const samples = [
      ...topLevel.map((m) => ({ bytes: encodeMessage(m), decode: decodeTopLevel })),
      ...attached.map((m) => ({ bytes: encodeMessage(m), decode: decodeAttached })),
    ];
    fc.assert(
      fc.property(
        fc.nat(samples.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(),
        (which, flips, cut) => {
          const { bytes, decode } = samples[which]!;
          const mutated = Uint8Array.from(bytes);
          for (const [pos, v] of flips) mutated[pos % mutated.length] = v;
          total(decode, mutated);
          total(decode, mutated.subarray(0, cut % (mutated.length + 1)));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('body framing', () => {
  it('round-trips and insists on canonical base-64 ending in "."', () => {
    const b = random(100);
    expect(decodeBody(encodeBody(b))).toEqual(b);
    expect(() => decodeBody('AAQG')).toThrow(OtrError);
    expect(() => decodeBody('AA*G.')).toThrow(OtrError);
    expect(() => decodeBody('AAQ.')).toThrow(OtrError);
  });

  it('fuzz: any string gives bytes or OtrError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        total(() => decodeBody(s), new Uint8Array(0));
        total(() => decodeBody(`${s}.`), new Uint8Array(0));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('fragments (§"Fragmentation of some Messages")', () => {
  const body = encodeBody(random(2000));

  it('reassembles fragments in any order; rejects index 0, total 0 and index > total', () => {
    const frags = fragmentMessage(body, 200, { identifier: 0xdeadbeef, senderInstanceTag: 0x100, receiverInstanceTag: 0x1234 });
    expect(frags.every((f) => f.length <= 200 && f.startsWith('?OTRP|deadbeef|100|1234,'))).toBe(true);
    const r = new Reassembler(() => 0);
    const shuffled = [...frags].sort(() => Math.random() - 0.5);
    const outs = shuffled.map((f) => r.push(f, 0x1234));
    expect(outs.filter((o) => o !== undefined)).toEqual([body]);
    expect(r.pending).toBe(0);
    expect(() => parseFragment('?OTRP|1|100|100,0,2,abc,')).toThrow(OtrError);
    expect(() => parseFragment('?OTRP|1|100|100,1,0,abc,')).toThrow(OtrError);
    expect(() => parseFragment('?OTRP|1|100|100,3,2,abc,')).toThrow(OtrError);
    // a fragment for another instance is refused
    expect(() => new Reassembler(() => 0).push(frags[0]!, 0x9999)).toThrow(OtrError);
  });

  it('bounds memory: a changed total discards the buffer, old buffers expire', () => {
    let now = 0;
    const r = new Reassembler(() => now, { maxBuffers: 2, maxChars: 1000, timeoutMs: 1000 });
    expect(r.push('?OTRP|1|100|0,1,3,aaa,')).toBeUndefined();
    expect(r.push('?OTRP|1|100|0,2,4,bbb,')).toBeUndefined();
    expect(r.pending).toBe(0);
    r.push('?OTRP|2|100|0,1,2,aaa,');
    now = 5000;
    r.push('?OTRP|3|100|0,1,2,aaa,');
    expect(r.pending).toBe(1);
    expect(() => r.push(`?OTRP|4|100|0,1,2,${'x'.repeat(1001)},`)).toThrow(OtrError);
  });

  it('fuzz: any string gives a fragment or OtrError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), fc.nat(70000), fc.nat(70000), (piece, i, t) => {
        const r = new Reassembler(() => 0);
        total(() => r.push(`?OTRP|${piece}`), new Uint8Array(0));
        total(() => r.push(`?OTRP|1|100|0,${i},${t},${piece || 'x'},`), new Uint8Array(0));
      }),
      { numRuns: 2000 },
    );
  });
});
