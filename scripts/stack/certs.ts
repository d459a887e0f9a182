// A throwaway certificate authority and a server certificate for the local stack, made with the
// `openssl` CLI (by the shared CA of shared-ca.ts, with one leaf). Nothing here is meant to be
// trusted beyond one run: the CA key is written next to the certificates in the stack's private
// temp directory and deleted with it.
import { makeSharedCa } from './shared-ca';

export interface StackCertificates {
  caPem: string;
  caCertPath: string;
  certPath: string;
  keyPath: string;
}

/**
 * Makes a CA and a certificate for `domain` (and its subdomains used by components), valid for
 * 127.0.0.1 too (RFC 6125 §6.4: the client checks the DNS-ID of the XMPP domain it asked for).
 * EC P-256 keeps generation fast; Prosody's and ejabberd's OpenSSL accept it for TLS 1.2 and 1.3.
 */
export async function makeCertificates(dir: string, domain: string, extraNames: string[] = []): Promise<StackCertificates> {
  const ca = await makeSharedCa(dir, 'local stack');
  const leaf = await ca.leaf(domain, extraNames);
  return { caPem: ca.caPem, caCertPath: ca.caCertPath, ...leaf };
}
