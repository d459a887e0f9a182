// Issue 13, "one conversation, several devices", in the window: Bob's second device (a second
// client signed in to his account) starts its own private session while Alice's conversation with
// his first one runs. Alice sees one calm "New device of …" item with its fingerprint and *Verify*
// (never the key-change warning); in the devices dialog each of Bob's two devices has "Send my
// messages to this device", operable by keyboard, and with only the laptop ticked her next message
// reaches only the laptop. Core side: src-main/core/otr/new-device.integration.test.ts.
import { test, expect, skipWithoutElectron } from './fixtures';
import { expectNoSeriousAxeViolations } from './axe-states';
import { contactsPair, expectState, goPrivate, notice, privacyAction, verifyDialog } from './otr-support';
import { contact, message, openAccount, send, signIn } from './support/ui';

test.beforeEach(({}, testInfo) => {
  test.skip(...skipWithoutElectron(testInfo.project.name));
});

test('a new device of the contact: announced once, calmly, and the user picks which devices get their messages', async ({ stack, launchClient }) => {
  const pair = await contactsPair(stack, launchClient);
  const { a, b, alice, bob } = pair;
  await goPrivate(pair);

  // the phone's instance tag, from Bob's own devices page
  await (await openAccount(b.page, bob.jid)).getByRole('button', { name: 'Your devices…' }).click();
  const own = b.page.getByRole('dialog', { name: `Your devices (${bob.jid})` });
  const phoneTag = await own.getByRole('listitem', { name: 'This device' }).getAttribute('data-instance-tag');
  await b.page.keyboard.press('Escape');
  await expect(own).toHaveCount(0);

  // Bob's laptop signs in and starts a private conversation with Alice
  const laptop = await launchClient('bob-laptop');
  await signIn(laptop.page, bob, 'sign-in');
  await contact(laptop.page, alice.jid).click();
  await privacyAction(laptop.page, 'Start private conversation');
  await expectState(laptop.page, 'Private (unverified)');

  // Alice: one calm item, with the fingerprint and Verify; no key-change warning
  const added = notice(a.page, 'new-device');
  await expect(added).toHaveCount(1);
  await expect(added).toContainText(`New device of ${bob.jid}`);
  await expect(added).not.toHaveClass(/warning/);
  await expect(added.locator('[data-fingerprint]')).toHaveCount(1);
  await expectNoSeriousAxeViolations(a.page, 'a new device notice');
  await expect(notice(a.page, 'fingerprint-changed')).toHaveCount(0);
  await added.getByRole('button', { name: `Verify the new device of ${bob.jid}` }).click();
  await expect(verifyDialog(a.page, bob.jid)).toBeVisible();
  await a.page.keyboard.press('Escape');
  await expect(verifyDialog(a.page, bob.jid)).toHaveCount(0);

  // the devices dialog: a checkbox per device with a session, both ticked
  await privacyAction(a.page, 'Devices…');
  const dialog = a.page.getByRole('dialog', { name: `Devices of ${bob.jid}` });
  const boxes = dialog.getByRole('checkbox', { name: 'Send my messages to this device' });
  await expect(boxes).toHaveCount(2);
  const phoneItem = dialog.locator(`li[data-instance-tag="${phoneTag}"]`);
  const laptopItem = dialog.locator(`li.device:not([data-instance-tag="${phoneTag}"])`);
  const phoneBox = phoneItem.getByRole('checkbox', { name: 'Send my messages to this device' });
  const laptopBox = laptopItem.getByRole('checkbox', { name: 'Send my messages to this device' });
  await expect(phoneBox).toBeChecked();
  await expect(laptopBox).toBeChecked();
  // by keyboard: the phone is unticked; the laptop, the last one ticked, cannot be
  await phoneBox.focus();
  await a.page.keyboard.press('Space');
  await expect(phoneBox).not.toBeChecked();
  await expect(laptopBox).toBeDisabled();
  await expectNoSeriousAxeViolations(a.page, 'devices of a contact with two sessions');
  await a.page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);

  // the next message reaches the laptop only
  await send(a.page, 'only to the laptop');
  await expect(message(laptop.page, 'only to the laptop')).toBeVisible();

  // all devices again: the phone gets the next one, and had nothing before it
  await privacyAction(a.page, 'Devices…');
  await phoneBox.check();
  await expect(laptopBox).toBeEnabled();
  await a.page.keyboard.press('Escape');
  await send(a.page, 'to both again');
  await expect(message(b.page, 'to both again')).toBeVisible();
  await expect(message(laptop.page, 'to both again')).toBeVisible();
  await expect(message(b.page, 'only to the laptop')).toHaveCount(0);
  // said once
  await expect(notice(a.page, 'new-device')).toHaveCount(1);
});
