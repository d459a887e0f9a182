// A desktop notification when a contact woke this computer (issue 14 "Handling a knock": "A
// desktop notification and an inline notice say who woke us"; the inline notice is the OTR notice
// 'woken-by' in the conversation). It follows the same settings as messages (notify/prefs.ts):
// nothing while notifications are off or the conversation is muted; never a message text (a
// knock carries none). One tag per conversation, so repeated wake-ups replace each other.
import type { PushNotice } from '../../src-shared/ipc/push-contract';
import type { MessengerApi } from '../../src-shared/ipc/contract';
import type { AppStore } from '../store';
import { contactKey } from '../store';
import { useNotifyPrefs, type NotifyPrefs } from './prefs';

export interface WakeNotification {
  title: string;
  body: string;
  tag: string;
}

/** What to show for one push notice, or null (pure: the decision apart from the DOM). */
export function wakeNotificationFor(n: PushNotice, ctx: { prefs: Pick<NotifyPrefs, 'enabled' | 'muted'>; name?: string | undefined }): WakeNotification | null {
  if (n.kind !== 'woken-by' || !n.peer || !ctx.prefs.enabled) return null;
  const key = contactKey(n.accountId, n.peer);
  if (ctx.prefs.muted[key]) return null;
  const who = ctx.name ?? n.peer;
  return {
    title: `Woken by ${who}`,
    body: `${who} woke this computer: signing in and starting a private conversation with them.`,
    tag: `woken:${key}`,
  };
}

/** Notifies for each 'woken-by' notice the core pushes; a click opens the conversation. */
export function startWakeNotifier(api: Pick<MessengerApi, 'on'>, app: AppStore): () => void {
  return api.on('push.notice', (n: PushNotice) => {
    if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
    const name = n.peer ? app.store.getState().contacts[contactKey(n.accountId, n.peer)]?.name : undefined;
    const w = wakeNotificationFor(n, { prefs: useNotifyPrefs.getState(), name });
    if (!w || !n.peer) return;
    const peer = n.peer;
    const shown = new Notification(w.title, { body: w.body, tag: w.tag });
    shown.onclick = () => {
      window.focus();
      void app.actions.open(n.accountId, peer);
      shown.close();
    };
  });
}
