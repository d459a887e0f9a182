import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { SmpEvent } from '../../api';
import { OtrError } from '../../common/errors';
import { type Tlv, V4TlvType } from '../../common/tlv';
import { G, decodeScalar, encodePoint, encodeScalar } from '../ed448';
import { seededRandom } from '../ratchet/test-support/pair';
import {
  createSmp1,
  createSmp2,
  decodeSmp1,
  decodeSmp2,
  decodeSmp3,
  decodeSmp4,
  encodeSmp2,
  encodeSmp3,
  encodeSmp4,
  smpSecret,
  verifySmp1,
  verifySmp2AndCreateSmp3,
  verifySmp3AndCreateSmp4,
  verifySmp4,
} from './protocol';
import { Smp } from './state';
import { vectorPath } from '../../test-support/vectors';

const fpA = new Uint8Array(56).fill(0xa1);
const fpB = new Uint8Array(56).fill(0xb2);
const ssid = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);

function pair(seed: string): { alice: Smp; bob: Smp } {
  return {
    alice: new Smp({ random: seededRandom(seed + 'a'), ourFingerprint: fpA, theirFingerprint: fpB, ssid }),
    bob: new Smp({ random: seededRandom(seed + 'b'), ourFingerprint: fpB, theirFingerprint: fpA, ssid }),
  };
}

/** delivers TLVs back and forth until both are quiet; collects events per side */
function run(alice: Smp, bob: Smp, first: Tlv[], mutate?: (t: Tlv) => Tlv): { a: SmpEvent[]; b: SmpEvent[] } {
  const events = { a: [] as SmpEvent[], b: [] as SmpEvent[] };
  let queue: Array<[Smp, Tlv]> = first.map((t) => [bob, t]);
  while (queue.length > 0) {
    const next: Array<[Smp, Tlv]> = [];
    for (const [to, tlv] of queue) {
      const out = to.receive(mutate ? mutate(tlv) : tlv);
      (to === alice ? events.a : events.b).push(...out.events);
      if (to === bob && out.events.some((e) => e.type === 'smp-request')) {
        const ans = bob.answer(bobSecret);
        events.b.push(...ans.events);
        next.push(...ans.tlvs.map((t): [Smp, Tlv] => [alice, t]));
      }
      next.push(...out.tlvs.map((t): [Smp, Tlv] => [to === alice ? bob : alice, t]));
    }
    queue = next;
  }
  return events;
}
let bobSecret = '';

const types = (evs: SmpEvent[]): string[] => evs.map((e) => e.type);

describe('OTRv4 SMP', () => {
  it('succeeds with the same secret (shared-secret variant)', () => {
    const { alice, bob } = pair('ok');
    bobSecret = 'correct horse';
    const start = alice.start('correct horse');
    const ev = run(alice, bob, start.tlvs);
    expect(types(ev.b)).toEqual(['smp-request', 'smp-progress', 'smp-progress', 'smp-succeeded']);
    expect(ev.b[0]).toEqual({ type: 'smp-request' });
    expect(types(ev.a)).toEqual(['smp-progress', 'smp-succeeded']);
    expect(alice.state).toBe('expect1');
    expect(bob.state).toBe('expect1');
  });

  it('succeeds in the question-and-answer variant and shows the question', () => {
    const { alice, bob } = pair('qa');
    bobSecret = 'Lisbon';
    const start = alice.start('Lisbon', 'Where did we meet? ✈');
    const out = bob.receive(start.tlvs[0]!);
    expect(out.events).toEqual([{ type: 'smp-request', question: 'Where did we meet? ✈' }]);
    expect(bob.pendingQuestion).toBe('Where did we meet? ✈');
    const ans = bob.answer('Lisbon');
    const ev = run(bob, alice, ans.tlvs); // now Alice is the "bob" of run()'s delivery order
    expect(types(ev.b)).toContain('smp-succeeded');
    expect(types(ev.a)).toContain('smp-succeeded');
  });

  it('fails on both sides with a different secret (and the secret binds fingerprints and SSID)', () => {
    const { alice, bob } = pair('wrong');
    bobSecret = 'battery staple';
    const ev = run(alice, bob, alice.start('correct horse').tlvs);
    expect(types(ev.a)).toEqual(['smp-progress', 'smp-failed']);
    expect(types(ev.b)).toContain('smp-failed');
    expect(smpSecret(fpA, fpB, ssid, 's')).not.toBe(smpSecret(fpB, fpA, ssid, 's'));
    expect(smpSecret(fpA, fpB, ssid, 's')).not.toBe(smpSecret(fpA, fpB, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 9), 's'));
  });

  it('detects a modified proof in every message as cheating, aborts and resets', () => {
    for (const target of [V4TlvType.smp1, V4TlvType.smp2, V4TlvType.smp3, V4TlvType.smp4]) {
      const { alice, bob } = pair(`cheat${target}`);
      bobSecret = 'same';
      // change one SCALAR of the proof (the last 57 bytes are always a d value)
      const mutate = (t: Tlv): Tlv => {
        if (t.type !== target) return t;
        const v = Uint8Array.from(t.value);
        v[v.length - 30]! ^= 0x04;
        return { type: t.type, value: v };
      };
      const ev = run(alice, bob, alice.start('same').tlvs, mutate);
      const receiverEvents = target === V4TlvType.smp1 || target === V4TlvType.smp3 ? ev.b : ev.a;
      expect(types(receiverEvents)).toContain('smp-cheated');
      // the side that received the modified message never concludes success (for a modified
      // message 4, Bob has already compared honestly before sending it)
      expect(types(receiverEvents)).not.toContain('smp-succeeded');
      if (target !== V4TlvType.smp4) expect(types([...ev.a, ...ev.b])).not.toContain('smp-succeeded');
      expect(alice.state).toBe('expect1');
      expect(bob.state).toBe('expect1');
    }
  });

  it('a point not on the curve / the identity is cheating', () => {
    const { alice, bob } = pair('badpoint');
    const v = Uint8Array.from(alice.start('s').tlvs[0]!.value);
    v.set(
      encodePoint(G.subtract(G).add(G)).map(() => 0),
      4,
    ); // G2a := all zeros
    v[4] = 1; // the identity encodes as 01 00 … 00
    expect(types(bob.receive({ type: V4TlvType.smp1, value: v }).events)).toEqual(['smp-cheated']);
    expect(bob.state).toBe('expect1');
  });

  it('abort from either side returns both to EXPECT1', () => {
    const { alice, bob } = pair('abort');
    const s = alice.start('x');
    bob.receive(s.tlvs[0]!);
    expect(bob.state).toBe('awaiting-answer');
    const ab = bob.abort();
    expect(ab.tlvs).toEqual([{ type: V4TlvType.smpAbort, value: new Uint8Array(0) }]);
    expect(ab.events).toEqual([{ type: 'smp-aborted' }]);
    expect(alice.receive(ab.tlvs[0]!).events).toEqual([{ type: 'smp-aborted' }]);
    expect(alice.state).toBe('expect1');
    expect(() => bob.answer('x')).toThrow(OtrError);
  });

  it('an out-of-order SMP message aborts; restarting mid-exchange sends an abort first', () => {
    const { alice, bob } = pair('order');
    const s = alice.start('x');
    const out = alice.receive(s.tlvs[0]!); // Alice expects message 2, gets 1
    expect(out.tlvs.map((t) => t.type)).toEqual([V4TlvType.smpAbort]);
    expect(out.events).toEqual([{ type: 'smp-aborted' }]);
    bob.receive(alice.start('y').tlvs[0]!);
    const again = alice.start('z');
    expect(again.tlvs.map((t) => t.type)).toEqual([V4TlvType.smpAbort, V4TlvType.smp1]);
    expect(bob.receive({ type: 99, value: new Uint8Array(0) })).toEqual({ tlvs: [], events: [] });
  });

  it('fuzz: decoders throw only OtrError; the state machine never throws on arbitrary TLVs', () => {
    const { alice, bob } = pair('fuzz');
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 6 }), fc.uint8Array({ maxLength: 700 }), (type, value) => {
        for (const dec of [decodeSmp1, decodeSmp2, decodeSmp3, decodeSmp4]) {
          try {
            dec(value);
          } catch (e) {
            expect(e).toBeInstanceOf(OtrError);
          }
        }
        for (const s of [alice, bob]) {
          const out = s.receive({ type, value });
          expect(out.events.every((e) => ['smp-cheated', 'smp-aborted', 'smp-request'].includes(e.type))).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('otr4j SMP transcript (vectors/otr4j-smpv4-transcript.txt)', () => {
  const path = vectorPath('otr4j-smpv4-transcript.txt');
  const text = readFileSync(path, 'utf8');
  const items = [...text.matchAll(/^(.*?): (?:Scalar\{encoded=|Point\{encoded=)?\[([^\]]*)\]/gm)].map(
    (m) => [m[1]!, Uint8Array.from(m[2]!.split(',').map((x) => Number(x) & 0xff))] as const,
  );
  const section = (title: string): Map<string, Uint8Array> => {
    const start = text.indexOf(`--- ${title} ---`);
    const end = text.indexOf(`--- ${title} - DONE ---`);
    const out = new Map<string, Uint8Array>();
    for (const m of text.slice(start, end).matchAll(/^(.*?): (?:Scalar\{encoded=|Point\{encoded=)\[([^\]]*)\]/gm)) {
      out.set(m[1]!, Uint8Array.from(m[2]!.split(',').map((x) => Number(x) & 0xff)));
    }
    return out;
  };
  const randoms = items.filter(([k]) => k === 'Random value in Zq').map(([, v]) => v);

  it('reproduces every value of the logged run from its random inputs', () => {
    let next = 0;
    const rnd = (n: number): Uint8Array => {
      const v = randoms[next++]!;
      expect(v.length).toBe(n);
      return v;
    };
    const s1 = section('INITIATE SMP');
    const s2 = section('RESPOND SMP');
    const s3 = section('RESPOND SMP - Message 2');
    const s4 = section('RESPOND SMP - Message 3');
    const s5 = section('RESPOND SMP - Message 4');
    const x = decodeScalar(s1.get('secret')!);
    const y = decodeScalar(s2.get('secret')!);

    const { msg: m1, keep: a1 } = createSmp1(x, new Uint8Array(0), rnd);
    expect(encodeScalar(a1.a2)).toEqual(s1.get('a2'));
    expect(encodeScalar(a1.a3)).toEqual(s1.get('a3'));
    expect(encodePoint(m1.g2a)).toEqual(s1.get('g2a'));
    expect(encodePoint(m1.g3a)).toEqual(s1.get('g3a'));
    for (const k of ['c2', 'd2', 'c3', 'd3'] as const) expect(encodeScalar(m1[k])).toEqual(s1.get(k));
    verifySmp1(m1);

    const { msg: m2, keep: b2 } = createSmp2(y, m1, rnd);
    expect(encodePoint(m2.g2b)).toEqual(s2.get('g2b'));
    expect(encodePoint(m2.g3b)).toEqual(s2.get('g3b'));
    expect(encodePoint(b2.g2)).toEqual(s2.get('g2'));
    expect(encodePoint(b2.g3)).toEqual(s2.get('g3'));
    expect(encodePoint(m2.pb)).toEqual(s2.get('pb'));
    expect(encodePoint(m2.qb)).toEqual(s2.get('qb'));
    for (const k of ['c2', 'd2', 'c3', 'd3', 'cp', 'd5', 'd6'] as const) expect(encodeScalar(m2[k])).toEqual(s2.get(k));

    const { msg: m3, keep: a3 } = verifySmp2AndCreateSmp3(a1, decodeSmp2(encodeSmp2(m2)), rnd);
    expect(encodePoint(m3.pa)).toEqual(s3.get('pa'));
    expect(encodePoint(m3.qa)).toEqual(s3.get('qa'));
    expect(encodePoint(m3.ra)).toEqual(s3.get('ra'));
    for (const k of ['cp', 'd5', 'd6', 'cr', 'd7'] as const) expect(encodeScalar(m3[k])).toEqual(s3.get(k));

    const { msg: m4, success: bobSaw } = verifySmp3AndCreateSmp4(b2, decodeSmp3(encodeSmp3(m3)), rnd);
    expect(encodePoint(m4.rb)).toEqual(s4.get('rb'));
    for (const k of ['cr', 'd7'] as const) expect(encodeScalar(m4[k])).toEqual(s4.get(k));
    expect(bobSaw).toBe(true);
    expect(verifySmp4(a3, decodeSmp4(encodeSmp4(m4)))).toBe(true);
    expect(s5.get('rab')).toBeDefined();
    expect(next).toBe(randoms.length);
    expect(decodeSmp1).toBeDefined();
  });
});
