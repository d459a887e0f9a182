// The requests about contacts, conversations, messages and message requests of one account
// (src-shared/ipc/contract.ts): each names its account, and the account's session does the work.
// createCore spreads these into its handlers.
import type { RequestHandlers } from '../../../src-shared/ipc/contract';
import type { Store } from '../store/store';
import type { AccountSession } from './session';

type Names =
  | 'contact.add'
  | 'contact.approve'
  | 'contact.deny'
  | 'contact.remove'
  | 'messages.page'
  | 'message.send'
  | 'conversation.markRead'
  | 'request.list'
  | 'request.accept'
  | 'request.block'
  | 'request.ignore'
  | 'messages.search';

export function conversationRequestHandlers(
  session: (accountId: string) => AccountSession,
  all: () => AccountSession[],
  store: Store,
): Pick<RequestHandlers, Names> {
  return {
    async 'contact.add'({ accountId, jid, name }) {
      return session(accountId).addContact(jid, name);
    },
    async 'contact.approve'({ accountId, jid }) {
      return session(accountId).approve(jid);
    },
    async 'contact.deny'({ accountId, jid }) {
      return session(accountId).deny(jid);
    },
    async 'contact.remove'({ accountId, jid }) {
      return session(accountId).remove(jid);
    },
    async 'messages.page'({ accountId, peer, before, limit }) {
      session(accountId);
      return store.page(accountId, peer, limit, before);
    },
    async 'message.send'({ accountId, to, body }) {
      return session(accountId).send(to, body);
    },
    async 'conversation.markRead'({ accountId, peer }) {
      session(accountId).markRead(peer);
      return null;
    },
    async 'request.list'({ accountId }) {
      const list = accountId === undefined ? all() : [session(accountId)];
      return list.flatMap((s) => s.requests.list());
    },
    async 'request.accept'({ accountId, peer }) {
      return session(accountId).requests.accept(peer);
    },
    async 'request.block'({ accountId, peer }) {
      const s = session(accountId);
      s.requests.block(peer);
      // issue 15: on the server too (XEP-0191), so that the block holds across restarts and devices;
      // offline, the request's own block still holds for this run
      await s.blocking.block(peer).catch(() => {});
      return null;
    },
    async 'request.ignore'({ accountId, peer }) {
      session(accountId).requests.ignore(peer);
      return null;
    },
    async 'messages.search'({ accountId, query, limit }) {
      if (accountId !== undefined) session(accountId);
      return store.search(query, limit, accountId);
    },
  };
}
