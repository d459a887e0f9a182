// Typed errors of the push handshake and knocks (docs/architecture.md §2: errors named after the spec).
// ChatSecure Push Protocol v3 draft, "Initial Exchange over OTR TLV" and "Receiving Knock";
// v3.1, "Initial Exchange over OTR TLV". Messages never carry a key, token, password or the
// contents of a payload: they end up in logs and notices.

export type PushHandshakeErrorCode =
  /** the TLV 0x01A4 value is not UTF-8 JSON of the expected shape */
  | 'malformed-push-tlv'
  /** the TLV 0x01A4 value is larger than MAX_PUSH_TLV_BYTES */
  | 'oversized-push-tlv'
  /** a TLV 0x01A4 that does not fit the handshake's state (an answer nobody asked for, …) */
  | 'unexpected-push-tlv'
  /** the extra symmetric key material the OTR layer handed over is unusable */
  | 'invalid-extra-symmetric-key'
  /** no private (OTR) session with the contact: the handshake only travels inside one */
  | 'no-private-session'
  /** this account has no push account yet (api_endpoint, push_name) */
  | 'no-push-account';

export class PushHandshakeError extends Error {
  override readonly name = 'PushHandshakeError';
  constructor(
    readonly code: PushHandshakeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type KnockRejectCode =
  /** no record matches the knock's public To/From */
  | 'unknown-sender'
  /** the sealed blob does not open with any matching shared_key (or was tampered with) */
  | 'wrong-key'
  /** the sealed names do not match the record found by To/From */
  | 'mismatched-names'
  /** the sealed time is outside the accepted window */
  | 'stale'
  /** this knock id was seen before (docs/architecture.md §7: replays rejected) */
  | 'replayed';

export class KnockRejectedError extends Error {
  override readonly name = 'KnockRejectedError';
  constructor(
    readonly code: KnockRejectCode,
    message: string,
  ) {
    super(message);
  }
}
