// Issue 6: private conversations (OTR) between two users of the messenger, over the real local
// XMPP stack: start a private conversation, verify each other by SMP question and answer,
// exchange messages marked encrypted, end it from one side and see the other side's state
// change; a wrong SMP answer shows failure on both sides; after a client restarts, the private
// conversation goes on (its session is kept in the profile, docs/otr-in-the-app.md "Restarts").
import { test, expect, skipWithoutElectron } from './fixtures';
import { answerQuestion, askQuestion, contactsPair, expectState, goPrivate, verifyDialog, privacyAction } from './otr-support';
import { message, send } from './support/ui';

test.beforeEach(({}, testInfo) => {
  test.skip(...skipWithoutElectron(testInfo.project.name));
});

test('private conversation: verify each other by question and answer, chat encrypted, end from one side', async ({ stack, launchClient }) => {
  const pair = await contactsPair(stack, launchClient);
  const { a, b, alice, bob } = pair;
  await goPrivate(pair);

  // Alice verifies Bob with a question only he can answer
  await askQuestion(a.page, bob.jid, 'Where did we first meet?', 'at the lighthouse');
  await answerQuestion(b.page, alice.jid, 'Where did we first meet?', 'at the lighthouse');
  await expect(verifyDialog(a.page, bob.jid).getByText(`Verification succeeded: ${bob.jid} is verified.`)).toBeVisible({ timeout: 60_000 });
  await expect(verifyDialog(b.page, alice.jid).getByText(`You answered correctly: ${alice.jid} has verified you.`)).toBeVisible({ timeout: 60_000 });
  await expectState(a.page, 'Private (verified)');
  await expectState(b.page, 'Private (unverified)');

  // and Bob verifies Alice in turn, guided from the same dialog
  await verifyDialog(b.page, alice.jid).getByRole('button', { name: 'Ask a question' }).click();
  const db = verifyDialog(b.page, alice.jid);
  await db.getByRole('textbox', { name: 'Question', exact: true }).fill('Name of my first cat?');
  await db.getByRole('textbox', { name: 'Answer', exact: true }).fill('Minou');
  await db.getByRole('button', { name: 'Ask' }).click();
  // Bob's question replaces whatever Alice's dialog shows (it may still show her own success)
  await answerQuestion(a.page, bob.jid, 'Name of my first cat?', 'Minou');
  await expectState(b.page, 'Private (verified)');
  await verifyDialog(a.page, bob.jid).getByRole('button', { name: 'Close' }).click();
  await verifyDialog(b.page, alice.jid).getByRole('button', { name: 'Close' }).click();

  // messages both ways, marked encrypted on both sides
  await send(a.page, 'private hello from alice');
  await expect(message(b.page, 'private hello from alice')).toContainText('Encrypted');
  await expect(message(a.page, 'private hello from alice')).toContainText('Encrypted');
  await send(b.page, 'private reply from bob');
  await expect(message(a.page, 'private reply from bob')).toContainText('Encrypted');

  // Alice ends it: Bob sees the private conversation ended; what he writes waits
  await privacyAction(a.page, 'End private conversation');
  await expectState(a.page, 'Not private');
  await expectState(b.page, 'Private conversation ended');
  await send(b.page, 'written after the end');
  await expect(b.page.getByTestId('otr-queued')).toContainText('One message waits');
  await expect(message(a.page, 'written after the end')).toHaveCount(0);
  // Bob starts a new private conversation: the waiting message goes out inside it
  await privacyAction(b.page, 'Restart private conversation');
  await expectState(b.page, 'Private (verified)');
  await expect(message(a.page, 'written after the end')).toContainText('Encrypted');
  await expect(b.page.getByTestId('otr-queued')).toHaveCount(0);
});

test('a wrong SMP answer shows failure on both sides', async ({ stack, launchClient }) => {
  const pair = await contactsPair(stack, launchClient);
  const { a, b, alice, bob } = pair;
  await goPrivate(pair);
  await askQuestion(a.page, bob.jid, 'Favourite colour?', 'green');
  await answerQuestion(b.page, alice.jid, 'Favourite colour?', 'blue');
  await expect(verifyDialog(a.page, bob.jid).getByText(/^Verification failed/)).toBeVisible({ timeout: 60_000 });
  await expect(verifyDialog(b.page, alice.jid).getByText(/^Verification failed/)).toBeVisible({ timeout: 60_000 });
  await expectState(a.page, 'Private (unverified)');
  await expectState(b.page, 'Private (unverified)');
});

test('after a client restarts, the private conversation goes on and messages flow both ways, encrypted', async ({ stack, launchClient }) => {
  const pair = await contactsPair(stack, launchClient);
  const { a, b, alice, bob } = pair;
  await goPrivate(pair);
  await send(a.page, 'before the restart');
  await expect(message(b.page, 'before the restart')).toContainText('Encrypted');

  await b.restart();
  await b.page
    .getByRole('navigation', { name: 'Contacts' })
    .getByRole('button', { name: new RegExp(`^${alice.jid.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) })
    .click();
  // Bob's conversation was private and its session was kept: what he writes now goes out
  // encrypted in it (were the session lost, it would wait for a new one, never go in clear)
  await send(b.page, 'after the restart');
  await expectState(b.page, 'Private (unverified)');
  await expect(message(a.page, 'after the restart')).toContainText('Encrypted');
  await send(a.page, 'and back again');
  await expect(message(b.page, 'and back again')).toContainText('Encrypted');
  void bob;
});
