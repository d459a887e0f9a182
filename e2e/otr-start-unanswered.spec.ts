// Issue 11 item 6: "Start private conversation" toward a contact whose client does not speak OTR.
// The contact is a real XMPP client on the stack's real Prosody (the core's xmpp.js client,
// src-main/core/xmpp/client) that approves the subscription and reads messages but never answers
// an OTR query. The user sees the progress, then — after the bounded time — why nothing came up
// and the choices; the waiting message goes out unencrypted only on the user's click.
import type { Element } from '@xmpp/xml';
import { randomBytes } from 'node:crypto';
import { createClient, xml } from '../src-main/core/xmpp/client/client';
import { test, expect, skipWithoutElectron } from './fixtures';
import { notice, privacyAction } from './otr-support';
import { addContact, contact, send } from './support/ui';
import { signedInUsers } from './support/users';

test.beforeEach(({}, testInfo) => {
  test.skip(...skipWithoutElectron(testInfo.project.name));
});

test('a contact whose client does not speak OTR: progress, a give-up with the reasons and choices, unencrypted only on click', async ({
  stack,
  launchClient,
}) => {
  const [{ client: a }] = await signedInUsers(stack, launchClient, 'alice');

  // the contact: a plain XMPP client with no OTR at all
  const user = `plain-${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  await stack.createAccount(user, password);
  const plainJid = `${user}@${stack.domain}`;
  const plain = createClient({
    domain: stack.domain,
    host: stack.host,
    port: stack.port,
    extraCaPem: stack.caPem,
    credentials: { username: user, password },
    resource: 'plain',
  });
  const bodies: string[] = [];
  plain.middleware.use((ctx, next) => {
    const el: Element = ctx.stanza;
    const from = String(el.attrs.from ?? '').split('/')[0] ?? '';
    if (el.is('presence') && el.attrs.type === 'subscribe') {
      // approve, and ask back, as a user of that client would
      void plain.entity.send(xml('presence', { to: from, type: 'subscribed' }));
      void plain.entity.send(xml('presence', { to: from, type: 'subscribe' }));
    }
    const body = el.is('message') ? el.getChildText('body') : null;
    if (body) bodies.push(body);
    return next();
  });
  await plain.entity.start();
  await plain.entity.send(xml('presence'));
  try {
    await addContact(a.page, plainJid);
    const approve = a.page.getByRole('button', { name: `Approve ${plainJid}` });
    await expect(approve.or(contact(a.page, plainJid).filter({ hasText: 'Online' }))).toBeVisible();
    if (await approve.isVisible()) await approve.click();
    await expect(contact(a.page, plainJid)).toContainText('Online');
    await contact(a.page, plainJid).click();

    await privacyAction(a.page, 'Start private conversation');
    await expect(a.page.getByTestId('otr-starting')).toContainText(/Starting a private conversation… \(sent the request \d+ s ago\)/);
    // the request reached the contact's real client, which ignores it
    await expect.poll(() => bodies.some((b) => b.startsWith('?OTRv'))).toBe(true);

    await send(a.page, 'hello from a private conversation');
    await expect(a.page.getByTestId('otr-queued')).toContainText('the messenger is starting it');

    // no answer within the bounded time (30 s): what probably happened, and the choices
    const gaveUp = a.page.getByTestId('otr-start-unanswered');
    await expect(gaveUp).toBeVisible({ timeout: 90_000 });
    await expect(notice(a.page, 'start-unanswered')).toContainText('may not support OTR');
    await expect(a.page.getByTestId('otr-starting')).toHaveCount(0);
    await expect(a.page.getByTestId('otr-queued')).not.toContainText('as soon as');
    await expect(gaveUp.getByRole('button', { name: 'Keep waiting (ask again)' })).toBeVisible();
    await expect(gaveUp.getByRole('button', { name: 'Start through their prekeys' })).toBeVisible();
    expect(bodies.some((b) => b.includes('hello from a private conversation'))).toBe(false);

    // only the user's click sends it unencrypted
    await gaveUp.getByRole('button', { name: 'Send it unencrypted' }).click();
    await expect.poll(() => bodies.some((b) => b.includes('hello from a private conversation'))).toBe(true);
    await expect(a.page.getByTestId('otr-queued')).toHaveCount(0);
  } finally {
    await plain.entity.stop().catch(() => {});
  }
});
