// Desktop notifications as a user turns them on (the sidebar's "Notifications…" dialog), with each
// notification the page shows recorded: the real Notification API still shows them (nothing is
// faked), a subclass only keeps their title and body for the test to read. Used by the specs of
// one-to-one conversations (e2e/timeline.spec.ts), groups (e2e/groups.spec.ts) and wake-ups
// (e2e/push-handshake.spec.ts).
import type { Page } from '@playwright/test';

export interface ShownNotification {
  title: string;
  body: string;
}

/**
 * Grants the permission, starts recording, ticks "Show a desktop notification" (and "Hide message
 * text" when `hideText`) and closes the dialog. Returns a reader of what was shown so far.
 */
export async function turnOnNotifications(page: Page, options: { hideText?: boolean } = {}): Promise<() => Promise<ShownNotification[]>> {
  await page.context().grantPermissions(['notifications']);
  await page.evaluate(() => {
    const Real = window.Notification;
    const shown: { title: string; body: string }[] = [];
    (window as unknown as { shown: typeof shown }).shown = shown;
    window.Notification = class extends Real {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        shown.push({ title, body: options?.body ?? '' });
      }
    } as typeof Notification;
  });
  // the permission is asked in this click, as it is for a person
  await page.getByRole('button', { name: 'Notifications…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Notifications' });
  await dialog.getByRole('checkbox', { name: /Show a desktop notification/ }).check();
  if (options.hideText) await dialog.getByRole('checkbox', { name: /Hide message text/ }).check();
  await dialog.getByRole('button', { name: 'Close' }).click();
  return () => page.evaluate(() => (window as unknown as { shown: { title: string; body: string }[] }).shown);
}
