// Writing while offline: the message is kept ("Sending…"), goes out when the account connects
// again, and is delivered once — the UI side of the core's outgoing queue (issue 7, item 3).
import { randomBytes } from 'node:crypto';
import { test, expect, skipWithoutElectron } from './fixtures';
import { becomeContacts, connection, contact, message, openAccount, send } from './support/ui';
import { signedInUsers } from './support/users';

test.beforeEach(({}, testInfo) => {
  test.skip(...skipWithoutElectron(testInfo.project.name));
});

test('a message written while offline is sent on reconnect and delivered once', async ({ stack, launchClient }) => {
  const run = randomBytes(4).toString('hex');
  const [{ who: gina, client: g }, { who: hal, client: h }] = await signedInUsers(stack, launchClient, 'gina', 'hal');
  await becomeContacts(g.page, gina.jid, h.page, hal.jid);

  await (await openAccount(g.page)).getByRole('button', { name: 'Go offline' }).click();
  await expect(connection(g.page)).toHaveText('Offline');
  await expect(contact(h.page, gina.jid)).toContainText('Offline');

  const text = `written offline (${run})`;
  await contact(g.page, hal.jid).click();
  await send(g.page, text);
  await expect(message(g.page, text)).toContainText('Sending…');

  await (await openAccount(g.page)).getByRole('button', { name: 'Connect' }).click();
  await expect(connection(g.page)).toHaveText('Online');
  await expect(message(g.page, text)).toContainText('Delivered');
  await contact(h.page, gina.jid).click();
  await expect(message(h.page, text)).toBeVisible();
  await expect(message(h.page, text)).toHaveCount(1);
});
