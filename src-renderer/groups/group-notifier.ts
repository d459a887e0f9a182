// Desktop notifications for group messages, as for one-to-one conversations (notify/notifier.ts):
// a message from another member notifies unless notifications are off, the group is muted, or it
// is the group on screen in a focused window; with "hide message text" it says who wrote, not
// what. One tag per group, so a catch-up after a reconnect replaces rather than piles up.
import type { GroupMessageInfo } from '../../src-shared/ipc/groups-contract';
import { useNotifyPrefs, type NotifyPrefs } from '../notify/prefs';
import { type GroupsApi, type GroupsStore, groupKey } from './groups-store';

/** the mute key of a group: the prefs' muted map holds conversations and groups alike */
export const groupMuteKey = (accountId: string, address: string): string => `group:${groupKey(accountId, address)}`;

export interface GroupNotification {
  title: string;
  body: string;
  tag: string;
}

/** What to show for one group message, or null (pure: the decision, tested without a DOM). */
export function groupNotificationFor(
  m: GroupMessageInfo,
  ctx: { prefs: Pick<NotifyPrefs, 'enabled' | 'hideText' | 'muted'>; onScreen: boolean; focused: boolean },
): GroupNotification | null {
  if (m.mine || !ctx.prefs.enabled) return null;
  if (ctx.prefs.muted[groupMuteKey(m.accountId, m.address)]) return null;
  if (ctx.onScreen && ctx.focused) return null;
  const sender = m.senderName ?? `${m.sender.slice(0, 8).toUpperCase()}…`;
  const group = m.address.split('@')[0] ?? m.address;
  return {
    title: `${sender} in ${group}`,
    body: ctx.prefs.hideText ? 'New group message' : m.body.slice(0, 200),
    tag: groupMuteKey(m.accountId, m.address),
  };
}

/** Notifies for each 'group.message' the core pushes (new messages, also those fetched on catch-up). */
export function startGroupNotifier(api: Pick<GroupsApi, 'on'>, groups: GroupsStore): () => void {
  const seen = new Set<string>();
  return api.on('group.message', (m) => {
    const id = `${groupKey(m.accountId, m.address)}\n${m.id}`;
    if (seen.has(id) || typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
    seen.add(id);
    const open = groups.store.getState().open;
    const n = groupNotificationFor(m, {
      prefs: useNotifyPrefs.getState(),
      onScreen: open !== null && open.accountId === m.accountId && open.address === m.address,
      focused: document.hasFocus() && document.visibilityState === 'visible',
    });
    if (!n) return;
    const shown = new Notification(n.title, { body: n.body, tag: n.tag });
    shown.onclick = () => {
      window.focus();
      void groups.actions.openGroup(m.accountId, m.address);
      shown.close();
    };
  });
}
