// A throwaway certificate authority and a server certificate for the local stack, made with the
// `openssl` CLI. Nothing here is meant to be trusted beyond one run: the CA key is written next to
// the certificates in the stack's private temp directory and deleted with it.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface StackCertificates {
  caPem: string;
  caCertPath: string;
  certPath: string;
  keyPath: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim() || String(e)}`);
  }
}

/**
 * Makes a CA and a certificate for `domain` (and its subdomains used by components), valid for
 * 127.0.0.1 too (RFC 6125 §6.4: the client checks the DNS-ID of the XMPP domain it asked for).
 */
export async function makeCertificates(dir: string, domain: string, extraNames: string[] = []): Promise<StackCertificates> {
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.crt');
  const key = join(dir, `${domain}.key`);
  const csr = join(dir, `${domain}.csr`);
  const cert = join(dir, `${domain}.crt`);
  const ext = join(dir, `${domain}.ext`);

  // EC P-256 keeps generation fast; Prosody's OpenSSL accepts it for TLS 1.2 and 1.3.
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', caKey], dir);
  await openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      caKey,
      '-sha256',
      '-days',
      '2',
      '-subj',
      `/CN=Messenger local stack CA ${process.pid}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-out',
      caCert,
    ],
    dir,
  );
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key], dir);
  await openssl(['req', '-new', '-key', key, '-subj', `/CN=${domain}`, '-out', csr], dir);
  const names = [domain, ...extraNames].map((n, i) => `DNS.${i + 1} = ${n}`);
  await writeFile(
    ext,
    [
      'basicConstraints = CA:FALSE',
      'keyUsage = critical, digitalSignature, keyEncipherment',
      'extendedKeyUsage = serverAuth, clientAuth',
      'subjectAltName = @alt',
      '[alt]',
      ...names,
      'IP.1 = 127.0.0.1',
      '',
    ].join('\n'),
  );
  await openssl(['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-days', '2', '-sha256', '-extfile', ext, '-out', cert], dir);
  return { caPem: await readFile(caCert, 'utf8'), caCertPath: caCert, certPath: cert, keyPath: key };
}
