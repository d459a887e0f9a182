// The prekey server engine's limits, events and replies (protocol.ts is the engine; dake3.ts
// answers the message attached to a DAKE-3). Split from protocol.ts along that seam.
import type { StorageLimits } from './storage';

export interface ProtocolLimits extends StorageLimits {
  /** largest accepted (reassembled) body in characters — caps publication size */
  maxBodyChars: number;
  /** retrievals per requester (bare JID) per minute */
  retrievalsPerMinute: number;
  /** retrievals of one TARGET identity per minute, whoever asks: many requesters (or one with
   * many JIDs) cannot drain an offline contact's prekey messages (issue 12, finding 10) */
  retrievalsPerTargetPerMinute: number;
  /** DAKEs (publications and status queries) per publisher (bare JID) per minute */
  dakesPerMinute: number;
  /** an unfinished DAKE is forgotten after this many ms */
  dakeTimeoutMs: number;
  /** simultaneous unfinished DAKEs, all senders together */
  maxPendingDakes: number;
  /** outgoing messages longer than this are fragmented (§"Transmitting Fragments") */
  maxOutgoingChars: number;
}

export const DEFAULT_LIMITS: ProtocolLimits = {
  maxPrekeyMessagesPerIdentity: 2000,
  maxInstanceTagsPerIdentity: 16,
  maxBodyChars: 256 * 1024,
  retrievalsPerMinute: 30,
  retrievalsPerTargetPerMinute: 20,
  dakesPerMinute: 30,
  dakeTimeoutMs: 60_000,
  maxPendingDakes: 10_000,
  maxOutgoingChars: 64 * 1024,
};

/** what happened, for logs and tests; never carries key material */
export type ServerEvent =
  | { type: 'dake-started'; from: string; instanceTag: number }
  | { type: 'dake-refused'; from: string; reason: string }
  | { type: 'dake3-ignored'; from: string; reason: 'not-in-dake' | 'bad-signature' | 'malformed' }
  | { type: 'published'; identity: string; instanceTag: number; prekeyMessages: number; clientProfile: boolean; prekeyProfile: boolean }
  | { type: 'publication-refused'; identity: string; reason: string }
  | { type: 'storage-status'; identity: string; instanceTag: number; stored: number }
  | { type: 'retrieval'; requester: string; identity: string; ensembles: number }
  | { type: 'rate-limited'; requester: string; what: 'retrieval' | 'target' | 'dake' }
  | { type: 'dropped'; from: string; reason: string };

export interface Reply {
  body: string;
}

/** an XMPP-level refusal the component turns into an error stanza (XEP-0086 style condition) */
export interface RefusalReply {
  error: 'policy-violation' | 'not-acceptable';
  text: string;
}
