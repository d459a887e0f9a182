// Issue 15, dialogs and keyboard, driven by the keyboard only: the skip link reaches the composer
// in one Tab; every dialog takes the focus, keeps it (Tab wraps), closes with Escape or a click
// outside and gives the focus back; the privacy menu works with the arrow keys; the shortcuts
// switch conversations (Alt+Up/Down, Ctrl+1…9), find a contact (Alt+K) and start a new one (Alt+N).
import type { Page } from '@playwright/test';
import { test, expect, skipWithoutElectron } from './fixtures';
import { contactsPair, goPrivate, verifyDialog } from './otr-support';
import { addContact, contact, message, openAccount } from './support/ui';
import { signedInUsers } from './support/users';

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

  // the remove confirmation (in the account's panel): Cancel has the focus, Escape closes, focus
  // back on "Remove account"
  const remove = (await openAccount(page)).getByRole('button', { name: 'Remove account' });
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

/**
 * The focused element draws a ring a person can see (WCAG 2.4.7): an outline of at least 2 px in a
 * colour other than transparent. Returns what has the focus, for the message of a failure.
 */
async function expectVisibleFocus(page: Page): Promise<void> {
  // A shortcut may move the focus after the key event (Alt+N focuses the address field once the
  // sidebar has rendered): the check waits for the focus to settle, it does not sample one instant.
  await expect(async () => {
    const seen = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return { what: 'nothing', ring: false };
      const st = getComputedStyle(el);
      const ring = st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) >= 2 && st.outlineColor !== 'rgba(0, 0, 0, 0)';
      return { what: `${el.tagName.toLowerCase()} "${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 40)}"`, ring };
    });
    expect(seen.ring, `focus ring on ${seen.what}`).toBe(true);
  }).toPass({ timeout: 5_000 });
}

/** presses `key`, then the focus must be visible */
async function press(page: Page, key: string): Promise<void> {
  await page.keyboard.press(key);
  await expectVisibleFocus(page);
}

test('keyboard only, with the focus always visible: sign in, write to someone, send, open the privacy menu', async ({ stack, launchClient }) => {
  const [{ who: bob, client: b }] = await signedInUsers(stack, launchClient, 'bob');
  const name = `kay-${bob.jid.split('@')[0]!.split('-').at(-1)}`;
  const kay = { jid: `${name}@${stack.domain}`, password: 'pw-keyboard-only' };
  await stack.createAccount(name, kay.password);
  const page = (await launchClient('kay')).page;
  await expect(page.getByRole('form', { name: 'Sign in to Messenger' })).toBeVisible();

  // the form, in tab order: address, password, "Server settings" (Enter opens it), host, port; Enter signs in
  await press(page, 'Tab');
  await expect(page.getByLabel('Address')).toBeFocused();
  await page.keyboard.type(kay.jid);
  await press(page, 'Tab');
  await expect(page.getByLabel('Password')).toBeFocused();
  await page.keyboard.type(kay.password);
  await press(page, 'Tab');
  await press(page, 'Enter');
  await press(page, 'Tab');
  await expect(page.getByLabel('Server host')).toBeFocused();
  await page.keyboard.type(stack.host);
  await press(page, 'Tab');
  await expect(page.getByLabel('Server port')).toBeFocused();
  await page.keyboard.type(String(stack.port));
  await page.keyboard.press('Enter');
  await expect(page.getByRole('status', { name: 'Connection' })).toHaveText(/Online/, { timeout: 60_000 });

  // Alt+N: the address of someone new; Tab to "Write", Enter: the conversation, the focus in its composer
  await press(page, 'Alt+n');
  await page.keyboard.type(bob.jid);
  await press(page, 'Tab');
  await expect(page.getByRole('button', { name: 'Add', exact: true })).toBeFocused();
  await press(page, 'Tab');
  await expect(page.getByRole('button', { name: 'Write', exact: true })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('main', { name: `Conversation with ${bob.jid}` })).toBeVisible();
  await expect(composer(page)).toBeFocused();
  await expectVisibleFocus(page);
  await page.keyboard.type('Typed without a mouse');
  await page.keyboard.press('Enter');
  await expect(message(page, 'Typed without a mouse')).toBeVisible();
  await expect(composer(page)).toBeFocused();
  // Bob gets it (as a message request: Kay is not his contact)
  await expect(b.page.getByText('Typed without a mouse')).toBeVisible();

  // back from the composer to the Privacy button (Shift+Tab, each stop with a visible ring), Enter opens the menu
  const privacy = page.getByRole('button', { name: 'Privacy' });
  for (let i = 0; i < 12 && !(await privacy.evaluate((el) => el === document.activeElement)); i++) await press(page, 'Shift+Tab');
  await expect(privacy).toBeFocused();
  await press(page, 'Enter');
  const menu = page.getByRole('menu', { name: 'Privacy' });
  await expect(menu.getByRole('menuitem').first()).toBeFocused();
  await press(page, 'ArrowDown');
  await expect(menu.getByRole('menuitem').nth(1)).toBeFocused();
  await press(page, 'Escape');
  await expect(menu).toHaveCount(0);
  await expect(privacy).toBeFocused();
});
