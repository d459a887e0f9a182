// SMP on its own (OTRv3 §"The SMP state machine"): both variants, mismatch, and cheating detected
// when a zero-knowledge proof or a group element is wrong.
import { describe, expect, it } from 'vitest';
import { decodeSmpMpis, encodeSmpMpis, Smp, smpSecret } from './smp';
import { DH1536_P } from './group';
import { nativeDh1536Engine, seededRng } from './test-support/keys';
import { V3TlvType, type Tlv } from '../common/tlv';

const engine = nativeDh1536Engine();
const fpA = new Uint8Array(20).fill(1);
const fpB = new Uint8Array(20).fill(2);
const ssid = new Uint8Array(8).fill(9);
const enc = new TextEncoder();

function run(secretA: string, secretB: string, question?: string, tamper?: (step: number, t: Tlv) => Tlv) {
  const alice = new Smp(engine, seededRng('smp-a'));
  const bob = new Smp(engine, seededRng('smp-b'));
  const t = tamper ?? ((_s: number, x: Tlv) => x);
  const a1 = alice.start(smpSecret(fpA, fpB, ssid, enc.encode(secretA)), question);
  const b1 = bob.receive(t(1, a1.tlvs[0]!));
  if (b1.events[0]?.type !== 'smp-request') return { alice: [], bob: b1.events };
  const b2 = bob.answer(smpSecret(fpA, fpB, ssid, enc.encode(secretB)));
  const a3 = alice.receive(t(2, b2.tlvs[0]!));
  if (a3.tlvs[0]?.type !== V3TlvType.smp3) return { alice: a3.events, bob: b1.events, aliceTlvs: a3.tlvs };
  const b4 = bob.receive(t(3, a3.tlvs[0]!));
  if (b4.tlvs[0]?.type !== V3TlvType.smp4) return { alice: a3.events, bob: b4.events, bobTlvs: b4.tlvs };
  const a5 = alice.receive(t(4, b4.tlvs[0]!));
  return { alice: [...a3.events, ...a5.events], bob: [...b1.events, ...b2.events, ...b4.events], request: b1.events[0], aliceTlvs: a5.tlvs };
}

const types = (evs: Array<{ type: string }>) => evs.map((e) => e.type);

describe('OTRv3 SMP', () => {
  it('equal secrets succeed on both sides; the question reaches the responder', () => {
    const r = run('same', 'same', 'which?');
    expect(r.request).toEqual({ type: 'smp-request', question: 'which?' });
    expect(types(r.alice)).toContain('smp-succeeded');
    expect(types(r.bob)).toContain('smp-succeeded');
  });

  it('different secrets fail on both sides', () => {
    const r = run('one', 'two');
    expect(types(r.alice)).toContain('smp-failed');
    expect(types(r.bob)).toContain('smp-failed');
  });

  for (const step of [1, 2, 3, 4]) {
    it(`a wrong proof in SMP message ${step} is "cheating detected" with an abort sent`, () => {
      const r = run('same', 'same', undefined, (s, tlv) => {
        if (s !== step) return tlv;
        const n = [6, 11, 8, 3][step - 1]!;
        const mpis = decodeSmpMpis(tlv.value, n);
        mpis[n - 1] = (mpis[n - 1]! + 1n) % DH1536_P; // the last D value
        return { type: tlv.type, value: encodeSmpMpis(mpis) };
      });
      const victim = step % 2 === 1 ? r.bob : r.alice;
      expect(types(victim)).toContain('smp-cheated');
      expect(types(victim)).not.toContain('smp-succeeded');
      const abort = step === 1 ? undefined : step % 2 === 1 ? r.bobTlvs : r.aliceTlvs;
      if (step > 1) expect(abort?.[0]?.type).toBe(V3TlvType.smpAbort);
    });
  }

  it('a group element out of range (1 or p−1) is cheating', () => {
    const r = run('same', 'same', undefined, (s, tlv) => {
      if (s !== 2) return tlv;
      const mpis = decodeSmpMpis(tlv.value, 11);
      mpis[6] = 1n; // Pb
      return { type: tlv.type, value: encodeSmpMpis(mpis) };
    });
    expect(types(r.alice)).toEqual(['smp-cheated']);
  });

  it('a message out of order resets to EXPECT1 and answers with an abort', () => {
    const bob = new Smp(engine, seededRng('ooo'));
    const r = bob.receive({ type: V3TlvType.smp3, value: encodeSmpMpis([2n, 2n, 2n, 2n, 2n, 2n, 2n, 2n]) });
    expect(r.tlvs).toEqual([{ type: V3TlvType.smpAbort, value: new Uint8Array(0) }]);
    expect(bob.expecting).toBe(1);
  });
});
