// One instance of the contact in an OTRv4 conversation (otrv4.md §"Instance Tags", §"Protocol
// States"): its protocol state (START, WAITING_AUTH_R, WAITING_AUTH_I, ENCRYPTED_MESSAGES,
// FINISHED) with what a DAKE under way or an encrypted session keeps. session.ts holds one per
// instance tag of the contact; the DAKE steps (session-dake.ts) and the data path
// (session-data.ts) move it between the states.
import type { MessageState, SmpEvent } from '../api';
import type { Tlv } from '../common/tlv';
import type { WaitingAuthI, WaitingAuthR } from './dake';
import type { DoubleRatchet } from './ratchet';
import type { EncryptedInfo } from './session-persist';

/** The SMP engine's surface (smp/ Smp implements it); replaceable for tests. */
export interface SmpEngine {
  start(secret: string, question?: string): { tlvs: Tlv[]; events: SmpEvent[] };
  answer(secret: string): { tlvs: Tlv[]; events: SmpEvent[] };
  abort(): { tlvs: Tlv[]; events: SmpEvent[] };
  receive(tlv: Tlv): { tlvs: Tlv[]; events: SmpEvent[] };
}

/**
 * an Auth-R we sent: the Identity message it answered (bytes), the Auth-R (bytes), when the DAKE
 * began, and `order`: when we answered among our DAKE steps (an Identity of ours sent after it
 * supersedes it, D32)
 */
export interface Answered {
  dake: WaitingAuthI;
  identityWire: Uint8Array;
  authRWire: Uint8Array;
  startedAt: number;
  order: number;
}

export type Phase =
  | { name: 'start' }
  | { name: 'waiting-auth-r'; dake: WaitingAuthR; identityWire: Uint8Array; startedAt: number }
  | ({ name: 'waiting-auth-i' } & Answered)
  /** `answered`: the Identity message whose DAKE set this session up, if we answered one */
  /**
   * `confirmed`: the contact is known to have completed the DAKE too (we received its Auth-I or
   * Non-Interactive-Auth, or decrypted one of its data messages); only then is it exported
   */
  | { name: 'encrypted'; ratchet: DoubleRatchet; info: EncryptedInfo; confirmed: boolean; smp?: SmpEngine; answered?: Uint8Array }
  | { name: 'finished' };

export class Instance {
  phase: Phase = { name: 'start' };
  activity = 0;
  lastSentAt = Number.NEGATIVE_INFINITY;
  /** a DAKE answered (Auth-R sent) while ENCRYPTED_MESSAGES continues with the old keys */
  rekey: Answered | undefined;
  early: Array<{ bytes: Uint8Array; at: number }> = [];
  constructor(readonly theirTag: number) {}

  get state(): MessageState {
    return this.phase.name === 'encrypted' ? 'encrypted' : this.phase.name === 'finished' ? 'finished' : 'plaintext';
  }
}

/** leaves the current phase, wiping its keys */
export function endPhase(s: Instance): void {
  if (s.phase.name === 'encrypted') s.phase.ratchet.destroy();
  s.phase = { name: 'start' };
  s.rekey = undefined;
  s.early = [];
}
