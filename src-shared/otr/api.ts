// The shape every OTR session engine (v3, v4, and the negotiating conversation that holds both)
// presents to the messenger (docs/architecture.md §6): pure state machines. The caller feeds what arrived from
// the network and what the user typed; the engine answers with what to transmit and what happened.
// Transport, clock, RNG and persistence are injected; nothing here does I/O.
import type { Tlv } from './common/tlv';
import type { OtrErrorCode } from './common/errors';

export type MessageState = 'plaintext' | 'encrypted' | 'finished';
/** 2 is OTRv3's fallback for clients that speak nothing newer (OTRv3 §"Policies" ALLOW_V2) */
export type ProtocolVersion = 2 | 3 | 4;

/**
 * Policies of OTRv3 §"Policies" (and OTRv4 §"Policies"): which versions may be used and when a
 * session starts by itself.
 */
export interface OtrPolicy {
  /**
   * OTRv3 §"Policies" ALLOW_V2: version 2 (OTRv3's layout without instance tags) is used only when
   * the other side offers nothing newer. Absent means allowed, as in libotr's default policy;
   * false refuses it (the peer's v2 query or tag then gives an `older-version-refused` event).
   */
  allowV2?: boolean;
  allowV3: boolean;
  allowV4: boolean;
  /** never send a message in clear; queue it and start OTR instead */
  requireEncryption: boolean;
  /** advertise support by appending a whitespace tag to plaintext messages */
  sendWhitespaceTag: boolean;
  /** start the AKE/DAKE when a whitespace tag arrives */
  whitespaceStartAke: boolean;
  /** start the AKE/DAKE when an OTR error message arrives */
  errorStartAke: boolean;
}

export const OPPORTUNISTIC_POLICY: OtrPolicy = {
  allowV2: true,
  allowV3: true,
  allowV4: true,
  requireEncryption: false,
  sendWhitespaceTag: true,
  whitespaceStartAke: true,
  errorStartAke: true,
};

export type SmpEvent =
  /** the other side asks us to prove knowledge of a secret; question is set for the Q&A variant */
  | { type: 'smp-request'; question?: string }
  | { type: 'smp-progress'; step: 1 | 2 | 3 | 4 }
  | { type: 'smp-succeeded' }
  | { type: 'smp-failed' }
  | { type: 'smp-aborted' }
  /** a protocol violation in SMP (OTRv3 §"SMP state machine": "cheating detected") */
  | { type: 'smp-cheated' };

export type OtrEvent =
  | {
      type: 'state-changed';
      state: MessageState;
      version?: ProtocolVersion;
      /** the other side's instance tag */
      theirInstanceTag?: number;
      /** the other side's long-term key fingerprint, lowercase hex without spaces */
      theirFingerprint?: string;
      /** the session id, for showing to users who compare it out of band */
      ssid?: Uint8Array;
    }
  /** a message for the user; `encrypted` says whether it arrived inside the session */
  | { type: 'message'; text: string; encrypted: boolean; instanceTag?: number }
  /** TLVs other than padding/disconnected/SMP/extra-key (e.g. the push handshake, 0x01A4) */
  | { type: 'tlv'; tlv: Tlv }
  /**
   * the other side used the extra symmetric key (v3 TLV 8 / v4 TLV 7); `key` is the key both
   * sides derive (32 bytes in v3 §"Extra symmetric key", 64 bytes in v4 §"Extra Symmetric Key"),
   * `use` and `useData` what the TLV carried
   */
  | { type: 'extra-key-received'; key: Uint8Array; use: number; useData: Uint8Array }
  | ({ type: 'smp' } & { smp: SmpEvent })
  /** something the user should be told: an OTR error message from the peer, or a message we could not read */
  | { type: 'error'; code: OtrErrorCode | 'peer-error'; message: string }
  /**
   * the contact offered (query message, whitespace tag) or started (AKE message) only OTR version 2,
   * which the policy refuses: tell the user why no private conversation comes up
   */
  | { type: 'older-version-refused'; version: 2; by: 'query' | 'whitespace-tag' | 'ake' }
  /** a message the user wrote was held back because it must not go out in clear */
  | { type: 'message-queued'; text: string };

export interface EngineOutput {
  /** wire messages (already fragmented if a maximum size applies) to send, in order */
  toSend: string[];
  events: OtrEvent[];
}

/**
 * One conversation with one contact: it may hold several sessions, one per instance tag of the
 * contact (OTRv3 §"Instance Tags", OTRv4 §"Instance Tags").
 */
export interface OtrConversation {
  /** something arrived from the contact */
  receive(wire: string): EngineOutput;
  /** the user wrote `text` (and the app may attach TLVs); goes to `instanceTag` or the current/best instance */
  send(text: string, options?: { tlvs?: Tlv[]; instanceTag?: number }): EngineOutput;
  /** send an OTR query message to start (or refresh) a session */
  start(): EngineOutput;
  /** end the session(s): sends the disconnected TLV and returns to plaintext */
  end(instanceTag?: number): EngineOutput;
  /** SMP: start with an optional question; answer; abort */
  startSmp(secret: string, question?: string, instanceTag?: number): EngineOutput;
  answerSmp(secret: string, instanceTag?: number): EngineOutput;
  abortSmp(instanceTag?: number): EngineOutput;
  /** derive the extra symmetric key and send the TLV telling the peer (use, useData) */
  useExtraKey(use: number, useData: Uint8Array, instanceTag?: number): EngineOutput & { key: Uint8Array };
  /** the state per instance of the contact */
  sessions(): Array<{ instanceTag: number; state: MessageState; version?: ProtocolVersion; theirFingerprint?: string }>;
}
