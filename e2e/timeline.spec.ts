// Issue 15, timeline and history: the conversation's events (a private conversation started, the
// contact ended it, …) are items of the timeline, in order with the messages, and the header keeps
// the contact, its state and one privacy control; the history is windowed (not every message is in
// the page), pages back with "load earlier" after a restart, and a new message does not move the
// view while the user reads older ones ("new messages" pill). Notifications and the title: the
// unread total in the title, desktop notifications (Notifications API) that respect the
// conversation on screen, "hide message text" and a muted conversation.
import type { Page } from '@playwright/test';
import { test, expect, skipWithoutElectron } from './fixtures';
import { contactsPair, goPrivate, notice, privacyAction } from './otr-support';
import { addContact, contact, message, messages, send } from './support/ui';
import { turnOnNotifications } from './support/notifications';

test.beforeEach(({}, testInfo) => {
  test.skip(...skipWithoutElectron(testInfo.project.name));
});

const log = (page: Page) => page.getByRole('log', { name: 'Messages' });
const events = (page: Page) => log(page).locator('[data-kind="event"]');

test('events are timeline items in order with the messages; the header has one privacy control', async ({ stack, launchClient }) => {
  const pair = await contactsPair(stack, launchClient);
  const { a, b, alice, bob } = pair;
  // the header: the contact's name, its presence, the encryption state, and one button (the menu)
  const header = a.page.getByRole('main', { name: `Conversation with ${bob.jid}` }).locator('header');
  await expect(header.getByRole('heading', { name: bob.jid })).toBeVisible();
  await expect(header.getByRole('button')).toHaveCount(1);
  await expect(header.getByRole('button', { name: 'Privacy' })).toHaveAttribute('aria-haspopup', 'menu');

  await goPrivate(pair);
  await send(a.page, 'first private words');
  await expect(message(b.page, 'first private words')).toContainText('Encrypted');
  // the start is an event of Alice's timeline, before her message
  const started = events(a.page).filter({ hasText: 'Private conversation started' });
  await expect(started).toHaveCount(1);
  const order = await log(a.page)
    .locator('[data-key]')
    .evaluateAll((els) => els.map((e) => e.textContent ?? ''));
  const iStart = order.findIndex((t) => t.includes('Private conversation started'));
  const iMsg = order.findIndex((t) => t.includes('first private words'));
  expect(iStart).toBeGreaterThanOrEqual(0);
  expect(iStart).toBeLessThan(iMsg);

  // Alice ends it: Bob's timeline says so (the core's notice), after the message, and the header
  // still has its one button
  await privacyAction(a.page, 'End private conversation');
  await expect(notice(b.page, 'ended-by-peer')).toContainText(`${alice.jid} ended the private conversation`);
  const bobOrder = await log(b.page)
    .locator('[data-key]')
    .evaluateAll((els) => els.map((e) => e.textContent ?? ''));
  expect(bobOrder.findIndex((t) => t.includes('ended the private conversation'))).toBeGreaterThan(bobOrder.findIndex((t) => t.includes('first private words')));
  await expect(
    b.page
      .getByRole('main', { name: `Conversation with ${alice.jid}` })
      .locator('header')
      .getByRole('button'),
  ).toHaveCount(1);
  // Alice's own side: the end is an event too
  await expect(events(a.page).filter({ hasText: 'ended. Messages are not encrypted now' })).toHaveCount(1);
});

test('a long history: windowed, "load earlier" after a restart, new messages do not move the view', async ({ stack, launchClient }) => {
  test.setTimeout(600_000);
  const { a, b, alice, bob } = await contactsPair(stack, launchClient);
  const total = 130;
  for (let i = 1; i <= total; i++) await send(b.page, `line ${i}`);
  const row = (page: Page, text: string) => messages(page).filter({ has: page.getByText(text, { exact: true }) });
  await expect(row(b.page, `line ${total}`)).toContainText('Delivered', { timeout: 120_000 });
  await expect(row(a.page, `line ${total}`)).toBeVisible();
  // windowed: fewer rows in the page than messages in the conversation
  const inPage = await messages(a.page).count();
  expect(inPage).toBeLessThan(total);
  const line = (page: Page, text: string) => log(page).getByText(text, { exact: true });
  await expect(line(a.page, 'line 1')).toHaveCount(0);

  // reading the oldest (Home in the focused history): a new message does not move the view; a
  // pill says so and leads to it
  await log(a.page).focus();
  // Home right after the restart can land while the newest page is still being laid out, short of
  // the top (seen once in CI: the view stopped at line 39); pressing it again reaches the top, as a
  // user would
  await expect(async () => {
    await a.page.keyboard.press('Home');
    await expect(line(a.page, 'line 1')).toBeAttached({ timeout: 3_000 });
  }).toPass({ timeout: 30_000 });
  const before = await log(a.page).evaluate((el) => el.scrollTop);
  await send(b.page, 'a newer one');
  const pill = a.page.getByRole('button', { name: /1 new message/ });
  await expect(pill).toBeVisible();
  expect(await log(a.page).evaluate((el) => el.scrollTop)).toBe(before);
  await pill.click();
  await expect(row(a.page, 'a newer one')).toBeInViewport();
  await expect(pill).toHaveCount(0);

  // after a restart only the newest page comes from the store; "load earlier" brings the rest
  await a.stop();
  await a.start();
  await contact(a.page, bob.jid).click();
  await expect(row(a.page, `line ${total}`)).toBeVisible();
  const earlier = log(a.page).getByRole('button', { name: 'Load earlier messages' });
  await expect(line(a.page, 'line 32')).toBeAttached();
  await expect(line(a.page, 'line 31')).toHaveCount(0);
  await expect(earlier).toBeVisible();
  // keyboard: the history is focusable and scrolls with Home; at the top the earlier page loads
  await log(a.page).focus();
  // Home right after the restart can land while the newest page is still being laid out, short of
  // the top (seen once in CI: the view stopped at line 39); pressing it again reaches the top, as a
  // user would
  await expect(async () => {
    await a.page.keyboard.press('Home');
    await expect(line(a.page, 'line 1')).toBeAttached({ timeout: 3_000 });
  }).toPass({ timeout: 30_000 });
  await a.page.keyboard.press('Home');
  await expect(log(a.page).locator('[data-kind="message"] .body').first()).toHaveText('line 1');
  await expect(earlier).toHaveCount(0);

  void alice;
});

test('unread total in the title; desktop notifications respect the screen, hidden text and mute', async ({ stack, launchClient }) => {
  const { a, b, alice, bob } = await contactsPair(stack, launchClient);
  const page = a.page;
  // turn notifications on (the permission is asked in this click) and hide message text
  const shown = await turnOnNotifications(page, { hideText: true });

  // the conversation on screen: no notification, nothing unread
  await send(b.page, 'seen here');
  await expect(message(page, 'seen here')).toBeVisible();
  await expect(page).toHaveTitle('Messenger');
  // another conversation on screen: Bob's messages notify (without their text) and count in the title
  const carol = `carol-${alice.jid}`.replace(/@.*/, `@${stack.domain}`);
  await addContact(page, carol);
  await contact(page, carol).click();
  await send(b.page, 'the secret plan');
  await expect(page).toHaveTitle('(1) Messenger');
  await expect.poll(shown).toEqual([{ title: bob.jid, body: 'New message' }]);
  // muted: counted, not notified
  await contact(page, bob.jid).click();
  await page.getByRole('button', { name: 'Privacy' }).click();
  await page.getByRole('menu', { name: 'Privacy' }).getByRole('menuitemcheckbox', { name: 'Mute notifications' }).click();
  await contact(page, carol).click();
  await send(b.page, 'while muted');
  await expect(page).toHaveTitle('(1) Messenger');
  await send(b.page, 'and another');
  await expect(page).toHaveTitle('(2) Messenger');
  expect(await shown()).toHaveLength(1);
});
