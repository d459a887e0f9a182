// Typed errors of the OTR library. Everything the library throws is an OtrError; callers switch on
// `code`. Errors never say whether a MAC check or a decryption failed (OTRv3 §"Receiving a Data
// Message", OTRv4 §"Receiving an Encrypted Data Message"): both are `unreadable`.

export type OtrErrorCode =
  /** bytes that do not parse as the structure expected (length, type, version, trailing data) */
  | 'malformed'
  /** a value that parses but the spec forbids (point not on curve, DH value out of range, expired profile …) */
  | 'invalid-value'
  /** a message that cannot be authenticated or decrypted; deliberately says no more */
  | 'unreadable'
  /** a message that is valid but not expected in the current protocol state */
  | 'unexpected'
  /** the caller asked for something the current state or policy does not allow */
  | 'not-allowed'
  /** a protocol version this library refuses (v1, v2) or does not know */
  | 'unsupported-version'
  /** an AKE/DAKE under way ended without a private conversation: it failed, was given up or timed out */
  | 'dake-failed';

export class OtrError extends Error {
  override readonly name = 'OtrError';
  constructor(
    readonly code: OtrErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const malformed = (what: string): OtrError => new OtrError('malformed', what);
export const invalidValue = (what: string): OtrError => new OtrError('invalid-value', what);
export const unreadable = (): OtrError => new OtrError('unreadable', 'message could not be read');

export function isOtrError(e: unknown): e is OtrError {
  return e instanceof OtrError;
}
