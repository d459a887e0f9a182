// Several accounts in one window (docs/ui.md "Several accounts"): one messenger signs in with two
// accounts of the local stack, the second added from the signed-in window ("Add another
// account"). Each account has its own block in the sidebar (sorted by address) with its own
// connection, requests and contacts; a contact of the second account only is listed under it and
// not under the first; messages flow both ways in that account's conversation; taking one account
// offline leaves the other online and chatting; after a restart both accounts are back; removing
// one leaves the other as it was. Runs in the `web` project and, where an Electron binary exists,
// in the `electron` project.
import { randomBytes } from 'node:crypto';
import { test, expect, skipWithoutElectron } from './fixtures';
import {
  account,
  accountConnection,
  accountContact,
  addAccountForm,
  addAnotherAccount,
  addContact,
  addContactTo,
  connection,
  contact,
  message,
  openAccount,
  send,
  signIn,
  submitSignIn,
  type Credentials,
} from './support/ui';

test.beforeEach(({}, testInfo) => {
  test.skip(...skipWithoutElectron(testInfo.project.name));
});

test('one window with two accounts: separate contacts and conversations, one offline while the other chats, both back after a restart', async ({
  stack,
  launchClient,
}) => {
  const run = randomBytes(4).toString('hex');
  const user = (name: string): Credentials => ({
    jid: `${name}-${run}@${stack.domain}`,
    password: `pw-${name}-${randomBytes(8).toString('hex')}`,
    host: stack.host,
    port: stack.port,
  });
  // mia signs in first; lea is added second and sorts before her; ted is a contact of lea only
  const mia = user('mia');
  const lea = user('lea');
  const ted = user('ted');
  for (const [name, who] of [
    ['mia', mia],
    ['lea', lea],
    ['ted', ted],
  ] as const)
    await stack.createAccount(`${name}-${run}`, who.password);

  const m = await launchClient('mia-and-lea');
  const t = await launchClient('ted');
  await signIn(m.page, mia, 'sign-in');
  await signIn(t.page, ted, 'sign-in');

  // "Add another account" opens the sign-in form beside the sidebar; Cancel goes back
  const addButton = m.page.getByRole('button', { name: 'Add another account' });
  await addButton.click();
  await expect(addAccountForm(m.page)).toBeVisible();
  await expect(addAccountForm(m.page).getByLabel('Address')).toBeFocused();
  await expect(accountConnection(m.page, mia.jid)).toHaveText('Online');
  await addAccountForm(m.page).getByRole('button', { name: 'Cancel' }).click();
  await expect(addAccountForm(m.page)).toHaveCount(0);
  await expect(addButton).toBeFocused();
  await expect(m.page.getByRole('region', { name: /^Account / })).toHaveCount(1);
  // a failed attempt says why in the form and leaves nothing behind
  await addButton.click();
  await submitSignIn(m.page, { ...lea, password: 'not-the-password' }, 'sign-in', addAccountForm(m.page));
  await expect(addAccountForm(m.page).getByRole('alert')).toHaveText('Wrong password, or there is no such account on this server.');
  await expect(m.page.getByRole('region', { name: /^Account / })).toHaveCount(1);
  await addAccountForm(m.page).getByRole('button', { name: 'Cancel' }).click();

  // the second account: both are listed, sorted by address, each online
  await addAnotherAccount(m.page, lea, 'sign-in');
  const blocks = m.page.getByRole('complementary').getByRole('region', { name: /^Account / });
  await expect(blocks).toHaveCount(2);
  await expect(blocks.nth(0)).toHaveAccessibleName(`Account ${lea.jid}`);
  await expect(blocks.nth(1)).toHaveAccessibleName(`Account ${mia.jid}`);
  await expect(accountConnection(m.page, lea.jid)).toHaveText('Online');
  await expect(accountConnection(m.page, mia.jid)).toHaveText('Online');

  // ted asks lea: the request shows under lea only, and is approved there
  await addContact(t.page, lea.jid);
  await expect(account(m.page, lea.jid).getByRole('region', { name: 'Contact requests' })).toContainText(ted.jid);
  await expect(account(m.page, mia.jid).getByRole('region', { name: 'Contact requests' })).toHaveCount(0);
  await account(m.page, lea.jid)
    .getByRole('button', { name: `Approve ${ted.jid}` })
    .click();
  await expect(accountContact(m.page, lea.jid, ted.jid)).toContainText('Online');
  await expect(contact(t.page, lea.jid)).toContainText('Online');
  // mia's contact list does not show ted
  await expect(accountContact(m.page, mia.jid, ted.jid)).toHaveCount(0);

  // adding a contact says which account it goes to: this one goes to mia, not to lea
  const nobody = `nobody-${run}@${stack.domain}`;
  await addContactTo(m.page, mia.jid, nobody);
  await expect(accountContact(m.page, lea.jid, nobody)).toHaveCount(0);

  // ted -> lea: unread under lea; the conversation is lea's
  const hello = `Hello lea, ted here (${run})`;
  await contact(t.page, lea.jid).click();
  await send(t.page, hello);
  await expect(accountContact(m.page, lea.jid, ted.jid)).toContainText('1 unread');
  await accountContact(m.page, lea.jid, ted.jid).click();
  const conversation = m.page.getByRole('main', { name: `Conversation with ${ted.jid}` });
  await expect(conversation.getByTestId('conversation-account')).toHaveText(`as ${lea.jid}`);
  await expect(message(m.page, hello)).toBeVisible();
  await expect(accountContact(m.page, lea.jid, ted.jid)).not.toContainText('unread');
  await expect(message(t.page, hello)).toContainText('Delivered');

  // lea -> ted
  const reply = `Hi ted, lea answers (${run})`;
  await send(m.page, reply);
  await expect(message(t.page, reply)).toBeVisible();
  await expect(message(m.page, reply)).toContainText('Delivered');

  // mia goes offline; lea stays online and keeps chatting
  await (await openAccount(m.page, mia.jid)).getByRole('button', { name: 'Go offline' }).click();
  await expect(accountConnection(m.page, mia.jid)).toHaveText('Offline');
  await expect(accountConnection(m.page, lea.jid)).toHaveText('Online');
  await expect(contact(t.page, lea.jid)).toContainText('Online');
  const meanwhile = `lea is still here while mia is offline (${run})`;
  await send(m.page, meanwhile);
  await expect(message(t.page, meanwhile)).toBeVisible();
  await expect(message(m.page, meanwhile)).toContainText('Delivered');
  const back = `ted answers lea while mia is offline (${run})`;
  await send(t.page, back);
  await expect(message(m.page, back)).toBeVisible();
  await (await openAccount(m.page, mia.jid)).getByRole('button', { name: 'Connect' }).click();
  await expect(accountConnection(m.page, mia.jid)).toHaveText('Online');

  // after a restart both accounts are back, with their own contacts and lea's history
  await m.restart();
  await expect(accountConnection(m.page, lea.jid)).toHaveText('Online', { timeout: 60_000 });
  await expect(accountConnection(m.page, mia.jid)).toHaveText('Online', { timeout: 60_000 });
  await expect(blocks.nth(0)).toHaveAccessibleName(`Account ${lea.jid}`);
  await expect(blocks.nth(1)).toHaveAccessibleName(`Account ${mia.jid}`);
  await expect(accountContact(m.page, mia.jid, nobody)).toBeVisible();
  await expect(accountContact(m.page, mia.jid, ted.jid)).toHaveCount(0);
  await accountContact(m.page, lea.jid, ted.jid).click();
  for (const text of [hello, reply, meanwhile, back]) await expect(message(m.page, text)).toHaveCount(1);

  // removing mia leaves lea and the open conversation as they were; the window is a one-account window again
  await (await openAccount(m.page, mia.jid)).getByRole('button', { name: 'Remove account' }).click();
  await account(m.page, mia.jid).getByRole('dialog', { name: 'Remove account' }).getByRole('button', { name: 'Remove' }).click();
  await expect(account(m.page, mia.jid)).toHaveCount(0);
  await expect(connection(m.page)).toHaveText('Online');
  await expect(message(m.page, hello)).toBeVisible();
  await expect(m.page.getByRole('form', { name: 'Add a contact' }).getByRole('combobox')).toHaveCount(0);
});
