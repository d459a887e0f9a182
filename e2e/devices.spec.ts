// Issue 15, "Devices": the devices page of a contact (from the conversation's Privacy menu) and of
// oneself (from the account in the sidebar): each device with first and last seen, its key,
// verified or not, and "Forget this device" behind a confirmation whose Cancel has the focus.
// The 30-day staleness and its order are unit-tested (src-main/core/otr/devices.test.ts): the
// real clock cannot be moved here.
import { test, expect, skipWithoutElectron } from './fixtures';
import { expectNoSeriousAxeViolations } from './axe-states';
import { contactsPair, expectState, goPrivate, privacyAction, verifyDialog } from './otr-support';
import { openAccount } from './support/ui';

test.beforeEach(({}, testInfo) => {
  test.skip(...skipWithoutElectron(testInfo.project.name));
});

test('devices: the contact’s device with its key, verified state, and forgetting it; one’s own device', async ({ stack, launchClient }) => {
  const pair = await contactsPair(stack, launchClient);
  const { a, b, bob } = pair;
  await goPrivate(pair);

  // Bob's own page, from his account in the sidebar: this device, its key, nothing to forget
  await (await openAccount(b.page, bob.jid)).getByRole('button', { name: 'Your devices…' }).click();
  const own = b.page.getByRole('dialog', { name: `Your devices (${bob.jid})` });
  const thisDevice = own.getByRole('listitem', { name: 'This device' });
  await expect(thisDevice).toBeVisible();
  await expect(thisDevice).toContainText('Verified');
  await expect(thisDevice.getByRole('button', { name: 'Forget this device' })).toHaveCount(0);
  const bobKey = await thisDevice.getByLabel('Fingerprint of This device').getAttribute('data-fingerprint');
  const bobTag = await thisDevice.getAttribute('data-instance-tag');
  await b.page.keyboard.press('Escape');
  await expect(own).toHaveCount(0);

  // Alice's page of Bob, from the Privacy menu: his one device, the same key, not verified
  await privacyAction(a.page, 'Devices…');
  const page = a.page.getByRole('dialog', { name: `Devices of ${bob.jid}` });
  const devices = page.getByRole('list', { name: 'Devices' }).getByRole('listitem');
  await expect(devices).toHaveCount(1);
  const device = devices.first();
  await expect(device).toHaveAttribute('data-instance-tag', bobTag!);
  await expect(device).toHaveAttribute('data-stale', 'false');
  await expect(device.locator('[data-fingerprint]')).toHaveAttribute('data-fingerprint', bobKey!);
  await expect(device).toContainText('Not verified');
  await expect(device).toContainText('First seen');
  await expect(device).toContainText('Last seen');
  await expectNoSeriousAxeViolations(a.page, 'devices of a contact');
  await page.getByRole('button', { name: 'Close' }).click();

  // verified by safety number: the device shows it
  await privacyAction(a.page, 'Verify contact');
  await verifyDialog(a.page, bob.jid).getByRole('radio', { name: 'Compare safety numbers' }).check();
  await verifyDialog(a.page, bob.jid).getByRole('button', { name: 'They match' }).click();
  await expectState(a.page, 'Private (verified)');
  await a.page.keyboard.press('Escape');
  await privacyAction(a.page, 'Devices…');
  await expect(devices.first()).toContainText('Verified');
  await expect(devices.first()).not.toContainText('Not verified');

  // forget it: a confirmation with Cancel focused; Escape leaves it and the device stays
  await devices.first().getByRole('button', { name: 'Forget this device' }).click();
  const confirm = page.getByRole('group', { name: 'Forget this device?' });
  await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await expectNoSeriousAxeViolations(a.page, 'forget a device?');
  await a.page.keyboard.press('Escape');
  await expect(confirm).toHaveCount(0);
  await expect(page).toBeVisible();
  await devices.first().getByRole('button', { name: 'Forget this device' }).click();
  await confirm.getByRole('button', { name: 'Forget' }).click();
  await expect(page.getByText('No devices yet')).toBeVisible();
  // its key's trust went with it: the conversation is no longer verified
  await expectState(a.page, 'Private (unverified)');
  await a.page.keyboard.press('Escape');
  await expect(page).toHaveCount(0);
});
