// The requests of src-shared/ipc/everyday-contract.ts (issue 15): history around a message, typing
// notifications, names, blocking, conversations with any address, own presence, and a changed
// server certificate of an existing account (its old and new fingerprints; trusting the new one
// replaces the pin, xmpp/starttls/certificate.ts). Each names its account; createCore spreads
// these into its handlers.
import type { RequestHandlers } from '../../../src-shared/ipc/contract';
import type { EverydayRequestOutputs } from '../../../src-shared/ipc/everyday-contract';
import { MessengerError } from '../../../src-shared/ipc/result';
import { toMessengerError } from '../errors';
import { historyAfter, historyAround } from '../store/history';
import type { Store } from '../store/store';
import { resolveEndpoints } from '../xmpp/resolve/resolve';
import type { CertificatePins } from '../xmpp/starttls/pins';
import { NoXmppServiceError, serverCertificate } from '../xmpp/starttls/probe';
import type { AccountSession } from './session';

type Names = keyof EverydayRequestOutputs;

/** what the certificate requests need beyond the sessions: the pins and the extra CA of this run */
export interface CertificateDeps {
  pins: CertificatePins;
  extraCaPem?: string | undefined;
}

export const certificateError = (e: unknown, where: string): MessengerError =>
  e instanceof NoXmppServiceError ? new MessengerError('server-unreachable', e.message) : toMessengerError(e, where);

export function everydayRequestHandlers(
  session: (accountId: string) => AccountSession,
  store: Store,
  certificates: CertificateDeps,
): Pick<RequestHandlers, Names> {
  const accountRow = (accountId: string) => {
    session(accountId);
    const row = store.account(accountId);
    if (!row) throw new MessengerError('not-found', 'There is no such account in this profile.');
    return row;
  };
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
    async 'account.serverCertificate'({ accountId }) {
      const row = accountRow(accountId);
      const current = await serverCertificate(row, certificates.extraCaPem, resolveEndpoints, certificateError);
      return { current, pinned: certificates.pins.get(accountId) ?? null };
    },
    async 'account.trustCertificate'({ accountId, sha256 }) {
      const row = accountRow(accountId);
      // exactly what the user was shown: a certificate that changes again is refused again
      certificates.pins.set(accountId, row.host ?? row.jid.split('@')[1] ?? '', sha256, Date.now());
      return null;
    },
  };
}
