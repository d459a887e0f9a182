// Issue 15, daily use, as a user sees it: search across conversations (Ctrl+K, keyboard only) opens
// the conversation at the message, highlighted, with "load later" towards the newest; "<name> is
// typing…" at the end of the timeline (XEP-0085, in a private conversation), gone when the message comes or the writer
// pauses; a contact renamed, blocked (the block holds across a restart: it is the server's),
// unblocked and removed from the conversation's menu; writing to an address that is not a
// contact; one's own presence and status message as the contact sees it.
import type { Page } from '@playwright/test';
import { test, expect, skipWithoutElectron } from './fixtures';
import { axeFindings } from './axe-states';
import { contactsPair, goPrivate, privacyAction } from './otr-support';
import { contact, message, messages, openAccount, send } from './support/ui';

test.beforeEach(({}, testInfo) => {
  test.skip(...skipWithoutElectron(testInfo.project.name));
});

const log = (page: Page) => page.getByRole('log', { name: 'Messages' });
const typing = (page: Page) => log(page).getByTestId('typing');

/** axe (as e2e/a11y.spec.ts): no serious or critical violation, light and dark */
async function noSeriousViolations(page: Page, state: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    expect(await axeFindings(page), `${state}, ${colorScheme}`).toBe('');
    // MESSENGER_SCREENSHOTS=DIR: the state as a person sees it, at 800x600 (docs/ui.md)
    const dir = process.env.MESSENGER_SCREENSHOTS;
    if (dir) {
      const was = page.viewportSize();
      await page.setViewportSize({ width: 800, height: 600 });
      await page.screenshot({ path: `${dir}/${state.replaceAll(/[^a-z]+/g, '-')}-${colorScheme}-800x600.png` });
      if (was) await page.setViewportSize(was);
    }
  }
  await page.emulateMedia({ colorScheme: null });
}

test('search with the keyboard opens the conversation at the message, highlighted, with later messages one step away', async ({ stack, launchClient }) => {
  test.setTimeout(300_000);
  const { a, b, bob } = await contactsPair(stack, launchClient);
  const total = 120;
  for (let i = 1; i <= total; i++) await send(a.page, i === 10 ? 'the zebra crossing is here' : `line ${i}`);
  await expect(message(b.page, `line ${total}`)).toBeVisible({ timeout: 120_000 });
  // another conversation is on screen when Alice searches
  await a.page.getByRole('form', { name: 'Add a contact' }).getByLabel('Contact address').fill(`someone@${stack.domain}`);
  await a.page.getByRole('button', { name: 'Write', exact: true }).click();
  await expect(a.page.getByRole('main', { name: `Conversation with someone@${stack.domain}` })).toBeVisible();

  // keyboard only: Ctrl+K, the words, Down to the result, Enter
  await a.page.keyboard.press('Control+K');
  const dialog = a.page.getByRole('dialog', { name: 'Search messages' });
  await expect(dialog.getByRole('searchbox', { name: 'Search all conversations' })).toBeFocused();
  await a.page.keyboard.type('zebr');
  await expect(dialog.getByRole('status')).toHaveText('1 message found.');
  const result = dialog.getByRole('button', { name: /zebra crossing/ });
  await expect(result).toContainText(bob.jid);
  await expect(result.locator('mark')).toHaveText('zebra');
  await noSeriousViolations(a.page, 'search results');
  await dialog.getByRole('searchbox').focus();
  await a.page.keyboard.press('ArrowDown');
  await expect(result).toBeFocused();
  await a.page.keyboard.press('Enter');
  await expect(dialog).toHaveCount(0);

  // the conversation with Bob, scrolled to the message, highlighted and focused
  await expect(a.page.getByRole('main', { name: `Conversation with ${bob.jid}` })).toBeVisible();
  const found = log(a.page).locator('[data-highlight="true"]');
  await expect(found).toContainText('the zebra crossing is here');
  await expect(found).toBeFocused();
  await expect(found).toBeInViewport();
  await noSeriousViolations(a.page, 'opened at a search result');
  // the page around it: the oldest are there, the newest not yet
  await expect(log(a.page).getByText('line 1', { exact: true })).toBeAttached();
  await expect(log(a.page).getByText(`line ${total}`, { exact: true })).toHaveCount(0);
  // "load later" from the keyboard: Tab from the message reaches it, Enter loads the rest
  const later = log(a.page).getByRole('button', { name: 'Load later messages' });
  await later.focus();
  await a.page.keyboard.press('Enter');
  await expect(log(a.page).getByText(`line ${total}`, { exact: true })).toBeAttached();
  await expect(later).toHaveCount(0);
  // a new message now joins the end as usual
  await send(b.page, 'after the search');
  await expect(message(a.page, 'after the search')).toBeAttached();
});

test('"is typing…" at the end of the timeline, both ways; gone when the message arrives or the writer pauses', async ({ stack, launchClient }) => {
  const pair = await contactsPair(stack, launchClient);
  const { a, b, alice, bob } = pair;
  const composer = (page: Page) => page.getByRole('form', { name: 'Write a message' }).getByRole('textbox', { name: 'Message' });
  // in a private conversation: the state is metadata beside OTR (no text), the messages encrypted
  await goPrivate(pair);
  await composer(a.page).click();
  await a.page.keyboard.type('Hello B');
  await expect(typing(b.page)).toHaveText(`${alice.jid} is typing…`);
  // not in the header
  await expect(b.page.getByRole('main').locator('header')).not.toContainText('typing');
  await a.page.keyboard.press('Enter');
  await expect(message(b.page, 'Hello B')).toContainText('Encrypted');
  await expect(typing(b.page)).toHaveCount(0);

  // the other way; a pause (no key for 5 s) ends it too
  await composer(b.page).click();
  await b.page.keyboard.type('thinking');
  await expect(typing(a.page)).toHaveText(`${bob.jid} is typing…`);
  await expect(typing(a.page)).toHaveCount(0, { timeout: 20_000 });
  // what is typed never travels before it is sent
  await expect(messages(a.page).filter({ hasText: 'thinking' })).toHaveCount(0);
});

test('a contact renamed, blocked across a restart, unblocked and removed; writing to any address; own status', async ({ stack, launchClient }) => {
  test.setTimeout(300_000);
  const { a, b, alice, bob } = await contactsPair(stack, launchClient);

  // rename: the sidebar and the conversation's heading show the name
  await privacyAction(a.page, 'Rename contact…');
  const rename = a.page.getByRole('dialog', { name: `Rename ${bob.jid}` });
  await rename.getByRole('textbox', { name: 'Name' }).fill('Bob the Builder');
  await a.page.keyboard.press('Enter');
  await expect(rename).toHaveCount(0);
  await expect(a.page.getByRole('main').getByRole('heading', { name: 'Bob the Builder' })).toBeVisible();
  await expect(a.page.getByRole('navigation', { name: 'Contacts' }).getByRole('button', { name: /^Bob the Builder/ })).toBeVisible();

  // own presence: Bob sees Alice away, with her message
  await (await openAccount(a.page)).getByRole('combobox', { name: 'Your status' }).selectOption({ label: 'Away' });
  const statusField = a.page.getByRole('textbox', { name: 'Status message' });
  await statusField.fill('at lunch');
  await statusField.press('Enter');
  await expect(contact(b.page, alice.jid)).toContainText('Away: at lunch');

  // block: the conversation says so, the composer gives way to Unblock
  await privacyAction(a.page, 'Block contact');
  await expect(a.page.getByRole('note', { name: 'Blocked' })).toBeVisible();
  await expect(a.page.getByRole('navigation', { name: 'Contacts' }).getByRole('button', { name: /^Bob the Builder/ })).toContainText('Offline · Blocked');
  await noSeriousViolations(a.page, 'blocked contact, own status');
  await send(b.page, 'while blocked');
  await expect(message(b.page, 'while blocked')).toContainText(/Sent|Not delivered/);
  // the block is the server's: it holds after a restart
  await a.stop();
  await a.start();
  await a.page
    .getByRole('navigation', { name: 'Contacts' })
    .getByRole('button', { name: /^Bob the Builder/ })
    .click();
  await expect(a.page.getByRole('note', { name: 'Blocked' })).toBeVisible();
  const blockedList = (await openAccount(a.page)).getByRole('button', { name: 'Blocked addresses (1)' });
  await expect(blockedList).toBeVisible();
  await a.page.getByRole('note', { name: 'Blocked' }).getByRole('button', { name: 'Unblock' }).click();
  await expect(a.page.getByRole('form', { name: 'Write a message' })).toBeVisible();
  await expect(blockedList).toHaveCount(0);
  // her own status was kept across the restart (not announced as plain available): Bob sees it again
  await expect(contact(b.page, alice.jid)).toContainText('Away: at lunch');
  await expect(a.page.getByText('You appear away: at lunch')).toBeVisible();
  await send(b.page, 'after the unblock');
  await expect(message(a.page, 'after the unblock')).toBeVisible();
  // messages from one sender keep their order: the blocked one never came
  await expect(message(a.page, 'while blocked')).toHaveCount(0);

  // remove, with a confirmation whose Cancel has the focus
  await privacyAction(a.page, 'Remove contact…');
  const confirm = a.page.getByRole('dialog', { name: 'Remove contact' });
  await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await confirm.getByRole('button', { name: 'Remove' }).click();
  await expect(a.page.getByRole('navigation', { name: 'Contacts' }).getByRole('button', { name: /^Bob the Builder/ })).toHaveCount(0);

  // write to an address without adding it
  const carol = `carol-nobody@${stack.domain}`;
  await a.page.getByRole('form', { name: 'Add a contact' }).getByLabel('Contact address').fill(carol);
  await a.page.getByRole('button', { name: 'Write', exact: true }).click();
  await expect(a.page.getByRole('main', { name: `Conversation with ${carol}` })).toBeVisible();
  await expect(a.page.getByRole('textbox', { name: 'Message', exact: true })).toBeFocused();
  await expect(contact(a.page, carol)).toContainText('Not sharing presence');
});
