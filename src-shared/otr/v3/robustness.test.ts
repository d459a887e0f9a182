// Bad input: tampering with data messages, and fast-check fuzzing of every parser (random and
// mutated valid inputs). Only OtrError may come out of a parser; the conversation never throws and
// never reports an internal error; a session survives every bad message.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OtrError } from '../common/errors';
import { decodeOtrMessage, encodeOtrMessage } from '../common/envelope';
import { ByteReader } from '../common/bytes';
import { decodeV3Message, MAC_BYTES } from './messages';
import { decodeSmpMpis, Smp } from './smp';
import { deserializePrivateKey, encodePublicKey, readPublicKey } from './dsa';
import { deserializeIdentity } from './identity';
import { bigintDh1536Engine } from './group';
import { fixtureKey, seededRng } from './test-support/keys';
import { messages, twoPeers, type Peer } from './test-support/pair';
import type { OtrEvent } from '../api';

const onlyOtrErrors = (f: () => unknown): void => {
  try {
    f();
  } catch (e) {
    if (!(e instanceof OtrError)) throw e;
  }
};

const noInternalErrors = (events: OtrEvent[]): void => {
  for (const e of events) if (e.type === 'error') expect(e.message).not.toBe('internal error');
};

function encryptedPair() {
  const t = twoPeers();
  t.say(t.a, t.a.conv.start());
  t.say(t.a, t.a.conv.send('warm up'));
  t.say(t.b, t.b.conv.send('warm up too'));
  return t;
}

function capture(p: Peer, f: () => { toSend: string[] }): string[] {
  const out = f();
  return out.toSend;
}

describe('tampering with data messages', () => {
  it('any changed byte before the revealed MAC keys is detected; errors say only "unreadable"; the session continues', () => {
    const { a, b } = encryptedPair();
    const [wire] = capture(a, () => a.conv.send('the real message'));
    const bytes = decodeOtrMessage(wire!);
    const r = decodeV3Message(bytes);
    if (r.type !== 'data') throw new Error('expected a data message');
    const macEnd = r.authenticated.length + MAC_BYTES;
    const errorTexts = new Set<string>();
    for (let i = 0; i < bytes.length; i++) {
      for (const flip of [0x01, 0x80]) {
        const t = bytes.slice();
        t[i]! ^= flip;
        const out = b.conv.receive(encodeOtrMessage(t));
        noInternalErrors(out.events);
        if (i < macEnd) expect(out.events.filter((e) => e.type === 'message')).toEqual([]);
        for (const e of out.events) if (e.type === 'error') errorTexts.add(`${e.code}: ${e.message}`);
      }
    }
    // never a hint at which check failed
    for (const t of errorTexts) expect(t).not.toMatch(/decrypt|counter|verif|authentic|mac check|bad mac/i);
    expect([...errorTexts].filter((t) => t.startsWith('unreadable'))).toEqual(['unreadable: an encrypted message could not be read']);
    // the genuine message is still accepted afterwards, and the session goes on both ways
    const out = b.conv.receive(wire!);
    expect(out.events).toContainEqual({ type: 'message', text: 'the real message', encrypted: true, instanceTag: 0x1111 });
    const back = b.conv.send('reply after tampering');
    expect(a.conv.receive(back.toSend[0]!).events).toContainEqual({ type: 'message', text: 'reply after tampering', encrypted: true, instanceTag: 0x2222 });
  });

  it('a replayed data message is rejected like any other unreadable message', () => {
    const { a, b } = encryptedPair();
    const [wire] = capture(a, () => a.conv.send('once'));
    expect(messages({ ...b, events: b.conv.receive(wire!).events })).toEqual(['once']);
    const again = b.conv.receive(wire!);
    expect(again.events).toEqual([{ type: 'error', code: 'unreadable', message: 'an encrypted message could not be read' }]);
    expect(again.toSend[0]).toMatch(/^\?OTR Error:/);
  });

  it('changed revealed MAC keys (unauthenticated by design, §"Revealing MAC keys") do not disturb anything', () => {
    const { a, b } = encryptedPair();
    // rotate enough for a to reveal keys
    for (let i = 0; i < 3; i++) {
      b.conv.receive(a.conv.send(`x${i}`).toSend[0]!);
      a.conv.receive(b.conv.send(`y${i}`).toSend[0]!);
    }
    const [wire] = capture(a, () => a.conv.send('with reveals'));
    const bytes = decodeOtrMessage(wire!);
    const m = decodeV3Message(bytes);
    if (m.type !== 'data') throw new Error('expected data');
    expect(m.oldMacKeys.length).toBeGreaterThan(0);
    const t = bytes.slice();
    t[t.length - 1]! ^= 0xff;
    expect(b.conv.receive(encodeOtrMessage(t)).events).toContainEqual(expect.objectContaining({ type: 'message', text: 'with reveals' }));
  });
});

describe('fuzzing the parsers', () => {
  const { a, b } = encryptedPair();
  const samples: string[] = [];
  {
    // AKE messages of a fresh exchange and data messages with TLVs and SMP
    const t = twoPeers();
    const q = t.a.conv.start();
    const commit = t.b.conv.receive(q.toSend[0]!);
    const key = t.a.conv.receive(commit.toSend[0]!);
    const reveal = t.b.conv.receive(key.toSend[0]!);
    const sig = t.a.conv.receive(reveal.toSend[0]!);
    samples.push(commit.toSend[0]!, key.toSend[0]!, reveal.toSend[0]!, sig.toSend[0]!);
    samples.push(a.conv.send('data', { tlvs: [{ type: 0, value: Uint8Array.of(1, 2) }] }).toSend[0]!);
    samples.push(a.conv.startSmp('s', 'q?').toSend[0]!);
  }
  const sampleBytes = samples.map(decodeOtrMessage);

  it('decodeV3Message: random bytes and mutated valid messages → only OtrError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (buf) => onlyOtrErrors(() => decodeV3Message(buf))));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: sampleBytes.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 40 }),
        (k, muts, cut) => {
          const t = sampleBytes[k]!.slice(0, Math.max(0, sampleBytes[k]!.length - cut));
          for (const [pos, v] of muts) if (t.length) t[pos % t.length] = v;
          onlyOtrErrors(() => decodeV3Message(t));
        },
      ),
    );
  });

  it('conversation.receive: random text, mutated valid wire messages, bogus fragments → no throw, no internal error, session intact', () => {
    const pieces = fc.constantFrom(
      '?OTR',
      ':',
      '?OTRv3?',
      '?OTR|',
      ',',
      '.',
      'AAMD',
      'AAMC',
      '?OTR Error:',
      '\x20\x09\x20\x20\x09\x09\x09\x09\x20\x09\x20\x09\x20\x09\x20\x20',
      '1',
      '00000100',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(pieces, { maxLength: 10 }).map((x) => x.join('')),
        ),
        (s) => {
          noInternalErrors(b.conv.receive(s).events);
        },
      ),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: samples.length - 1 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (k, pos, x) => {
        const t = sampleBytes[k]!.slice();
        t[pos % t.length]! ^= x;
        noInternalErrors(b.conv.receive(encodeOtrMessage(t)).events);
        const s = samples[k]!;
        const i = pos % s.length;
        noInternalErrors(b.conv.receive(s.slice(0, i) + String.fromCharCode(x) + s.slice(i + 1)).events);
      }),
      { numRuns: 300 },
    );
    // the session is still fine
    expect(b.conv.receive(a.conv.send('still fine').toSend[0]!).events).toContainEqual(expect.objectContaining({ type: 'message', text: 'still fine' }));
  });

  it('SMP TLV values: random and mutated → only OtrError from the decoder; Smp.receive never throws', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 12 }), (v, n) => onlyOtrErrors(() => decodeSmpMpis(v, n))));
    const smp = new Smp(bigintDh1536Engine, seededRng('fuzz-smp'));
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 7 }), fc.uint8Array({ maxLength: 120 }), (type, value) => {
        const r = smp.receive({ type, value });
        expect(Array.isArray(r.tlvs)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('public keys, private key and identity deserialisation → only OtrError', () => {
    const pub = encodePublicKey(fixtureKey(1));
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 255 }), (pos, v) => {
        const t = pub.slice();
        t[pos % t.length] = v;
        onlyOtrErrors(() => readPublicKey(new ByteReader(t)));
      }),
      { numRuns: 200 },
    );
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (buf) => onlyOtrErrors(() => readPublicKey(new ByteReader(buf)))));
    fc.assert(fc.property(fc.string(), (s) => onlyOtrErrors(() => deserializePrivateKey('otr3-dsa-v1:' + s))));
    fc.assert(fc.property(fc.string(), (s) => onlyOtrErrors(() => deserializeIdentity(s))));
    fc.assert(fc.property(fc.json(), (s) => onlyOtrErrors(() => deserializeIdentity(s))));
  });
});
