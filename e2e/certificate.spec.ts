// Issue 15, "Certificates": a server certificate the system does not trust (the stack's is signed
// by a throwaway CA this client is not given) shows its details at sign-in — subject, issuer,
// SHA-256 fingerprint, validity — with a warning; trusting it for that server needs a tick first,
// then signs in; the same choice after "Create account" registers and signs in. The refusal of a different certificate later is tested on the core
// (src-main/core/xmpp/starttls/certificate.integration.test.ts): the shared stack cannot change
// its certificate under a running test.
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Locator, Page } from '@playwright/test';
import type { Stack } from '../scripts/stack/stack';
import { test, expect, skipWithoutElectron } from './fixtures';
import { expectNoSeriousAxeViolations, screen } from './axe-states';
import { launchWebClient } from './support/clients';
import { connection, signIn, signInForm, submitSignIn } from './support/ui';

test.beforeEach(({}, testInfo) => {
  test.skip(...skipWithoutElectron(testInfo.project.name));
});

/** the certificate Prosody serves, read from the stack's configuration (not from the code under test) */
async function stackLeaf(stack: Stack): Promise<X509Certificate> {
  const config = await readFile(stack.configPath, 'utf8');
  return new X509Certificate(await readFile(/certificate = "([^"]+)"/.exec(config)![1]!));
}

/** the refusal in plain words and the certificate's region in the sign-in form, with its SHA-256 checked */
async function refusedWithDetails(page: Page, stack: Stack, leaf: X509Certificate): Promise<Locator> {
  const form = signInForm(page);
  await expect(form.getByRole('alert')).toHaveText("The server's certificate is not trusted, so the connection was stopped to keep your password safe.");
  const details = form.getByRole('region', { name: `Certificate of ${stack.host}` });
  await expect(details.getByTestId('certificate-sha256')).toHaveText(leaf.fingerprint256);
  return details;
}

const tick = (details: Locator) => details.getByRole('checkbox', { name: "I have checked this fingerprint with the server's administrator" }).check();

test('an untrusted certificate shows its details and can be trusted for that server after a warning', async ({ stack, launchClient }) => {
  const leaf = await stackLeaf(stack);
  const name = `hana-${randomBytes(4).toString('hex')}`;
  const hana = { jid: `${name}@${stack.domain}`, password: `pw-${randomBytes(8).toString('hex')}`, host: stack.host, port: stack.port };
  await stack.createAccount(name, hana.password);
  const c = await launchClient('hana', { trustStackCa: false });

  await submitSignIn(c.page, hana, 'sign-in');
  const details = await refusedWithDetails(c.page, stack, leaf);
  await expect(details.getByTestId('certificate-subject')).toContainText(`CN=${stack.domain}`);
  await expect(details.getByTestId('certificate-issuer')).not.toBeEmpty();
  await expect(details.getByTestId('certificate-validity')).toContainText(String(new Date(leaf.validTo).getFullYear()));
  await expect(details.getByRole('note')).toContainText('hands them your password');

  await expectNoSeriousAxeViolations(c.page, 'untrusted certificate');

  // never one click away: the tick comes first
  const trust = details.getByRole('button', { name: `Trust this certificate for ${stack.host} and sign in` });
  await expect(trust).toBeDisabled();
  await tick(details);
  await expectNoSeriousAxeViolations(c.page, 'untrusted certificate, ready to trust');
  await trust.click();
  await expect(connection(c.page)).toHaveText('Online');
});

test('"Create account" against an untrusted certificate offers the same choice, and trusting it creates the account', async ({ stack, launchClient }) => {
  const leaf = await stackLeaf(stack);
  // a name nobody has: the account is made by the client (XEP-0077), not by the stack
  const ivo = {
    jid: `ivo-${randomBytes(4).toString('hex')}@${stack.domain}`,
    password: `pw-${randomBytes(8).toString('hex')}`,
    host: stack.host,
    port: stack.port,
  };
  const c = await launchClient('ivo', { trustStackCa: false });

  await submitSignIn(c.page, ivo, 'create');
  const details = await refusedWithDetails(c.page, stack, leaf);
  const trust = details.getByRole('button', { name: `Trust this certificate for ${stack.host} and create the account` });
  await expect(trust).toBeDisabled();
  await tick(details);
  await trust.click();
  await expect(connection(c.page)).toHaveText('Online', { timeout: 60_000 });
  // the pin holds: after a restart the account connects without asking
  await c.restart();
  await expect(connection(c.page)).toHaveText('Online', { timeout: 60_000 });
});

test('an existing account whose server certificate is no longer trusted: the details beside what was trusted, and trusting it connects', async ({
  stack,
  browser,
}, testInfo) => {
  test.skip(testInfo.project.name !== 'web', 'starts the browser host twice on one profile, with and without the CA');
  const leaf = await stackLeaf(stack);
  const name = `lena-${randomBytes(4).toString('hex')}`;
  const lena = { jid: `${name}@${stack.domain}`, password: `pw-${randomBytes(8).toString('hex')}`, host: stack.host, port: stack.port };
  await stack.createAccount(name, lena.password);
  const profileDir = mkdtempSync(join(tmpdir(), 'e2e-profile-lena-'));
  let c = await launchWebClient(browser, { name: 'lena', profileDir, caFile: stack.caCertPath });
  try {
    // signed in while the CA vouched for the certificate: nothing pinned
    await signIn(c.page, lena, 'sign-in');
    await c.close();
    // the same profile, and the CA no longer trusted (as when a server's CA is dropped or its
    // certificate replaced by one nobody vouches for): the account is refused at start
    c = await launchWebClient(browser, { name: 'lena', profileDir, caFile: null });
    await expect(connection(c.page)).toHaveText(/Not connected/, { timeout: 60_000 });
    await screen(c.page, 'certificate-refused');
    await c.page.getByRole('button', { name: "Check the server's certificate…" }).click();
    const dialog = c.page.getByRole('dialog', { name: `Server certificate of ${lena.jid}` });
    await expect(dialog.getByTestId('certificate-sha256')).toHaveText(leaf.fingerprint256);
    await expect(dialog).toContainText(`You have not trusted a certificate of ${stack.host} by hand.`);
    await expect(dialog.getByTestId('certificate-pinned')).toHaveCount(0);
    await expect(dialog.getByRole('note')).toContainText('what someone intercepting the connection would show');
    const trust = dialog.getByRole('button', { name: 'Trust the new certificate and connect' });
    await expect(trust).toBeDisabled();
    await dialog.getByRole('checkbox', { name: "I have checked the new fingerprint with the server's administrator" }).check();
    await screen(c.page, 'changed-certificate');
    await trust.click();
    await expect(dialog).toHaveCount(0);
    await expect(connection(c.page)).toHaveText('Online', { timeout: 60_000 });
    // now pinned: the dialog, opened again from a restart's refusal, would show it; a restart connects
    await c.restart();
    await expect(connection(c.page)).toHaveText('Online', { timeout: 60_000 });
  } finally {
    await c.close();
    rmSync(profileDir, { recursive: true, force: true });
  }
});
