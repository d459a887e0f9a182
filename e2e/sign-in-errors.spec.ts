// Issue 7, item 5: sign-in errors in plain words, against the real server — wrong password,
// server unreachable, certificate not trusted, account already exists — and a failed attempt
// leaves nothing behind: the form stays, and signing in right afterwards works.
import { randomBytes } from 'node:crypto';
import { freePort } from '../scripts/stack/stack';
import { test, expect, skipWithoutElectron } from './fixtures';
import { connection, openAccount, signIn, signInForm, submitSignIn } from './support/ui';

test.beforeEach(({}, testInfo) => {
  test.skip(...skipWithoutElectron(testInfo.project.name));
});

test('sign-in errors are said in plain words and leave nothing behind', async ({ stack, launchClient }) => {
  const name = `carol-${randomBytes(4).toString('hex')}`;
  const carol = { jid: `${name}@${stack.domain}`, password: `pw-${randomBytes(8).toString('hex')}`, host: stack.host, port: stack.port };
  await stack.createAccount(name, carol.password);
  const c = await launchClient('carol');
  const alert = signInForm(c.page).getByRole('alert');

  await submitSignIn(c.page, { ...carol, password: 'not-the-password' }, 'sign-in');
  await expect(alert).toHaveText('Wrong password, or there is no such account on this server.');

  await submitSignIn(c.page, carol, 'create');
  await expect(alert).toContainText('This account already exists on the server');

  // A port on which nothing listens.
  await submitSignIn(c.page, { ...carol, port: await freePort() }, 'sign-in');
  await expect(alert).toContainText('The server could not be reached');

  // Nothing was stored by the failures: the form is still there, and the right password works.
  await signIn(c.page, carol, 'sign-in');
  await expect(connection(c.page)).toHaveText('Online');

  // Removing the account takes it off this profile (not off the server): signing in again works.
  await (await openAccount(c.page)).getByRole('button', { name: 'Remove account' }).click();
  await c.page.getByRole('dialog', { name: 'Remove account' }).getByRole('button', { name: 'Remove' }).click();
  await expect(signInForm(c.page)).toBeVisible();
  await signIn(c.page, carol, 'sign-in');
});

test('a server whose certificate is not trusted is refused, in plain words', async ({ stack, launchClient }) => {
  const name = `dan-${randomBytes(4).toString('hex')}`;
  const dan = { jid: `${name}@${stack.domain}`, password: `pw-${randomBytes(8).toString('hex')}`, host: stack.host, port: stack.port };
  await stack.createAccount(name, dan.password);
  // This client does not get the stack's throwaway CA (no --ca-file).
  const d = await launchClient('dan', { trustStackCa: false });
  await submitSignIn(d.page, dan, 'sign-in');
  await expect(signInForm(d.page).getByRole('alert')).toHaveText(
    "The server's certificate is not trusted, so the connection was stopped to keep your password safe.",
  );
  await expect(connection(d.page)).toHaveCount(0);
});
