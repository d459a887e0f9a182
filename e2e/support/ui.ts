// How a user drives the messenger: by role and label only (the renderer's accessible markup).
import { expect, type Locator, type Page } from '@playwright/test';

export interface Credentials {
  jid: string;
  password: string;
  host: string;
  port: number;
}

export const signInForm = (page: Page): Locator => page.getByRole('form', { name: 'Sign in to Messenger' });
/** the same form opened from the signed-in window by "Add another account" */
export const addAccountForm = (page: Page): Locator => page.getByRole('form', { name: 'Add another account' });

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Fills the sign-in form (or `form`, e.g. addAccountForm) and presses Sign in / Create account;
 * does not wait for the result.
 */
export async function submitSignIn(page: Page, who: Credentials, mode: 'sign-in' | 'create', form: Locator = signInForm(page)): Promise<void> {
  await form.getByLabel('Address').fill(who.jid);
  await form.getByLabel('Password').fill(who.password);
  const details = form.locator('details');
  if ((await details.getAttribute('open')) === null) await form.getByText('Server settings (optional)').click();
  await form.getByLabel('Server host').fill(who.host);
  await form.getByLabel('Server port').fill(String(who.port));
  await form.getByRole('button', { name: mode === 'create' ? 'Create account' : 'Sign in' }).click();
}

export async function signIn(page: Page, who: Credentials, mode: 'sign-in' | 'create'): Promise<void> {
  await submitSignIn(page, who, mode);
  await expect(connection(page)).toHaveText(/Online/, { timeout: 60_000 });
}

export const connection = (page: Page): Locator => page.getByRole('status', { name: 'Connection' });

/** a contact in the sidebar, under whichever account (each account's list is a navigation "Contacts…") */
export const contact = (page: Page, jid: string): Locator =>
  page.getByRole('navigation', { name: 'Contacts' }).getByRole('button', { name: new RegExp(`^${escapeRegExp(jid)}`) });

// ---- several accounts in one window ------------------------------------------------------------

/** one account's block in the sidebar: its header, contact requests and contacts */
export const account = (page: Page, accountJid: string): Locator => page.getByRole('region', { name: `Account ${accountJid}`, exact: true });

/** the connection status of one account */
export const accountConnection = (page: Page, accountJid: string): Locator => account(page, accountJid).getByRole('status', { name: 'Connection' });

/** a contact in one account's list */
export const accountContact = (page: Page, accountJid: string, jid: string): Locator =>
  account(page, accountJid)
    .getByRole('navigation')
    .getByRole('button', { name: new RegExp(`^${escapeRegExp(jid)}`) });

/**
 * Opens the account's panel (its "Account" button in the sidebar: own status, Go offline / Connect,
 * Put to sleep, devices, blocked addresses, Remove account, wake-ups) unless it is open; returns
 * the panel. Without `accountJid`: the window's only account.
 */
export async function openAccount(page: Page, accountJid?: string): Promise<Locator> {
  const scope = accountJid ? account(page, accountJid) : page.getByRole('complementary', { name: 'Accounts and contacts' });
  const toggle = scope.getByRole('button', { name: 'Account', exact: true });
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  const panel = scope.getByRole('group', { name: /^Settings of / });
  await expect(panel).toBeVisible();
  return panel;
}

/** From the signed-in window: "Add another account", fill the form, wait until the new account is online. */
export async function addAnotherAccount(page: Page, who: Credentials, mode: 'sign-in' | 'create'): Promise<void> {
  await page.getByRole('button', { name: 'Add another account' }).click();
  await submitSignIn(page, who, mode, addAccountForm(page));
  await expect(accountConnection(page, who.jid)).toHaveText(/Online/, { timeout: 60_000 });
  await expect(addAccountForm(page)).toHaveCount(0);
}

export async function addContact(page: Page, jid: string): Promise<void> {
  const form = page.getByRole('form', { name: 'Add a contact' });
  await form.getByLabel('Contact address').fill(jid);
  await form.getByRole('button', { name: 'Add' }).click();
  await expect(contact(page, jid)).toBeVisible();
}

/** With several accounts: chooses the account in the add-contact form, then adds `jid` to it. */
export async function addContactTo(page: Page, accountJid: string, jid: string): Promise<void> {
  const form = page.getByRole('form', { name: 'Add a contact' });
  await form.getByRole('combobox', { name: 'Add to account' }).selectOption({ label: accountJid });
  await form.getByLabel('Contact address').fill(jid);
  await form.getByRole('button', { name: 'Add' }).click();
  await expect(accountContact(page, accountJid, jid)).toBeVisible();
}

/** the messages of the open conversation (the timeline's events are list items too: data-kind="event") */
export const messages = (page: Page): Locator => page.getByRole('log', { name: 'Messages' }).getByRole('listitem').and(page.locator('[data-kind="message"]'));
/**
 * The message whose body contains `text`. Matched on the body alone: on the whole row "line 12"
 * followed by its time "01:10 PM" also contains "line 120" (seen in CI at 1 p.m.).
 */
export const message = (page: Page, text: string): Locator => messages(page).filter({ has: page.locator('p.body', { hasText: text }) });

export async function send(page: Page, text: string): Promise<void> {
  const composer = page.getByRole('form', { name: 'Write a message' });
  await composer.getByRole('textbox', { name: 'Message' }).fill(text);
  await composer.getByRole('button', { name: 'Send' }).click();
}

/** `a` asks `b`, `b` approves; returns when each sees the other online. */
export async function becomeContacts(a: Page, aJid: string, b: Page, bJid: string): Promise<void> {
  await addContact(a, bJid);
  await b.getByRole('button', { name: `Approve ${aJid}` }).click();
  await expect(contact(a, bJid)).toContainText('Online');
  await expect(contact(b, aJid)).toContainText('Online');
}
