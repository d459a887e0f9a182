// Connection failures in plain words, mapped to the contract's ErrorCode (src-shared/ipc/result).
// Messages never carry a password or key; they are shown to people as they are.
//
// No text chosen by a server is ever repeated (issue 18): ejabberd echoes the submitted form,
// password included, in its registration errors (RFC 6120 §8.3.1 lets an error carry the original
// payload), and a hostile server could put anything into an error's <text/> or even name its
// condition element after a secret. A message names at most a condition from the RFCs' closed
// lists (conditionName); the raw error, with its stanza, is never kept in what we throw.
import { MessengerError } from '../../src-shared/ipc/result';
import { InsecureStreamError } from './xmpp/client/client';
import { StartTlsRefusedError } from './xmpp/starttls/starttls';
import { CertificateChangedError, UntrustedCertificateError } from './xmpp/starttls/certificate';

// OpenSSL / Node TLS verification failures (node:tls `err.code`)
const CERT_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED',
  'INVALID_CA',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const NET_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'EAI_AGAIN',
  'EPIPE',
  'ECONNABORTED',
  'EADDRNOTAVAIL',
]);

// RFC 6120 §4.9.3 (stream), §6.5 (SASL) and §8.3.3 (stanza) defined conditions
const KNOWN_CONDITIONS = new Set([
  'bad-format',
  'bad-namespace-prefix',
  'conflict',
  'connection-timeout',
  'host-gone',
  'host-unknown',
  'improper-addressing',
  'internal-server-error',
  'invalid-from',
  'invalid-namespace',
  'invalid-xml',
  'not-authorized',
  'not-well-formed',
  'policy-violation',
  'remote-connection-failed',
  'reset',
  'resource-constraint',
  'restricted-xml',
  'see-other-host',
  'system-shutdown',
  'undefined-condition',
  'unsupported-encoding',
  'unsupported-feature',
  'unsupported-stanza-type',
  'unsupported-version',
  'aborted',
  'account-disabled',
  'credentials-expired',
  'encryption-required',
  'incorrect-encoding',
  'invalid-authzid',
  'invalid-mechanism',
  'malformed-request',
  'mechanism-too-weak',
  'temporary-auth-failure',
  'bad-request',
  'feature-not-implemented',
  'forbidden',
  'gone',
  'item-not-found',
  'jid-malformed',
  'not-acceptable',
  'not-allowed',
  'payment-required',
  'recipient-unavailable',
  'redirect',
  'registration-required',
  'remote-server-not-found',
  'remote-server-timeout',
  'service-unavailable',
  'subscription-required',
  'unexpected-request',
]);

/** A server-given condition name as we may show it: one of the RFC 6120 conditions, else 'error'. */
export function conditionName(condition: unknown): string {
  return typeof condition === 'string' && KNOWN_CONDITIONS.has(condition) ? condition : 'error';
}

/** Any text with each of `secrets` replaced by *** (for text that must be kept, e.g. a log line). */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('***');
  return out;
}

interface ErrorLike {
  name?: string;
  code?: string;
  condition?: string;
  message?: string;
}

export function toMessengerError(e: unknown, where: string): MessengerError {
  if (e instanceof MessengerError) return e;
  const err = (typeof e === 'object' && e !== null ? e : {}) as ErrorLike;
  // issue 15: the account trusted one certificate and the server now presents another
  if (e instanceof CertificateChangedError) {
    return new MessengerError(
      'certificate-untrusted',
      `The certificate of ${where} changed since you trusted it. The connection was stopped: someone may be intercepting it. Check with the server's administrator before trusting the new one.`,
    );
  }
  if ((err.code && CERT_CODES.has(err.code)) || e instanceof UntrustedCertificateError) {
    return new MessengerError('certificate-untrusted', `The certificate of ${where} is not trusted (${err.code}). The connection was not made.`);
  }
  if (e instanceof InsecureStreamError || e instanceof StartTlsRefusedError) {
    return new MessengerError('certificate-untrusted', `${where} did not offer an encrypted connection (STARTTLS), so the messenger did not sign in.`);
  }
  if (err.name === 'SASLError') {
    if (err.condition === 'not-authorized' || err.condition === 'credentials-expired' || err.condition === 'invalid-authzid') {
      return new MessengerError('auth-failed', `${where} did not accept this user name and password.`);
    }
    if (err.condition === 'account-disabled') return new MessengerError('auth-failed', `This account is disabled on ${where}.`);
    return new MessengerError('auth-failed', `Signing in to ${where} failed (${conditionName(err.condition)}).`);
  }
  if (err.code && NET_CODES.has(err.code)) {
    return new MessengerError('server-unreachable', `${where} cannot be reached (${err.code}). Check the server name, port and network.`);
  }
  if (err.name === 'TimeoutError') {
    return new MessengerError('server-unreachable', `${where} did not answer in time.`);
  }
  if (err.name === 'StreamError') {
    if (err.condition === 'host-unknown') return new MessengerError('server-unreachable', `${where} does not serve this domain.`);
    return new MessengerError('server-unreachable', `${where} closed the connection (${conditionName(err.condition)}).`);
  }
  return new MessengerError('internal', `Could not connect to ${where}.`);
}
