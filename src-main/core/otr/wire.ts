// What the OTR service hands to XMPP, and what it hands back to the account session.
import type { OtrOfflineUnavailable } from '../../../src-shared/ipc/otr-contract';
import type { Tlv } from '../../../src-shared/otr/common/tlv';
import type { PrekeyEnsemble } from '../../../src-shared/otr/v4/prekey-message';

/** One stanza to send: `to` is a bare or full JID; `messageId` set when it carries a ChatMessage. */
export interface OtrWire {
  to: string;
  id: string;
  body: string;
  messageId?: string;
  /** the user chose to send this waiting message unencrypted: an ordinary chat message */
  inClear?: true;
}

/** what a user-visible message that arrived looks like to the account session */
export interface ReceivedMessage {
  text: string;
  encrypted: boolean;
  /** the contact's device (OTR instance tag) a private message came from */
  instanceTag?: number;
  /** that device's name, given only while the contact has several devices (otr/device-label.ts) */
  device?: string;
}

/**
 * a TLV that arrived inside an encrypted data message and that OTR itself does not act on
 * (OTRv4 §"TLV Record Types"; e.g. the push handshake): handed to the account's TLV hook
 */
export interface InboundTlv {
  peer: string;
  /** the full JID it came from */
  from: string;
  tlv: Tlv;
  /**
   * the extra symmetric key announced by the TLV 7 (v4) / TLV 8 (v3) that came right before this
   * TLV in the same data message (the push handshake sends them together, otr/push-link.ts):
   * v4 the TLV's symkey (§"Extra Symmetric Key", already derived), v3 the message's key
   */
  extraKey?: { version: 3 | 4; key: Uint8Array; use: number };
}

/** a contact's prekey ensembles as the prekey lifecycle fetched them (prekey/lifecycle.ts) */
export type FetchedEnsembles =
  | { ok: true; byInstanceTag: Map<number, PrekeyEnsemble> }
  | { ok: false; reason: OtrOfflineUnavailable }
  | { ok: false; reason: 'fingerprint-changed'; server: string; announced: string };
