// Issue 7, item 7: two users, each with their own profile, sign in (one creates the account by
// in-band registration, XEP-0077), become contacts (RFC 6121 subscription request + approval),
// exchange messages both ways with delivery receipts shown (XEP-0184), restart their clients and
// still see their history. Runs in the `web` project (browser host + Chromium) and, where an
// Electron binary exists, in the `electron` project.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect, skipWithoutElectron } from './fixtures';
import { addContact, connection, contact, message, send, signIn } from './support/ui';

test.beforeEach(({}, testInfo) => {
  test.skip(...skipWithoutElectron(testInfo.project.name));
});

test('two users sign in, become contacts, chat both ways and keep their history across restarts', async ({ stack, launchClient }) => {
  const run = randomBytes(4).toString('hex');
  const alice = { jid: `alice-${run}@${stack.domain}`, password: `pw-a-${randomBytes(8).toString('hex')}`, host: stack.host, port: stack.port };
  const bob = { jid: `bob-${run}@${stack.domain}`, password: `pw-b-${randomBytes(8).toString('hex')}`, host: stack.host, port: stack.port };
  // Bob's account exists on the server already; Alice creates hers from the app.
  await stack.createAccount(`bob-${run}`, bob.password);

  const a = await launchClient('alice');
  const b = await launchClient('bob');

  await signIn(a.page, alice, 'create');
  await signIn(b.page, bob, 'sign-in');

  // Alice asks; Bob sees the request and approves it, which also asks Alice back (RFC 6121
  // §3.1.4); Alice's core treats that as the answer to her own request and approves it.
  await addContact(a.page, bob.jid);
  await expect(contact(a.page, bob.jid)).toContainText('Waiting for approval');
  await expect(b.page.getByRole('region', { name: 'Contact requests' })).toContainText(alice.jid);
  await b.page.getByRole('button', { name: `Approve ${alice.jid}` }).click();
  await expect(contact(b.page, alice.jid)).toBeVisible();
  await expect(b.page.getByRole('region', { name: 'Contact requests' })).toHaveCount(0);
  // Both now see each other online.
  await expect(contact(a.page, bob.jid)).toContainText('Online');
  await expect(contact(b.page, alice.jid)).toContainText('Online');
  await expect(contact(a.page, bob.jid)).not.toContainText('Waiting for approval');

  // Alice -> Bob
  const hello = `Hello Bob, it is Alice (${run})`;
  await contact(a.page, bob.jid).click();
  await send(a.page, hello);
  await expect(contact(b.page, alice.jid)).toContainText('1 unread');
  await contact(b.page, alice.jid).click();
  await expect(message(b.page, hello)).toBeVisible();
  await expect(contact(b.page, alice.jid)).not.toContainText('unread');
  await expect(message(a.page, hello)).toContainText('Delivered');

  // Bob -> Alice (Alice has the conversation open)
  const reply = `Hi Alice, Bob here (${run})`;
  await send(b.page, reply);
  await expect(message(a.page, reply)).toBeVisible();
  await expect(message(b.page, reply)).toContainText('Delivered');

  // Restart both clients: the history comes back from each profile's database.
  await a.restart();
  await b.restart();
  await expect(connection(a.page)).toHaveText(/Online/, { timeout: 60_000 });
  await expect(connection(b.page)).toHaveText(/Online/, { timeout: 60_000 });
  await contact(a.page, bob.jid).click();
  await contact(b.page, alice.jid).click();
  for (const page of [a.page, b.page]) {
    await expect(message(page, hello)).toBeVisible();
    await expect(message(page, reply)).toBeVisible();
  }
  await expect(message(a.page, hello)).toContainText('Delivered');
  await expect(message(b.page, reply)).toContainText('Delivered');
  // The profiles hold no message text in clear (SQLCipher, docs/architecture.md §4), while the clients run.
  for (const dir of [a.profileDir, b.profileDir]) {
    for (const text of [hello, reply]) expect(filesContaining(dir, text), `${text} in clear under ${dir}`).toEqual([]);
  }
  // Nothing arrived twice.
  await expect(message(a.page, hello)).toHaveCount(1);
  await expect(message(b.page, hello)).toHaveCount(1);
});

/** Every file under `dir` whose bytes contain `text` (UTF-8 or UTF-16LE). */
function filesContaining(dir: string, text: string): string[] {
  const needles = [Buffer.from(text, 'utf8'), Buffer.from(text, 'utf16le')];
  const hits: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      continue; // a file removed while we walk (Chromium's or SQLite's temporaries)
    }
    if (needles.some((n) => bytes.includes(n))) hits.push(path);
  }
  return hits;
}
