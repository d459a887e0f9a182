// Connection failures in plain words, mapped to the contract's ErrorCode (src-shared/ipc/result).
// Messages never carry a password or key; they are shown to people as they are.
import { MessengerError } from '../../src-shared/ipc/result';
import { InsecureStreamError } from './xmpp/client/client';
import { StartTlsRefusedError } from './xmpp/starttls/starttls';

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

const NET_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED', 'EADDRNOTAVAIL']);

interface ErrorLike {
  name?: string;
  code?: string;
  condition?: string;
  message?: string;
}

export function toMessengerError(e: unknown, where: string): MessengerError {
  if (e instanceof MessengerError) return e;
  const err = (typeof e === 'object' && e !== null ? e : {}) as ErrorLike;
  if (err.code && CERT_CODES.has(err.code)) {
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
    return new MessengerError('auth-failed', `Signing in to ${where} failed (${err.condition ?? 'SASL error'}).`);
  }
  if (err.code && NET_CODES.has(err.code)) {
    return new MessengerError('server-unreachable', `${where} cannot be reached (${err.code}). Check the server name, port and network.`);
  }
  if (err.name === 'TimeoutError') {
    return new MessengerError('server-unreachable', `${where} did not answer in time.`);
  }
  if (err.name === 'StreamError') {
    if (err.condition === 'host-unknown') return new MessengerError('server-unreachable', `${where} does not serve this domain.`);
    return new MessengerError('server-unreachable', `${where} closed the connection (${err.condition ?? 'stream error'}).`);
  }
  return new MessengerError('internal', `Could not connect to ${where}.`);
}
