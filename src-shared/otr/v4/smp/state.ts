// The SMP state machine of OTRv4 (otrv4.md §"The SMP State Machine", unchanged from OTRv3
// §"The SMP state machine"): SMPSTATE_EXPECT1..4, abort (TLV 6) from any state back to EXPECT1,
// plus one state of ours, 'awaiting-answer', while the user is asked for the secret after an SMP
// message 1 arrived. A pure object: input TLVs / user actions, output TLVs to send and SmpEvents.
import type { SmpEvent } from '../../api';
import { OtrError } from '../../common/errors';
import type { RandomSource } from '../../common/random';
import { type Tlv, V4TlvType } from '../../common/tlv';
import {
  type AliceAfter1,
  type AliceAfter3,
  type BobAfter2,
  FINGERPRINT_BYTES,
  SSID_BYTES,
  type Smp1,
  createSmp1,
  createSmp2,
  decodeSmp1,
  decodeSmp2,
  decodeSmp3,
  decodeSmp4,
  encodeSmp1,
  encodeSmp2,
  encodeSmp3,
  encodeSmp4,
  smpSecret,
  verifySmp1,
  verifySmp2AndCreateSmp3,
  verifySmp3AndCreateSmp4,
  verifySmp4,
} from './protocol';

export type SmpStateName = 'expect1' | 'awaiting-answer' | 'expect2' | 'expect3' | 'expect4';

export interface SmpOptions {
  random: RandomSource;
  /** our 56-byte fingerprint, HWC(0x00 ‖ H ‖ F, 56) */
  ourFingerprint: Uint8Array;
  theirFingerprint: Uint8Array;
  /** the 8-byte SSID of the session */
  ssid: Uint8Array;
}

export interface SmpOutput {
  /** TLVs to send, in a data message with IGNORE_UNREADABLE set (§"TLV Record Types") */
  tlvs: Tlv[];
  events: SmpEvent[];
}

type Inner =
  | { name: 'expect1' }
  | { name: 'awaiting-answer'; m1: Smp1 }
  | { name: 'expect2'; alice: AliceAfter1 }
  | { name: 'expect3'; bob: BobAfter2 }
  | { name: 'expect4'; alice: AliceAfter3 };

const abortTlv = (): Tlv => ({ type: V4TlvType.smpAbort, value: new Uint8Array(0) });
const SMP_TLVS: ReadonlySet<number> = new Set([V4TlvType.smp1, V4TlvType.smp2, V4TlvType.smp3, V4TlvType.smp4, V4TlvType.smpAbort]);

export function isSmpTlv(t: Tlv): boolean {
  return SMP_TLVS.has(t.type);
}

export class Smp {
  private inner: Inner = { name: 'expect1' };
  private readonly random: RandomSource;
  private readonly ourFp: Uint8Array;
  private readonly theirFp: Uint8Array;
  private readonly ssid: Uint8Array;

  constructor(o: SmpOptions) {
    if (o.ourFingerprint.length !== FINGERPRINT_BYTES || o.theirFingerprint.length !== FINGERPRINT_BYTES) throw new RangeError('fingerprints are 56 bytes');
    if (o.ssid.length !== SSID_BYTES) throw new RangeError('the SSID is 8 bytes');
    this.random = o.random;
    this.ourFp = Uint8Array.from(o.ourFingerprint);
    this.theirFp = Uint8Array.from(o.theirFingerprint);
    this.ssid = Uint8Array.from(o.ssid);
  }

  get state(): SmpStateName {
    return this.inner.name;
  }

  /** the question of a pending request (Q&A variant), if any */
  get pendingQuestion(): string | undefined {
    return this.inner.name === 'awaiting-answer' ? questionText(this.inner.m1.question) : undefined;
  }

  /**
   * §"User requests to begin SMP". If an exchange is under way it is aborted first (TLV 6) and a
   * new one started, as the spec allows.
   */
  start(secret: string, question?: string): SmpOutput {
    const tlvs: Tlv[] = [];
    if (this.inner.name !== 'expect1') tlvs.push(abortTlv());
    const x = smpSecret(this.ourFp, this.theirFp, this.ssid, secret);
    const q = question === undefined ? new Uint8Array(0) : new TextEncoder().encode(question);
    const { msg, keep } = createSmp1(x, q, this.random);
    this.inner = { name: 'expect2', alice: keep };
    tlvs.push({ type: V4TlvType.smp1, value: encodeSmp1(msg) });
    return { tlvs, events: [{ type: 'smp-progress', step: 1 }] };
  }

  /** the user answered a request (SMP message 1 received): send SMP message 2 */
  answer(secret: string): SmpOutput {
    if (this.inner.name !== 'awaiting-answer') throw new OtrError('not-allowed', 'no SMP request to answer');
    const y = smpSecret(this.theirFp, this.ourFp, this.ssid, secret);
    const { msg, keep } = createSmp2(y, this.inner.m1, this.random);
    this.inner = { name: 'expect3', bob: keep };
    return { tlvs: [{ type: V4TlvType.smp2, value: encodeSmp2(msg) }], events: [{ type: 'smp-progress', step: 2 }] };
  }

  /** §"User requests to abort SMP": TLV 6 in all cases, back to EXPECT1 */
  abort(): SmpOutput {
    const wasRunning = this.inner.name !== 'expect1';
    this.reset();
    return { tlvs: [abortTlv()], events: wasRunning ? [{ type: 'smp-aborted' }] : [] };
  }

  /** forget any exchange without sending anything (the session left ENCRYPTED_MESSAGES) */
  reset(): void {
    this.inner = { name: 'expect1' };
  }

  /** An SMP TLV (types 2–6) arrived in a data message. Other TLV types are ignored. */
  receive(tlv: Tlv): SmpOutput {
    if (!isSmpTlv(tlv)) return { tlvs: [], events: [] };
    if (tlv.type === V4TlvType.smpAbort) {
      const wasRunning = this.inner.name !== 'expect1';
      this.reset();
      return { tlvs: [], events: wasRunning ? [{ type: 'smp-aborted' }] : [] };
    }
    const expected: Record<SmpStateName, number> = {
      expect1: V4TlvType.smp1,
      'awaiting-answer': -1,
      expect2: V4TlvType.smp2,
      expect3: V4TlvType.smp3,
      expect4: V4TlvType.smp4,
    };
    if (expected[this.inner.name] !== tlv.type) {
      // "If smpstate is not SMPSTATE_EXPECTn: set smpstate to SMPSTATE_EXPECT1 and send a SMP abort"
      this.reset();
      return { tlvs: [abortTlv()], events: [{ type: 'smp-aborted' }] };
    }
    try {
      return this.step(tlv);
    } catch {
      // a malformed message, an invalid point or a failed zero-knowledge proof: cheating
      this.reset();
      return { tlvs: [abortTlv()], events: [{ type: 'smp-cheated' }] };
    }
  }

  private step(tlv: Tlv): SmpOutput {
    const s = this.inner;
    switch (s.name) {
      case 'expect1': {
        const m1 = decodeSmp1(tlv.value);
        verifySmp1(m1);
        this.inner = { name: 'awaiting-answer', m1 };
        const question = questionText(m1.question);
        return { tlvs: [], events: [question === undefined ? { type: 'smp-request' } : { type: 'smp-request', question }] };
      }
      case 'expect2': {
        const { msg, keep } = verifySmp2AndCreateSmp3(s.alice, decodeSmp2(tlv.value), this.random);
        this.inner = { name: 'expect4', alice: keep };
        return { tlvs: [{ type: V4TlvType.smp3, value: encodeSmp3(msg) }], events: [{ type: 'smp-progress', step: 3 }] };
      }
      case 'expect3': {
        const { msg, success } = verifySmp3AndCreateSmp4(s.bob, decodeSmp3(tlv.value), this.random);
        this.inner = { name: 'expect1' };
        return {
          tlvs: [{ type: V4TlvType.smp4, value: encodeSmp4(msg) }],
          events: [{ type: 'smp-progress', step: 4 }, { type: success ? 'smp-succeeded' : 'smp-failed' }],
        };
      }
      case 'expect4': {
        const success = verifySmp4(s.alice, decodeSmp4(tlv.value));
        this.inner = { name: 'expect1' };
        return { tlvs: [], events: [{ type: success ? 'smp-succeeded' : 'smp-failed' }] };
      }
      default:
        throw new OtrError('unexpected', 'no SMP message expected');
    }
  }
}

function questionText(q: Uint8Array): string | undefined {
  return q.length === 0 ? undefined : new TextDecoder('utf-8', { fatal: false }).decode(q);
}
