// One throwaway CA for several local domains (scripts/stack/two-domains.ts): each Prosody and
// each push server gets a leaf signed by it, so that server-to-server TLS and federation verify
// certificates (RFC 6120 §13.7.2; docs/push-server.md "Federation requires https"). Made with the
// openssl CLI; deleted with the stack's directory. The one-domain stack uses it too (certs.ts).
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim() || String(e)}`);
  }
}

export interface SharedCa {
  caPem: string;
  caCertPath: string;
  /** a leaf for `domain` and `extraNames` (and 127.0.0.1), usable as TLS server and client */
  leaf(domain: string, extraNames?: string[]): Promise<{ certPath: string; keyPath: string }>;
}

/** `label` names the CA in its subject (which stack made it) */
export async function makeSharedCa(dir: string, label = 'two-domain stack'): Promise<SharedCa> {
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.crt');
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
      `/CN=Messenger ${label} CA ${process.pid}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-out',
      caCert,
    ],
    dir,
  );
  return {
    caPem: await readFile(caCert, 'utf8'),
    caCertPath: caCert,
    async leaf(domain, extraNames = []) {
      const key = join(dir, `${domain}.key`);
      const csr = join(dir, `${domain}.csr`);
      const cert = join(dir, `${domain}.crt`);
      const ext = join(dir, `${domain}.ext`);
      await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key], dir);
      await openssl(['req', '-new', '-key', key, '-subj', `/CN=${domain}`, '-out', csr], dir);
      const names = [domain, ...extraNames].map((n, i) => `DNS.${i + 1} = ${n}`);
      // serverAuth and clientAuth: in s2s each server is the TLS client of the other
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
      await openssl(
        ['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-days', '2', '-sha256', '-extfile', ext, '-out', cert],
        dir,
      );
      return { certPath: cert, keyPath: key };
    },
  };
}
