// Untrusted server certificates on the real local stack (issue 15, "Certificates"): the stack's
// certificate is signed by a throwaway CA that these cores are NOT given (no extraCaPem), as a
// self-hosted server's would be. Signing in is refused; the certificate's details are fetched
// without signing in; trusting exactly that certificate (pinned in the profile) signs in, also
// after a restart; a pin of another certificate is refused as a changed certificate; an existing
// account whose server certificate changed shows the old and the new fingerprint, and trusting
// the new one (account.trustCertificate) signs in again.
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../../../scripts/stack/stack';
import { closeAndRemove, startCore, type TestCore } from '../../test-support/harness';

let stack: Stack;
let leaf: X509Certificate;
const cores: TestCore[] = [];

beforeAll(async () => {
  stack = await startStack();
  // the certificate Prosody serves, read from its configuration (not from the code under test)
  const config = await readFile(stack.configPath, 'utf8');
  const path = /certificate = "([^"]+)"/.exec(config)?.[1];
  if (!path) throw new Error('no certificate in the stack configuration');
  leaf = new X509Certificate(await readFile(path));
}, 120_000);

afterAll(async () => {
  await closeAndRemove(cores);
  await stack?.stop();
});

async function core(extraCaPem?: string, reuse?: TestCore): Promise<TestCore> {
  const c = await startCore({
    ...(extraCaPem ? { extraCaPem } : {}),
    ...(reuse ? { profileDir: reuse.profileDir, keychainService: reuse.keychainService } : {}),
  });
  cores.push(c);
  return c;
}

async function user(prefix: string) {
  const name = `${prefix}-${Math.random().toString(16).slice(2, 10)}`;
  const password = `pw-${Math.random().toString(16).slice(2)}`;
  await stack.createAccount(name, password);
  return { jid: `${name}@${stack.domain}`, password, host: stack.host, port: stack.port };
}

describe('server certificates not trusted by the system', () => {
  it('refuses, shows the details, signs in once the user trusts that certificate, and keeps the pin', async () => {
    const c = await core();
    const u = await user('erin');
    await expect(c.core.handlers['account.add'](u)).rejects.toMatchObject({ code: 'certificate-untrusted' });
    expect((await c.core.handlers['app.snapshot']({})).accounts).toEqual([]);

    const cert = await c.core.handlers['account.certificate']({ jid: u.jid, host: u.host, port: u.port });
    expect(cert).toMatchObject({ server: stack.host, trusted: false, sha256: leaf.fingerprint256 });
    expect(cert.problem).toMatch(/^[A-Z_]+$/);
    expect(cert.subject).toContain(`CN=${stack.domain}`);
    expect(leaf.issuer.replace(/\n/g, ', ')).toContain(cert.issuer.split(', ').find((p) => p.startsWith('CN='))!);
    expect(cert.validFrom).toBe(new Date(leaf.validFrom).toISOString());
    expect(cert.validTo).toBe(new Date(leaf.validTo).toISOString());

    // trusted for this account: signs in, and again after going offline
    const info = await c.core.handlers['account.add']({ ...u, trustCertificate: cert.sha256 });
    expect(info.status).toBe('online');
    await c.core.handlers['account.disconnect']({ accountId: info.id });
    expect((await c.core.handlers['account.connect']({ accountId: info.id })).status).toBe('online');

    // the pin is in the profile: a restart of the messenger connects without asking
    await c.close();
    const again = await core(undefined, c);
    await again.waitFor('account.updated', (a) => a.id === info.id && a.status === 'online', 60_000);
  });

  it('refuses a certificate other than the one trusted, with a warning, even one a CA vouches for', async () => {
    const u = await user('frank');
    const ca = new X509Certificate(stack.caPem);
    for (const c of [await core(), await core(stack.caPem)]) {
      const refused = c.core.handlers['account.add']({ ...u, trustCertificate: ca.fingerprint256 });
      await expect(refused).rejects.toMatchObject({ code: 'certificate-untrusted', message: expect.stringContaining('changed since you trusted it') });
      expect((await c.core.handlers['app.snapshot']({})).accounts).toEqual([]);
    }
  });

  it('an existing account whose certificate changed: old and new fingerprints; trusting the new one signs in', async () => {
    const c = await core();
    const u = await user('hugo');
    const info = await c.core.handlers['account.add']({ ...u, trustCertificate: leaf.fingerprint256 });
    expect(info.status).toBe('online');
    expect((await c.core.handlers['account.serverCertificate']({ accountId: info.id })).pinned).toBe(leaf.fingerprint256);
    // as after the server got a new certificate: the account's pin is another one than it presents
    // (the CA's fingerprint stands for "the old certificate"); the stack cannot change its own
    const old = new X509Certificate(stack.caPem).fingerprint256;
    await c.core.handlers['account.trustCertificate']({ accountId: info.id, sha256: old });
    await c.core.handlers['account.disconnect']({ accountId: info.id });
    const refused = await Promise.resolve(c.core.handlers['account.connect']({ accountId: info.id })).then(
      (a) => a.error,
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({ code: 'certificate-untrusted', message: expect.stringContaining('changed since you trusted it') });

    const seen = await c.core.handlers['account.serverCertificate']({ accountId: info.id });
    expect(seen.pinned).toBe(old);
    expect(seen.current).toMatchObject({ server: stack.host, sha256: leaf.fingerprint256, trusted: false });
    await c.core.handlers['account.trustCertificate']({ accountId: info.id, sha256: seen.current.sha256 });
    expect((await c.core.handlers['account.connect']({ accountId: info.id })).status).toBe('online');
  });

  it('says a certificate the extra CA vouches for is trusted', async () => {
    const c = await core(stack.caPem);
    const u = await user('gina');
    const cert = await c.core.handlers['account.certificate']({ jid: u.jid, host: u.host, port: u.port });
    expect(cert).toMatchObject({ trusted: true, sha256: leaf.fingerprint256 });
    expect(cert.problem).toBeUndefined();
  });
});
