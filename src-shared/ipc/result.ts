// IPC results (docs/architecture.md §2): every request answers { ok: true, value } | { ok: false, error }.
// Error codes are stable strings the renderer turns into plain words; `message` is for people and
// never carries a secret.

export type ErrorCode =
  | 'invalid-argument'
  | 'auth-failed'
  | 'server-unreachable'
  | 'certificate-untrusted'
  | 'account-exists'
  | 'registration-refused'
  | 'not-found'
  | 'not-connected'
  | 'keychain-unavailable'
  /** the profile directory is open in another instance */
  | 'profile-in-use'
  | 'timeout'
  | 'otr-error'
  | 'internal';

export interface IpcError {
  code: ErrorCode;
  message: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: IpcError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const err = (code: ErrorCode, message: string): Result<never> => ({ ok: false, error: { code, message } });

/** An error the core throws on purpose; the IPC layer turns it into { ok: false, error }. */
export class MessengerError extends Error {
  override readonly name = 'MessengerError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}
