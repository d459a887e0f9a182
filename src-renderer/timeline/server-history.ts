// "Load earlier from the server" (issue 15): once the local store has no older message of a
// conversation, the core fetches the next older page of the server's archive (XEP-0313,
// messages.earlierFromServer), stores it before the stored history (duplicates skipped) and
// returns it; the messages join the conversation's list here. Whether the archive holds anything
// older is kept per conversation for this window (a reload asks the server again).
import { useStore } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ChatMessage, MessengerApi } from '../../src-shared/ipc/contract';
import { contactKey, type State } from '../store';

/** messages per page fetched from the server */
const SERVER_PAGE = 50;

interface ServerHistoryState {
  /** by contactKey: the archive has nothing older than what is shown */
  done: Record<string, boolean>;
  /** by contactKey: the last fetch failed (not connected, no answer) */
  failed: Record<string, boolean>;
}

export const serverHistory = createStore<ServerHistoryState>(() => ({ done: {}, failed: {} }));

export function useServerHistory(key: string): { done: boolean; failed: boolean } {
  const done = useStore(serverHistory, (s) => s.done[key] ?? false);
  const failed = useStore(serverHistory, (s) => s.failed[key] ?? false);
  return { done, failed };
}

/** the older messages before the list, kept in time order; ones already held stay as they are */
function prepend(list: ChatMessage[], older: ChatMessage[]): ChatMessage[] {
  const have = new Set(list.map((m) => m.id));
  const add = older.filter((m) => !have.has(m.id));
  if (add.length === 0) return list;
  // stable: equal times keep the archive's order before the stored history
  return [...add, ...list].sort((a, b) => a.timestamp - b.timestamp);
}

export function serverHistoryActions(api: MessengerApi, store: StoreApi<State>) {
  return {
    /** the next older page of the conversation from the server's archive */
    async loadEarlierFromServer(accountId: string, peer: string) {
      const key = contactKey(accountId, peer);
      const r = await api.request('messages.earlierFromServer', { accountId, peer, limit: SERVER_PAGE });
      serverHistory.setState((s) => ({
        failed: { ...s.failed, [key]: !r.ok },
        done: r.ok ? { ...s.done, [key]: r.value.complete } : s.done,
      }));
      if (r.ok && r.value.messages.length > 0)
        store.setState((s) => ({ messages: { ...s.messages, [key]: prepend(s.messages[key] ?? [], r.value.messages) } }));
      return r;
    },
  };
}
