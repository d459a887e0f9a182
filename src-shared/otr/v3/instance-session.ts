// One session with one instance of the contact (OTRv3 §"Instance Tags"): its msgstate, AKE, data
// keys and SMP, and what the conversation knows of it. The key V2_TAG holds the version 2 session.
import type { MessageState, OtrEvent } from '../api';
import type { Ake } from './ake';
import type { DataSession } from './data-session';
import type { DsaPublicKey } from './dsa';
import type { Smp } from './smp';

/** the key of the OTR version 2 session (v2 has no instance tags; real tags are ≥ 0x100) */
export const V2_TAG = 0;

/** what one call of the conversation produces: messages to transmit and what happened */
export interface Out {
  toSend: string[];
  events: OtrEvent[];
}

export class InstanceSession {
  msgstate: MessageState = 'plaintext';
  readonly ake: Ake;
  readonly smp: Smp;
  data: DataSession | undefined;
  /**
   * the contact is known to be in MSGSTATE_ENCRYPTED too (we received its Signature message, or
   * decrypted one of its data messages); only then is the session exported (exportSessions)
   */
  confirmed = false;
  theirLongTerm: DsaPublicKey | undefined;
  ssid: Uint8Array | undefined;
  lastSentAt = Number.NEGATIVE_INFINITY;
  activity = 0;

  constructor(
    readonly theirTag: number,
    ake: Ake,
    smp: Smp,
  ) {
    this.ake = ake;
    this.smp = smp;
  }
}
