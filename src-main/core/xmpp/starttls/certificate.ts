// Untrusted server certificates (issue 15, "Certificates"), as Gajim handles them: the details of
// a certificate the system's roots (and the extra CA) do not vouch for are shown; the user may
// trust that one certificate for that server only, after a warning; it is pinned per account by
// its SHA-256 fingerprint (profile database, pins.ts). A pinned account accepts exactly that
// certificate: a different one later, even one a CA vouches for, is refused with a warning, and
// the user decides again from its details. RFC 6125 §7.3 ("pinning") describes this "cached
// certificate" exception: the pin replaces the name and chain checks for that account.
import type { PeerCertificate, TLSSocket } from 'node:tls';

/** What the user sees of a server certificate (all public). */
export interface CertificateDetails {
  subject: string;
  issuer: string;
  /** SHA-256 of the DER certificate, upper-case hex pairs joined by ':' (as Node and browsers show it) */
  sha256: string;
  /** ISO 8601 */
  validFrom: string;
  validTo: string;
  /** why the system's trust said no (an OpenSSL code such as UNABLE_TO_VERIFY_LEAF_SIGNATURE), if it did */
  problem?: string;
}

export const SHA256_PIN = /^(?:[0-9A-F]{2}:){31}[0-9A-F]{2}$/;

/** the certificate was not trusted by the system and no pin vouches for it */
export class UntrustedCertificateError extends Error {
  override readonly name = 'UntrustedCertificateError';
  constructor(
    readonly certificate: CertificateDetails,
    readonly code: string,
  ) {
    super(`the server certificate is not trusted (${code})`);
  }
}

/** the account pinned a certificate and the server presents another one */
export class CertificateChangedError extends Error {
  override readonly name = 'CertificateChangedError';
  constructor(readonly certificate: CertificateDetails) {
    super('the server certificate differs from the one trusted for this account');
  }
}

const names = (n: PeerCertificate['subject'] | undefined): string =>
  n
    ? Object.entries(n)
        .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`)
        .join(', ')
    : '';

/** OpenSSL's date as ISO 8601; kept as it came if it does not parse (nothing throws on a strange certificate) */
const iso = (openssl: string): string => {
  const t = Date.parse(openssl);
  return Number.isNaN(t) ? openssl : new Date(t).toISOString();
};

export function certificateDetails(socket: TLSSocket): CertificateDetails {
  const c = socket.getPeerCertificate();
  const problem = socket.authorized ? undefined : String(socket.authorizationError ?? 'UNKNOWN');
  return {
    subject: names(c.subject),
    issuer: names(c.issuer),
    sha256: c.fingerprint256,
    validFrom: iso(c.valid_from),
    validTo: iso(c.valid_to),
    ...(problem ? { problem } : {}),
  };
}

/**
 * The decision on a TLS connection that completed its handshake without rejecting (our own
 * check, before anything is written on it): with a pin, exactly that certificate; without one,
 * what the system's roots and the extra CA accept (chain and name, RFC 6125 §6).
 */
export function checkServerCertificate(socket: TLSSocket, pin: string | undefined): void {
  const details = certificateDetails(socket);
  if (pin !== undefined) {
    if (details.sha256 !== pin) throw new CertificateChangedError(details);
    return;
  }
  if (!socket.authorized) throw new UntrustedCertificateError(details, details.problem ?? 'UNKNOWN');
}
