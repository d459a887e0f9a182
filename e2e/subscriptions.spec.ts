// Answering a subscription request with "Deny" (RFC 6121 §3.2): the request goes away on the
// denying side, the asking side stops waiting and sees no presence.
import { test, expect, skipWithoutElectron } from './fixtures';
import { addContact, contact } from './support/ui';
import { signedInUsers } from './support/users';

test.beforeEach(({}, testInfo) => {
  test.skip(...skipWithoutElectron(testInfo.project.name));
});

test('a denied contact request leaves the asker without presence', async ({ stack, launchClient }) => {
  const [{ who: erin, client: e }, { who: frank, client: f }] = await signedInUsers(stack, launchClient, 'erin', 'frank');

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
