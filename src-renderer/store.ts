// The renderer's state: a mirror of what the core says (docs/architecture.md §2, "state in zustand stores
// that mirror what the core pushes"). The core is the source of truth; the store only applies its
// answers and events, so a reload or a restart shows the same thing.
import { createStore } from 'zustand/vanilla';
import type { AccountInfo, ChatMessage, Contact, MessageRequest, MessengerApi } from '../src-shared/ipc/contract';
import type { IpcError, Result } from '../src-shared/ipc/result';
import type { LinkStatus } from './api';
import { everydayActions, initialEveryday, type EverydayState } from './everyday';
import { serverHistoryActions } from './timeline/server-history';

export const contactKey = (accountId: string, jid: string) => `${accountId}\n${jid}`;

export interface State extends EverydayState {
  link: LinkStatus;
  loaded: boolean;
  loadError: IpcError | null;
  accounts: Record<string, AccountInfo>;
  contacts: Record<string, Contact>;
  /** by contactKey, oldest first */
  messages: Record<string, ChatMessage[]>;
  /**
   * by contactKey: the local store may hold messages older than the oldest one loaded ("load
   * earlier" pages back through `messages.page` with `before`); absent: not known yet
   */
  hasEarlier: Record<string, boolean>;
  selected: { accountId: string; peer: string } | null;
  /** a sign-in (account.add / account.register) is under way: the sign-in screen stays up */
  signingIn: boolean;
  /**
   * the form that adds another account is open in place of the conversation (the sidebar stays,
   * so the other accounts keep being seen); closed by Cancel or by a sign-in that succeeds
   */
  addingAccount: boolean;
  /** messages from strangers waiting for accept / block / ignore, by contactKey */
  messageRequests: Record<string, MessageRequest>;
}

export const initialState: State = {
  link: 'connecting',
  loaded: false,
  loadError: null,
  accounts: {},
  contacts: {},
  messages: {},
  hasEarlier: {},
  selected: null,
  signingIn: false,
  addingAccount: false,
  messageRequests: {},
  ...initialEveryday,
};

/** the accounts in the order the window lists them: by address */
export function sortedAccounts(accounts: Record<string, AccountInfo>): AccountInfo[] {
  return Object.values(accounts).sort((a, b) => a.jid.localeCompare(b.jid));
}

export type AppStore = ReturnType<typeof createAppStore>;

/** messages per page of history (the newest page when a conversation opens, then each "load earlier") */
export const PAGE_SIZE = 100;

function upsertMessage(list: ChatMessage[] | undefined, m: ChatMessage): ChatMessage[] {
  if (!list || list.length === 0) return [m];
  // the common cases without a sort: an update of a held message (searched from the newest end)
  // and a new message newer than all others
  let i = list.length - 1;
  while (i >= 0 && list[i]!.id !== m.id) i--;
  // the re-sent mark comes on one update only: it stays
  if (i >= 0 && list[i]!.resent && !m.resent) m = { ...m, resent: true };
  if (i >= 0 && list[i]!.timestamp === m.timestamp) {
    const out = list.slice();
    out[i] = m;
    return out;
  }
  if (i < 0 && m.timestamp >= list[list.length - 1]!.timestamp) return [...list, m];
  const out = list.filter((x) => x.id !== m.id);
  out.push(m);
  // Stable by time; equal timestamps keep arrival order.
  return out.sort((a, b) => a.timestamp - b.timestamp);
}

function inTimeOrder(list: readonly ChatMessage[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i]!.timestamp < list[i - 1]!.timestamp) return false;
  return true;
}

/** like upsertMessage, but a message already held unchanged keeps its object (memoised rows stay) */
function mergeMessage(list: ChatMessage[], m: ChatMessage): ChatMessage[] {
  const had = list.find((x) => x.id === m.id);
  if (had && had.delivery === m.delivery && had.body === m.body && had.encrypted === m.encrypted && had.timestamp === m.timestamp) return list;
  return upsertMessage(list, m);
}

export function createAppStore(api: MessengerApi, link: LinkStatus) {
  const store = createStore<State>(() => ({ ...initialState, link }));
  const set = store.setState;
  const get = store.getState;

  const markReadIfOpen = (accountId: string, peer: string) => {
    const sel = get().selected;
    if (sel && sel.accountId === accountId && sel.peer === peer && document.visibilityState !== 'hidden') {
      void api.request('conversation.markRead', { accountId, peer });
    }
  };

  // Account ids are never reused: once removed (e.g. a sign-in that failed), late updates about
  // the same id are stale and must not bring it back.
  const removedAccounts = new Set<string>();
  api.on('account.updated', (a) => {
    if (removedAccounts.has(a.id)) return;
    set((s) => ({ accounts: { ...s.accounts, [a.id]: a } }));
  });
  api.on('account.removed', ({ accountId }) =>
    set((s) => {
      removedAccounts.add(accountId);
      const accounts = { ...s.accounts };
      delete accounts[accountId];
      const contacts = Object.fromEntries(Object.entries(s.contacts).filter(([, c]) => c.accountId !== accountId));
      const messages = Object.fromEntries(Object.entries(s.messages).filter(([key]) => !key.startsWith(`${accountId}\n`)));
      return {
        accounts,
        contacts,
        messages,
        selected: s.selected?.accountId === accountId ? null : s.selected,
        // with no account left the first sign-in screen shows; "add another" makes no sense there
        addingAccount: s.addingAccount && Object.keys(accounts).length > 0,
      };
    }),
  );
  api.on('contact.updated', (c) => set((s) => ({ contacts: { ...s.contacts, [contactKey(c.accountId, c.jid)]: c } })));
  api.on('contact.removed', ({ accountId, jid }) =>
    set((s) => {
      const contacts = { ...s.contacts };
      delete contacts[contactKey(accountId, jid)];
      const sel = s.selected;
      return { contacts, selected: sel && sel.accountId === accountId && sel.peer === jid ? null : sel };
    }),
  );
  const onMessage = (m: ChatMessage) => {
    const key = contactKey(m.accountId, m.peer);
    // the loaded page stops short of the newest (opened at a search result): a new message would
    // leave a gap; it comes with "load later" or "jump to the newest"
    if (get().hasLater[key] && !get().messages[key]?.some((x) => x.id === m.id)) return;
    set((s) => ({ messages: { ...s.messages, [key]: upsertMessage(s.messages[key], m) } }));
    if (m.direction === 'in') markReadIfOpen(m.accountId, m.peer);
  };
  api.on('message.added', onMessage);
  api.on('request.updated', (r) => set((s) => ({ messageRequests: { ...s.messageRequests, [contactKey(r.accountId, r.peer)]: r } })));
  api.on('request.removed', ({ accountId, peer }) =>
    set((s) => {
      const messageRequests = { ...s.messageRequests };
      delete messageRequests[contactKey(accountId, peer)];
      return { messageRequests };
    }),
  );
  api.on('message.updated', onMessage);
  document.addEventListener('visibilitychange', () => {
    const sel = get().selected;
    if (sel) markReadIfOpen(sel.accountId, sel.peer);
  });

  const everyday = everydayActions(api, store);
  const actions = {
    ...everyday,
    ...serverHistoryActions(api, store),
    setLink(l: LinkStatus) {
      set({ link: l });
    },
    async load() {
      const r = await api.request('app.snapshot', {});
      if (!r.ok) {
        set({ loadError: r.error, loaded: true });
        return;
      }
      set((s) => ({
        loaded: true,
        loadError: null,
        accounts: Object.fromEntries(r.value.accounts.map((a) => [a.id, a])),
        contacts: Object.fromEntries(r.value.contacts.map((c) => [contactKey(c.accountId, c.jid), c])),
        selected: s.selected,
      }));
      const req = await api.request('request.list', {});
      if (req.ok) set({ messageRequests: Object.fromEntries(req.value.map((m) => [contactKey(m.accountId, m.peer), m])) });
      await everyday.loadBlocklists();
    },
    /** a stranger's message request: accept (becomes a contact), block or ignore */
    async decideRequest(accountId: string, peer: string, decision: 'accept' | 'block' | 'ignore') {
      return api.request(`request.${decision}`, { accountId, peer });
    },
    /** opens / closes the form that adds another account (the first one has the sign-in screen) */
    setAddingAccount(open: boolean) {
      set({ addingAccount: open });
    },
    /** `trustCertificate`: the server certificate the user chose to trust, pinned for the account (sign-in and registration) */
    async signIn(mode: 'add' | 'register', form: { jid: string; password: string; host?: string; port?: number; trustCertificate?: string }) {
      set({ signingIn: true });
      let r: Result<AccountInfo> | undefined;
      try {
        const { trustCertificate, ...plain } = form;
        const input = trustCertificate ? form : plain;
        r = mode === 'add' ? await api.request('account.add', input) : await api.request('account.register', input);
        return r;
      } finally {
        // one update, so that no frame shows the sign-in screen after the account is in
        const done = r?.ok ? r.value : undefined;
        set((s) => ({
          signingIn: false,
          ...(done ? { addingAccount: false } : {}),
          ...(done && !removedAccounts.has(done.id) ? { accounts: { ...s.accounts, [done.id]: done } } : {}),
        }));
      }
    },
    /** the certificate the server presents (shown when it is not trusted; issue 15) */
    certificate(form: { jid: string; host?: string; port?: number }) {
      return api.request('account.certificate', form);
    },
    /** an existing account's server certificate now, beside the one it trusts (a changed certificate) */
    serverCertificate(accountId: string) {
      return api.request('account.serverCertificate', { accountId });
    },
    /** trusts exactly this certificate for the account (replacing the pin), then connects it */
    async trustCertificate(accountId: string, sha256: string) {
      const r = await api.request('account.trustCertificate', { accountId, sha256 });
      return r.ok ? api.request('account.connect', { accountId }) : r;
    },
    async connect(accountId: string) {
      return api.request('account.connect', { accountId });
    },
    async disconnect(accountId: string) {
      return api.request('account.disconnect', { accountId });
    },
    async removeAccount(accountId: string) {
      return api.request('account.remove', { accountId });
    },
    async addContact(accountId: string, jid: string, name?: string) {
      const r = await api.request('contact.add', name ? { accountId, jid, name } : { accountId, jid });
      if (r.ok) set((s) => ({ contacts: { ...s.contacts, [contactKey(r.value.accountId, r.value.jid)]: r.value } }));
      return r;
    },
    async approve(accountId: string, jid: string) {
      const r = await api.request('contact.approve', { accountId, jid });
      if (r.ok) set((s) => ({ contacts: { ...s.contacts, [contactKey(r.value.accountId, r.value.jid)]: r.value } }));
      return r;
    },
    async deny(accountId: string, jid: string) {
      return api.request('contact.deny', { accountId, jid });
    },
    async removeContact(accountId: string, jid: string) {
      return api.request('contact.remove', { accountId, jid });
    },
    async open(accountId: string, peer: string) {
      set({ selected: { accountId, peer } });
      const r = await api.request('messages.page', { accountId, peer, limit: PAGE_SIZE });
      if (r.ok) {
        const key = contactKey(accountId, peer);
        set((s) => {
          // Merge: events may have arrived while the page was loading. A page around a search
          // result is not joined to the newest one: it is replaced.
          let list = s.hasLater[key] ? [] : (s.messages[key] ?? []);
          // the first opening holds nothing yet: a page already in time order is the list as it
          // is, without a copy of the list per message (the page is in store order, which a late
          // message's own timestamp can break: then it is merged as any other)
          if (list.length === 0 && inTimeOrder(r.value)) list = r.value;
          else for (const m of r.value) list = mergeMessage(list, m);
          // a full page: there may be more before it (kept if an earlier "load earlier" knew better)
          const hasEarlier = s.hasEarlier[key] ?? r.value.length === PAGE_SIZE;
          return {
            messages: { ...s.messages, [key]: list },
            hasEarlier: { ...s.hasEarlier, [key]: s.hasLater[key] ? r.value.length === PAGE_SIZE : hasEarlier },
            hasLater: { ...s.hasLater, [key]: false },
            focus: null,
          };
        });
      }
      markReadIfOpen(accountId, peer);
      return r;
    },
    /** the page of history before the oldest message loaded, from the local store */
    async loadEarlier(accountId: string, peer: string) {
      const key = contactKey(accountId, peer);
      const oldest = get().messages[key]?.[0];
      const r = await api.request('messages.page', oldest ? { accountId, peer, limit: PAGE_SIZE, before: oldest.id } : { accountId, peer, limit: PAGE_SIZE });
      if (r.ok) {
        set((s) => {
          let list = s.messages[key] ?? [];
          for (const m of r.value) list = mergeMessage(list, m);
          return { messages: { ...s.messages, [key]: list }, hasEarlier: { ...s.hasEarlier, [key]: r.value.length === PAGE_SIZE } };
        });
      }
      return r;
    },
    async send(accountId: string, to: string, body: string) {
      const r = await api.request('message.send', { accountId, to, body });
      if (r.ok) onMessage(r.value);
      return r;
    },
  };
  return { store, actions };
}
