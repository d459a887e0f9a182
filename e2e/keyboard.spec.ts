// Issue 15, dialogs and keyboard, driven by the keyboard only: the skip link reaches the composer
// in one Tab; every dialog takes the focus, keeps it (Tab wraps), closes with Escape or a click
// outside and gives the focus back; the privacy menu works with the arrow keys; the shortcuts
// switch conversations (Alt+Up/Down, Ctrl+1…9), find a contact (Alt+K) and start a new one (Alt+N).
import type { Page } from '@playwright/test';
import { test, expect, skipWithoutElectron } from './fixtures';
import { contactsPair, goPrivate, verifyDialog } from './otr-support';
import { addContact, contact } from './support/ui';

test.beforeEach(({}, testInfo) => {
  test.skip(...skipWithoutElectron(testInfo.project.name));
});

const conversation = (page: Page, jid: string) => page.getByRole('main', { name: `Conversation with ${jid}` });
const composer = (page: Page) => page.getByRole('form', { name: 'Write a message' }).getByRole('textbox', { name: 'Message' });

test('skip link, dialogs, privacy menu and shortcuts work from the keyboard alone', async ({ stack, launchClient }) => {
  const pair = await contactsPair(stack, launchClient);
  const { a, bob, alice } = pair;
  const page = a.page;
  const carol = `carol-${alice.jid}`.replace(/@.*/, `@${stack.domain}`);
  await addContact(page, carol);

  // a fresh page: the first Tab reaches the skip link; Alt+1 opens the first conversation (focus
  // in its composer); from the skip link, Enter puts the focus in the composer
  await page.reload();
  await expect(contact(page, bob.jid)).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to the conversation' })).toBeFocused();
  await page.keyboard.press('Alt+1');
  await expect(conversation(page, bob.jid)).toBeVisible();
  await expect(composer(page)).toBeFocused();
  await page.getByRole('link', { name: 'Skip to the message box' }).focus();
  await page.keyboard.press('Enter');
  await expect(composer(page)).toBeFocused();

  // the privacy menu: Enter opens it on its first item, End/Enter picks "Privacy settings…"
  const privacy = page.getByRole('button', { name: 'Privacy' });
  await privacy.focus();
  await page.keyboard.press('Enter');
  const menu = page.getByRole('menu', { name: 'Privacy' });
  await expect(menu.getByRole('menuitem').first()).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(menu).toHaveCount(0);
  await expect(privacy).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(menu.getByRole('menuitem').first()).toBeFocused();
  await menu.getByRole('menuitem', { name: 'Privacy settings…' }).focus();
  await page.keyboard.press('Enter');
  const settings = page.getByRole('dialog', { name: `Privacy settings for ${bob.jid}` });
  await expect(settings).toBeVisible();
  await expect(settings.getByRole('combobox', { name: `Policy for ${bob.jid}` })).toBeFocused();
  // Tab never leaves the dialog: after many presses the focus is still inside it
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    expect(await settings.evaluate((d) => d.contains(document.activeElement))).toBe(true);
  }
  await page.keyboard.press('Shift+Tab');
  expect(await settings.evaluate((d) => d.contains(document.activeElement))).toBe(true);
  await page.keyboard.press('Escape');
  await expect(settings).toHaveCount(0);
  await expect(privacy).toBeFocused();

  // the verify dialog in "Compare fingerprints" mode has a Close, and a click outside closes it
  await goPrivate(pair);
  await privacy.click();
  await page.getByRole('menuitem', { name: 'Verify contact' }).click();
  const verify = verifyDialog(page, bob.jid);
  await verify.getByRole('radio', { name: 'Compare fingerprints' }).check();
  await expect(verify.getByRole('button', { name: 'Close' })).toBeVisible();
  await page.mouse.click(4, 4);
  await expect(verify).toHaveCount(0);
  await expect(privacy).toBeFocused();

  // the remove confirmation: Cancel has the focus, Escape closes, focus back on "Remove account"
  const remove = page.getByRole('button', { name: 'Remove account' });
  await remove.focus();
  await page.keyboard.press('Enter');
  const confirm = page.getByRole('dialog', { name: 'Remove account' });
  await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(confirm).toHaveCount(0);
  await expect(remove).toBeFocused();

  // shortcuts: Alt+Down / Alt+Up and Ctrl+2 switch conversations (the lists are sorted: bob, carol)
  await expect(conversation(page, bob.jid)).toBeVisible();
  await page.keyboard.press('Alt+ArrowDown');
  await expect(conversation(page, carol)).toBeVisible();
  await expect(composer(page)).toBeFocused();
  await page.keyboard.press('Alt+ArrowUp');
  await expect(conversation(page, bob.jid)).toBeVisible();
  await page.keyboard.press('Control+2');
  await expect(conversation(page, carol)).toBeVisible();
  await page.keyboard.press('Alt+1');
  await expect(conversation(page, bob.jid)).toBeVisible();
  // Alt+K: find a contact; typing narrows the lists
  await page.keyboard.press('Alt+k');
  const filter = page.getByRole('searchbox', { name: 'Find a contact' });
  await expect(filter).toBeFocused();
  await page.keyboard.type('carol');
  const contacts = page.getByRole('navigation', { name: 'Contacts' }).getByRole('button');
  await expect(contacts).toHaveCount(1);
  await expect(contacts).toContainText(carol);
  // Alt+N: the address field of a new contact
  await page.keyboard.press('Alt+n');
  await expect(page.getByRole('textbox', { name: 'Contact address' })).toBeFocused();
});

test('at 800x600 the sidebar folds away and the conversation and composer stay usable', async ({ stack, launchClient }) => {
  const { a, bob } = await contactsPair(stack, launchClient);
  const page = a.page;
  await page.setViewportSize({ width: 800, height: 600 });
  await page.getByRole('button', { name: 'Hide contacts' }).click();
  await expect(page.getByRole('complementary', { name: 'Accounts and contacts' })).toBeHidden();
  const log = page.getByRole('log', { name: 'Messages' });
  const box = await log.boundingBox();
  expect(box!.height).toBeGreaterThan(300);
  expect(box!.width).toBeGreaterThan(700);
  await expect(composer(page)).toBeInViewport();
  await page.getByRole('button', { name: 'Show contacts' }).click();
  await expect(page.getByRole('navigation', { name: 'Contacts' })).toContainText(bob.jid);
  await expect(composer(page)).toBeInViewport();
});
