// Desktop notifications in the browser host (the Notifications API) and the unread total in the
// window title. A new incoming message notifies unless notifications are off, the conversation is
// muted, or it is the conversation on screen in a focused window; a new contact request notifies
// too, and a contact waking this computer (wake-notifier.ts). With "hide message text" a
// notification says who wrote, not what.
import type { ChatMessage, Contact, MessengerApi } from '../../src-shared/ipc/contract';
import type { AppStore } from '../store';
import { contactKey } from '../store';
import { useNotifyPrefs } from './prefs';
import { startWakeNotifier } from './wake-notifier';

export const APP_TITLE = 'Messenger';

/** "(3) Messenger": the unread total of every conversation of every account */
export function titleFor(unread: number): string {
  return unread > 0 ? `(${unread}) ${APP_TITLE}` : APP_TITLE;
}

function canNotify(): boolean {
  return typeof Notification !== 'undefined' && Notification.permission === 'granted' && useNotifyPrefs.getState().enabled;
}

function show(title: string, body: string, tag: string, onClick: () => void): void {
  const n = new Notification(title, { body, tag });
  n.onclick = () => {
    window.focus();
    onClick();
    n.close();
  };
}

export function startNotifier(api: Pick<MessengerApi, 'on'>, app: AppStore): () => void {
  const { store, actions } = app;
  const offs: (() => void)[] = [];
  // the title follows the unread counts of the contacts
  const setTitle = () => {
    let total = 0;
    for (const c of Object.values(store.getState().contacts)) total += c.unread;
    const t = titleFor(total);
    if (document.title !== t) document.title = t;
  };
  setTitle();
  offs.push(
    store.subscribe((s, prev) => {
      if (s.contacts !== prev.contacts) setTitle();
    }),
  );

  const seen = new Set<string>();
  offs.push(
    api.on('message.added', (m: ChatMessage) => {
      if (m.direction !== 'in' || seen.has(m.id) || !canNotify()) return;
      seen.add(m.id);
      const key = contactKey(m.accountId, m.peer);
      if (useNotifyPrefs.getState().muted[key]) return;
      const sel = store.getState().selected;
      const onScreen = sel && sel.accountId === m.accountId && sel.peer === m.peer;
      if (onScreen && document.hasFocus() && document.visibilityState === 'visible') return;
      const name = store.getState().contacts[key]?.name ?? m.peer;
      show(name, useNotifyPrefs.getState().hideText ? 'New message' : m.body.slice(0, 200), key, () => void actions.open(m.accountId, m.peer));
    }),
  );
  const asking = new Set<string>();
  offs.push(
    api.on('contact.updated', (c: Contact) => {
      const key = contactKey(c.accountId, c.jid);
      if (!c.pendingIn) {
        asking.delete(key);
        return;
      }
      if (asking.has(key)) return;
      asking.add(key);
      if (!canNotify()) return;
      show('Contact request', `${c.jid} wants to see when you are online.`, `request:${key}`, () => undefined);
    }),
  );
  // "woken by <contact>" (issue 14), by the same settings
  offs.push(startWakeNotifier(api, app));
  return () => offs.forEach((off) => off());
}
