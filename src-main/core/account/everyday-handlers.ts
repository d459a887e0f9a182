// The requests of src-shared/ipc/everyday-contract.ts (issue 15): history around a message, typing
// notifications, names, blocking, conversations with any address, own presence. Each names its
// account; createCore spreads these into its handlers.
import type { RequestHandlers } from '../../../src-shared/ipc/contract';
import type { EverydayRequestOutputs } from '../../../src-shared/ipc/everyday-contract';
import { historyAfter, historyAround } from '../store/history';
import type { Store } from '../store/store';
import type { AccountSession } from './session';

type Names = keyof EverydayRequestOutputs;

export function everydayRequestHandlers(session: (accountId: string) => AccountSession, store: Store): Pick<RequestHandlers, Names> {
  return {
    async 'messages.around'({ accountId, peer, messageId, limit }) {
      session(accountId);
      return historyAround(store.database, accountId, peer, messageId, limit);
    },
    async 'messages.after'({ accountId, peer, after, limit }) {
      session(accountId);
      return historyAfter(store.database, accountId, peer, after, limit);
    },
    async 'chatState.set'({ accountId, peer, state }) {
      await session(accountId).chatStates.set(peer, state);
      return null;
    },
    async 'contact.rename'({ accountId, jid, name }) {
      return session(accountId).rename(jid, name);
    },
    async 'contact.block'({ accountId, jid }) {
      await session(accountId).blocking.block(jid);
      return null;
    },
    async 'contact.unblock'({ accountId, jid }) {
      await session(accountId).blocking.unblock(jid);
      return null;
    },
    async 'contact.blocklist'({ accountId }) {
      return session(accountId).blocking.list();
    },
    async 'conversation.start'({ accountId, jid }) {
      return session(accountId).startConversation(jid);
    },
    async 'presence.set'({ accountId, show, status }) {
      return session(accountId).ownPresence.set(show, status);
    },
    async 'presence.get'({ accountId }) {
      return session(accountId).ownPresence.current();
    },
  };
}
