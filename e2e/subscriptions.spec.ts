// Answering a subscription request with "Deny" (RFC 6121 §3.2): the request goes away on the
// denying side, the asking side stops waiting and sees no presence.
import { randomBytes } from 'node:crypto';
import { test, expect, skipWithoutElectron } from './fixtures';
import { addContact, contact, signIn } from './support/ui';

test.beforeEach(({}, testInfo) => {
  test.skip(...skipWithoutElectron(testInfo.project.name));
});

test('a denied contact request leaves the asker without presence', async ({ stack, launchClient }) => {
  const run = randomBytes(4).toString('hex');
  const erin = { jid: `erin-${run}@${stack.domain}`, password: `pw-${randomBytes(8).toString('hex')}`, host: stack.host, port: stack.port };
  const frank = { jid: `frank-${run}@${stack.domain}`, password: `pw-${randomBytes(8).toString('hex')}`, host: stack.host, port: stack.port };
  await stack.createAccount(`erin-${run}`, erin.password);
  await stack.createAccount(`frank-${run}`, frank.password);
  const e = await launchClient('erin');
  const f = await launchClient('frank');
  await signIn(e.page, erin, 'sign-in');
  await signIn(f.page, frank, 'sign-in');

  await addContact(e.page, frank.jid);
  await expect(contact(e.page, frank.jid)).toContainText('Waiting for approval');
  const requests = f.page.getByRole('region', { name: 'Contact requests' });
  await expect(requests).toContainText(erin.jid);
  await f.page.getByRole('button', { name: `Deny ${erin.jid}` }).click();
  await expect(requests).toHaveCount(0);
  // A stranger whose request was denied does not become a contact.
  await expect(contact(f.page, erin.jid)).toHaveCount(0);
  await expect(contact(e.page, frank.jid)).toContainText('Offline · Not sharing presence');
});
