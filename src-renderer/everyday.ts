// The renderer's side of issue 15's daily features, part of the app store (store.ts): a
// conversation opened at a search result (a page around the message, "load later" towards the
// newest), the contacts' typing notifications, the block lists, the user's own presence; and the
// requests behind them. Like the rest of the store it only mirrors what the core says.
import type { StoreApi } from 'zustand/vanilla';
import type { ChatMessage, MessengerApi } from '../src-shared/ipc/contract';
import type { ChatState, OwnShow } from '../src-shared/ipc/everyday-contract';
import { contactKey, PAGE_SIZE, type State } from './store';

export interface EverydayState {
  /** by contactKey: the loaded messages stop short of the newest (a conversation opened at a search result) */
  hasLater: Record<string, boolean>;
  /** the message a search result opened its conversation at; `seq` tells one opening from the next */
  focus: { key: string; messageId: string; seq: number } | null;
  /** by contactKey: the contact's last chat state (XEP-0085) */
  typing: Record<string, ChatState>;
  /** by account id: the addresses it blocks (the server's list) */
  blocked: Record<string, string[]>;
  /** by account id: what the user shows of themselves */
  ownPresence: Record<string, { show: OwnShow; status: string }>;
}

export const initialEveryday: EverydayState = { hasLater: {}, focus: null, typing: {}, blocked: {}, ownPresence: {} };

function merge(list: ChatMessage[], add: ChatMessage[]): ChatMessage[] {
  const have = new Set(list.map((m) => m.id));
  return [...list, ...add.filter((m) => !have.has(m.id))];
}

export function everydayActions(api: MessengerApi, store: StoreApi<State>) {
  const set = store.setState;
  const get = store.getState;
  let seq = 0;

  api.on('chatState.changed', ({ accountId, peer, state }) => set((s) => ({ typing: { ...s.typing, [contactKey(accountId, peer)]: state } })));
  api.on('blocklist.updated', ({ accountId, blocked }) => set((s) => ({ blocked: { ...s.blocked, [accountId]: blocked } })));
  api.on('presence.own', ({ accountId, show, status }) => set((s) => ({ ownPresence: { ...s.ownPresence, [accountId]: { show, status } } })));

  return {
    /** the block lists and own presence of every account (the core had them before this window listened) */
    async loadBlocklists() {
      for (const accountId of Object.keys(get().accounts)) {
        const r = await api.request('contact.blocklist', { accountId });
        if (r.ok) set((s) => ({ blocked: { ...s.blocked, [accountId]: r.value } }));
        const p = await api.request('presence.get', { accountId });
        if (p.ok) set((s) => ({ ownPresence: { ...s.ownPresence, [accountId]: { show: p.value.show, status: p.value.status } } }));
      }
    },
    search(query: string) {
      return api.request('messages.search', { query, limit: 50 });
    },
    /** opens the conversation at a message: the page around it replaces what was loaded */
    async openAt(accountId: string, peer: string, messageId: string) {
      const r = await api.request('messages.around', { accountId, peer, messageId, limit: PAGE_SIZE });
      if (!r.ok) return r;
      const key = contactKey(accountId, peer);
      set((s) => ({
        selected: { accountId, peer },
        addingAccount: false,
        messages: { ...s.messages, [key]: r.value.messages },
        hasEarlier: { ...s.hasEarlier, [key]: r.value.hasEarlier },
        hasLater: { ...s.hasLater, [key]: r.value.hasLater },
        focus: { key, messageId, seq: ++seq },
      }));
      void api.request('conversation.markRead', { accountId, peer });
      return r;
    },
    /** the page after the newest message loaded ("load later"), towards the newest */
    async loadLater(accountId: string, peer: string) {
      const key = contactKey(accountId, peer);
      const last = get().messages[key]?.at(-1);
      if (!last) return;
      const r = await api.request('messages.after', { accountId, peer, after: last.id, limit: PAGE_SIZE });
      if (!r.ok) return;
      set((s) => ({
        messages: { ...s.messages, [key]: merge(s.messages[key] ?? [], r.value) },
        hasLater: { ...s.hasLater, [key]: r.value.length === PAGE_SIZE },
      }));
    },
    /** back to the newest page (from a conversation opened at a search result) */
    async toNewest(accountId: string, peer: string) {
      const key = contactKey(accountId, peer);
      const r = await api.request('messages.page', { accountId, peer, limit: PAGE_SIZE });
      if (!r.ok) return;
      set((s) => ({
        messages: { ...s.messages, [key]: r.value },
        hasEarlier: { ...s.hasEarlier, [key]: r.value.length === PAGE_SIZE },
        hasLater: { ...s.hasLater, [key]: false },
        focus: null,
      }));
    },
    /** the user's chat state in a conversation; the core decides whether the contact hears of it */
    chatState(accountId: string, peer: string, state: 'composing' | 'paused' | 'active' | 'gone') {
      return api.request('chatState.set', { accountId, peer, state });
    },
    rename(accountId: string, jid: string, name: string) {
      return api.request('contact.rename', { accountId, jid, name });
    },
    block(accountId: string, jid: string) {
      return api.request('contact.block', { accountId, jid });
    },
    unblock(accountId: string, jid: string) {
      return api.request('contact.unblock', { accountId, jid });
    },
    /** a conversation with any address: it joins the contact list (outside the roster) and opens */
    async startConversation(accountId: string, jid: string) {
      const r = await api.request('conversation.start', { accountId, jid });
      if (r.ok) set((s) => ({ contacts: { ...s.contacts, [contactKey(r.value.accountId, r.value.jid)]: r.value } }));
      return r;
    },
    setPresence(accountId: string, show: OwnShow, status: string) {
      return api.request('presence.set', { accountId, show, status });
    },
  };
}
