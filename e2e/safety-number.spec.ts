// Issue 15, "Verification": besides the full fingerprint, a safety number (60 digits and a QR code
// of them) that both sides compute the same; "They match" verifies the contact as the fingerprint
// comparison does, and the full fingerprints stay one click away.
import { test, expect, skipWithoutElectron } from './fixtures';
import { expectNoSeriousAxeViolations } from './axe-states';
import { contactsPair, expectState, goPrivate, privacyAction, verifyDialog } from './otr-support';

test.beforeEach(({}, testInfo) => {
  test.skip(...skipWithoutElectron(testInfo.project.name));
});

test('safety numbers: both sides see the same digits and QR code; "They match" verifies; fingerprints one click away', async ({ stack, launchClient }) => {
  const pair = await contactsPair(stack, launchClient);
  const { a, b, alice, bob } = pair;
  await goPrivate(pair);

  const shown = [] as { digits: string; qr: string }[];
  for (const [page, peer] of [
    [a.page, bob.jid],
    [b.page, alice.jid],
  ] as const) {
    await privacyAction(page, 'Verify contact');
    const d = verifyDialog(page, peer);
    await d.getByRole('radio', { name: 'Compare safety numbers' }).check();
    const number = d.getByRole('group', { name: `Safety number with ${peer}`, exact: true });
    await expect(number).toHaveAttribute('data-safety-number', /^[0-9]{60}$/);
    // shown as 12 groups of 5 digits
    await expect(number.locator('span')).toHaveCount(12);
    const qr = d.getByRole('img', { name: `QR code of the safety number with ${peer}` });
    await expect(qr).toBeVisible();
    shown.push({ digits: (await number.getAttribute('data-safety-number'))!, qr: (await qr.getAttribute('data-qr-path'))! });
  }
  await expectNoSeriousAxeViolations(b.page, 'safety number');
  expect(shown[1]!.digits).toBe(shown[0]!.digits);
  expect(shown[1]!.qr).toBe(shown[0]!.qr);

  // Alice says they match: Bob is verified on her side only, as with a fingerprint comparison
  const da = verifyDialog(a.page, bob.jid);
  await da.getByRole('button', { name: 'They match' }).click();
  await expectState(a.page, 'Private (verified)');
  await expect(da.getByRole('status').filter({ hasText: `${bob.jid} is verified.` })).toBeVisible();
  await expectState(b.page, 'Private (unverified)');

  // the full fingerprints are one click away, and show the same trust
  await da.getByRole('button', { name: 'Show the full fingerprints' }).click();
  await expect(da.getByRole('radio', { name: 'Compare fingerprints' })).toBeChecked();
  await expect(da.getByRole('radio', { name: 'Compare fingerprints' })).toBeFocused();
  await expect(da.getByRole('checkbox', { name: /I have checked that/ })).toBeChecked();

  // and back: "Mark as not verified" undoes it
  await da.getByRole('radio', { name: 'Compare safety numbers' }).check();
  await da.getByRole('button', { name: 'Mark as not verified' }).click();
  await expectState(a.page, 'Private (unverified)');
  await expect(da.getByRole('button', { name: 'They match' })).toBeVisible();
  await a.page.keyboard.press('Escape');
  await expect(da).toHaveCount(0);
});
