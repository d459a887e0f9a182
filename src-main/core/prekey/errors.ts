// Errors of the prekey client (client.ts), named after what the prekey server specification says
// went wrong (otrv4-prekey-server.md §"Key Exchange", §"Failure Message").

/** Errors of the prekey client, named after what the spec says went wrong */
export type PrekeyErrorCode =
  /** no item of the XMPP server announces the otrv4-prekey-server feature */
  | 'no-prekey-server'
  /** the server's DAKE-2 key does not match the fingerprint from discovery (or the pinned one) */
  | 'fingerprint-mismatch'
  /** DAKE-2 did not verify */
  | 'dake-failed'
  /** the server answered with a Failure message */
  | 'server-failure'
  /** the server refused the request at the XMPP level (rate limit, size) */
  | 'refused'
  | 'timeout'
  | 'malformed-response';

export class PrekeyError extends Error {
  override readonly name = 'PrekeyError';
  constructor(
    readonly code: PrekeyErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** the server's announced fingerprint differs from the pinned one (trust on first use broken) */
export class PrekeyServerKeyChanged extends PrekeyError {
  constructor(
    readonly server: string,
    /** what the server announces now, 112 hex digits */
    readonly announced: string,
  ) {
    super('fingerprint-mismatch', `prekey server ${server} announces a fingerprint different from the pinned one`);
  }
}
