// The Socialist Millionaires' Protocol of OTRv3 (OTRv3 §"Socialist Millionaires' Protocol (SMP)",
// §"The SMP state machine") in the 1536-bit group: SMP TLVs 2–7, zero-knowledge proofs with
// SHA-256(BYTE n ‖ MPI ‖ [MPI]), exponent arithmetic mod q = (p − 1)/2, 1536-bit random exponents.
// Received group elements must lie in [2, p − 2] and proof exponents D in [1, q) (as libotr checks);
// a failed check is "cheating detected": abort and return to EXPECT1.
import { sha256 } from '@noble/hashes/sha2.js';
import { ByteReader, ByteWriter, bytesToBigint } from '../common/bytes';
import { malformed, OtrError } from '../common/errors';
import type { RandomSource } from '../common/random';
import { V3TlvType, type Tlv } from '../common/tlv';
import type { SmpEvent } from '../api';
import { bytesToBigintFast, writeMpi } from './mpi';
import { DH1536_G as G, DH1536_P as P, DH1536_Q as Q, isValidGroupElement, modInverse, type Dh1536Engine } from './group';

type State =
  | { expect: 1 }
  /** received SMP1, waiting for the user's secret */
  | { expect: 'answer'; g2a: bigint; g3a: bigint; question?: string }
  | { expect: 2; x: bigint; a2: bigint; a3: bigint }
  | { expect: 3; g3a: bigint; g2: bigint; g3: bigint; b3: bigint; pb: bigint; qb: bigint }
  | { expect: 4; g3b: bigint; paPb: bigint; qaQb: bigint; a3: bigint };

export interface SmpOutput {
  tlvs: Tlv[];
  events: SmpEvent[];
}

/** §"Secret information": SHA-256(0x01 ‖ initiator fp ‖ responder fp ‖ ssid ‖ user secret) */
export function smpSecret(initiatorFp: Uint8Array, responderFp: Uint8Array, ssid: Uint8Array, secret: Uint8Array): bigint {
  return bytesToBigint(sha256(new ByteWriter().byte(1).bytes(initiatorFp).bytes(responderFp).bytes(ssid).bytes(secret).finish()));
}

class Cheated extends Error {}

const mod = (a: bigint, m: bigint): bigint => ((a % m) + m) % m;

export function encodeSmpMpis(values: readonly bigint[]): Uint8Array {
  const w = new ByteWriter().int(values.length);
  for (const v of values) writeMpi(w, v);
  return w.finish();
}

/** INT count ‖ MPIs; the count must equal `expected` and the value must be consumed exactly */
export function decodeSmpMpis(value: Uint8Array, expected: number): bigint[] {
  const r = new ByteReader(value);
  const n = r.int('SMP MPI count');
  if (n !== expected) throw malformed('SMP MPI count');
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) out.push(bytesToBigintFast(r.data('SMP MPI')));
  r.end('SMP TLV');
  return out;
}

export class Smp {
  private state: State = { expect: 1 };

  constructor(
    private readonly engine: Dh1536Engine,
    private readonly rng: RandomSource,
  ) {}

  get expecting(): 1 | 2 | 3 | 4 | 'answer' {
    return this.state.expect;
  }

  private pow(b: bigint, e: bigint): bigint {
    return this.engine.modPow(b, e);
  }
  private gpow(e: bigint): bigint {
    return this.engine.modPow(G, e);
  }
  private rand(): bigint {
    return bytesToBigintFast(this.rng(192));
  }
  private hash(n: number, a: bigint, b?: bigint): bigint {
    const w = writeMpi(new ByteWriter().byte(n), a);
    if (b !== undefined) writeMpi(w, b);
    return bytesToBigintFast(sha256(w.finish()));
  }
  private checkElem(...vs: bigint[]): void {
    for (const v of vs) if (!isValidGroupElement(v)) throw new Cheated();
  }
  private checkExp(...vs: bigint[]): void {
    for (const v of vs) if (v < 1n || v >= Q) throw new Cheated();
  }

  /** a proof of knowledge of `exp` for g^exp: c = H(n, g^r), D = r − exp·c mod q */
  private prove(n: number, exp: bigint): [bigint, bigint] {
    const r = this.rand();
    const c = this.hash(n, this.gpow(r));
    return [c, mod(r - exp * c, Q)];
  }
  private verifyProof(n: number, pub: bigint, c: bigint, d: bigint): void {
    const v = (this.gpow(d) * this.pow(pub, c)) % P;
    if (this.hash(n, v) !== c) throw new Cheated();
  }

  /** §"User requests to begin SMP"; x = smpSecret(…) with us as initiator */
  start(x: bigint, question?: string): SmpOutput {
    const tlvs: Tlv[] = [];
    const events: SmpEvent[] = [];
    const a2 = this.rand();
    const a3 = this.rand();
    const [c2, d2] = this.prove(1, a2);
    const [c3, d3] = this.prove(2, a3);
    const mpis = encodeSmpMpis([this.gpow(a2), c2, d2, this.gpow(a3), c3, d3]);
    if (question !== undefined) {
      const q = new TextEncoder().encode(question);
      if (q.includes(0)) throw new OtrError('not-allowed', 'SMP question contains NUL');
      tlvs.push({ type: V3TlvType.smp1Question, value: new ByteWriter().bytes(q).byte(0).bytes(mpis).finish() });
    } else {
      tlvs.push({ type: V3TlvType.smp1, value: mpis });
    }
    this.state = { expect: 2, x, a2, a3 };
    events.push({ type: 'smp-progress', step: 1 });
    return { tlvs, events };
  }

  /** the user's answer to a received SMP1; y = smpSecret(…) with the peer as initiator */
  answer(y: bigint): SmpOutput {
    const s = this.state;
    if (s.expect !== 'answer') throw new OtrError('not-allowed', 'no SMP request to answer');
    const b2 = this.rand();
    const b3 = this.rand();
    const [c2, d2] = this.prove(3, b2);
    const [c3, d3] = this.prove(4, b3);
    const g2 = this.pow(s.g2a, b2);
    const g3 = this.pow(s.g3a, b3);
    const r4 = this.rand();
    const r5 = this.rand();
    const r6 = this.rand();
    const pb = this.pow(g3, r4);
    const qb = (this.gpow(r4) * this.pow(g2, y)) % P;
    const cp = this.hash(5, this.pow(g3, r5), (this.gpow(r5) * this.pow(g2, r6)) % P);
    const d5 = mod(r5 - r4 * cp, Q);
    const d6 = mod(r6 - y * cp, Q);
    this.state = { expect: 3, g3a: s.g3a, g2, g3, b3, pb, qb };
    return {
      tlvs: [{ type: V3TlvType.smp2, value: encodeSmpMpis([this.gpow(b2), c2, d2, this.gpow(b3), c3, d3, pb, qb, cp, d5, d6]) }],
      events: [{ type: 'smp-progress', step: 2 }],
    };
  }

  /** §"User requests to abort SMP" */
  abort(): SmpOutput {
    this.state = { expect: 1 };
    return { tlvs: [{ type: V3TlvType.smpAbort, value: new Uint8Array(0) }], events: [{ type: 'smp-aborted' }] };
  }

  /** back to EXPECT1 without telling the peer (the session left MSGSTATE_ENCRYPTED) */
  reset(): void {
    this.state = { expect: 1 };
  }

  /** handles one received SMP TLV (types 2–7) */
  receive(tlv: Tlv): SmpOutput {
    try {
      return this.step(tlv);
    } catch (e) {
      if (e instanceof Cheated || (e instanceof OtrError && e.code === 'malformed')) {
        this.state = { expect: 1 };
        return { tlvs: [{ type: V3TlvType.smpAbort, value: new Uint8Array(0) }], events: [{ type: 'smp-cheated' }] };
      }
      throw e;
    }
  }

  private wrongState(): SmpOutput {
    // §"SMP state machine": a message out of order resets to EXPECT1 and sends an abort
    this.state = { expect: 1 };
    return { tlvs: [{ type: V3TlvType.smpAbort, value: new Uint8Array(0) }], events: [{ type: 'smp-aborted' }] };
  }

  private step(tlv: Tlv): SmpOutput {
    const s = this.state;
    switch (tlv.type) {
      case V3TlvType.smpAbort: {
        const wasRunning = s.expect !== 1;
        this.state = { expect: 1 };
        return { tlvs: [], events: wasRunning ? [{ type: 'smp-aborted' }] : [] };
      }
      case V3TlvType.smp1:
      case V3TlvType.smp1Question: {
        if (s.expect !== 1) return this.wrongState();
        let value = tlv.value;
        let question: string | undefined;
        if (tlv.type === V3TlvType.smp1Question) {
          const nul = value.indexOf(0);
          if (nul < 0) throw malformed('SMP1Q question without NUL');
          question = new TextDecoder('utf-8', { fatal: false }).decode(value.subarray(0, nul));
          value = value.subarray(nul + 1);
        }
        const [g2a, c2, d2, g3a, c3, d3] = decodeSmpMpis(value, 6) as [bigint, bigint, bigint, bigint, bigint, bigint];
        this.checkElem(g2a, g3a);
        this.checkExp(d2, d3);
        this.verifyProof(1, g2a, c2, d2);
        this.verifyProof(2, g3a, c3, d3);
        this.state = question === undefined ? { expect: 'answer', g2a, g3a } : { expect: 'answer', g2a, g3a, question };
        return { tlvs: [], events: [question === undefined ? { type: 'smp-request' } : { type: 'smp-request', question }] };
      }
      case V3TlvType.smp2: {
        if (s.expect !== 2) return this.wrongState();
        const [g2b, c2, d2, g3b, c3, d3, pb, qb, cp, d5, d6] = decodeSmpMpis(tlv.value, 11) as bigint[] as [
          bigint,
          bigint,
          bigint,
          bigint,
          bigint,
          bigint,
          bigint,
          bigint,
          bigint,
          bigint,
          bigint,
        ];
        this.checkElem(g2b, g3b, pb, qb);
        this.checkExp(d2, d3, d5, d6);
        this.verifyProof(3, g2b, c2, d2);
        this.verifyProof(4, g3b, c3, d3);
        const g2 = this.pow(g2b, s.a2);
        const g3 = this.pow(g3b, s.a3);
        const t1 = (this.pow(g3, d5) * this.pow(pb, cp)) % P;
        const t2 = (((this.gpow(d5) * this.pow(g2, d6)) % P) * this.pow(qb, cp)) % P;
        if (this.hash(5, t1, t2) !== cp) throw new Cheated();
        const r4 = this.rand();
        const r5 = this.rand();
        const r6 = this.rand();
        const r7 = this.rand();
        const pa = this.pow(g3, r4);
        const qa = (this.gpow(r4) * this.pow(g2, s.x)) % P;
        const cp2 = this.hash(6, this.pow(g3, r5), (this.gpow(r5) * this.pow(g2, r6)) % P);
        const d5a = mod(r5 - r4 * cp2, Q);
        const d6a = mod(r6 - s.x * cp2, Q);
        const qaQb = (qa * modInverse(qb, P)) % P;
        const ra = this.pow(qaQb, s.a3);
        const cr = this.hash(7, this.gpow(r7), this.pow(qaQb, r7));
        const d7 = mod(r7 - s.a3 * cr, Q);
        this.state = { expect: 4, g3b, paPb: (pa * modInverse(pb, P)) % P, qaQb, a3: s.a3 };
        return {
          tlvs: [{ type: V3TlvType.smp3, value: encodeSmpMpis([pa, qa, cp2, d5a, d6a, ra, cr, d7]) }],
          events: [{ type: 'smp-progress', step: 3 }],
        };
      }
      case V3TlvType.smp3: {
        if (s.expect !== 3) return this.wrongState();
        const [pa, qa, cp, d5, d6, ra, cr, d7] = decodeSmpMpis(tlv.value, 8) as [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];
        this.checkElem(pa, qa, ra);
        this.checkExp(d5, d6, d7);
        const t1 = (this.pow(s.g3, d5) * this.pow(pa, cp)) % P;
        const t2 = (((this.gpow(d5) * this.pow(s.g2, d6)) % P) * this.pow(qa, cp)) % P;
        if (this.hash(6, t1, t2) !== cp) throw new Cheated();
        const qaQb = (qa * modInverse(s.qb, P)) % P;
        const u1 = (this.gpow(d7) * this.pow(s.g3a, cr)) % P;
        const u2 = (this.pow(qaQb, d7) * this.pow(ra, cr)) % P;
        if (this.hash(7, u1, u2) !== cr) throw new Cheated();
        const r7 = this.rand();
        const rb = this.pow(qaQb, s.b3);
        const cr2 = this.hash(8, this.gpow(r7), this.pow(qaQb, r7));
        const d7b = mod(r7 - s.b3 * cr2, Q);
        const rab = this.pow(ra, s.b3);
        const ok = rab === (pa * modInverse(s.pb, P)) % P;
        this.state = { expect: 1 };
        return {
          tlvs: [{ type: V3TlvType.smp4, value: encodeSmpMpis([rb, cr2, d7b]) }],
          events: [{ type: 'smp-progress', step: 4 }, ok ? { type: 'smp-succeeded' } : { type: 'smp-failed' }],
        };
      }
      case V3TlvType.smp4: {
        if (s.expect !== 4) return this.wrongState();
        const [rb, cr, d7] = decodeSmpMpis(tlv.value, 3) as [bigint, bigint, bigint];
        this.checkElem(rb);
        this.checkExp(d7);
        const u1 = (this.gpow(d7) * this.pow(s.g3b, cr)) % P;
        const u2 = (this.pow(s.qaQb, d7) * this.pow(rb, cr)) % P;
        if (this.hash(8, u1, u2) !== cr) throw new Cheated();
        const ok = this.pow(rb, s.a3) === s.paPb;
        this.state = { expect: 1 };
        return { tlvs: [], events: [ok ? { type: 'smp-succeeded' } : { type: 'smp-failed' }] };
      }
      default:
        return { tlvs: [], events: [] };
    }
  }
}
