// The account's private conversations (docs/architecture.md §6): its OtrAccount (otr/account.ts) wired to
// this account's stream, message store and prekeys. Every chat message passes through it.
import type { Element } from '@xmpp/xml';
import { DEFAULT_OTR_POLICY, type OtrNotice, type OtrStatus } from '../../../src-shared/ipc/otr-contract';
import { MessengerError } from '../../../src-shared/ipc/result';
import type { KeyStore } from '../keychain/keychain';
import { OtrAccount } from '../otr/account';
import { wantsPrivateAsking } from '../otr/prekey-ask';
import type { OtrStore } from '../otr/otr-store';
import type { InboundTlv } from '../otr/wire';
import type { Store } from '../store/store';
import type { XmppClient } from '../xmpp/client/client';
import type { CoreEvents } from './events';
import type { AccountPrekeys } from './prekeys';

export interface OtrLinkDeps {
  accountId: string;
  jid: string;
  keys: KeyStore;
  otrStore: OtrStore;
  store: Store;
  events: CoreEvents;
  prekeys(): AccountPrekeys;
  /** the client while the account is online, else null */
  online(): XmppClient | null;
  /** a private message's stanza goes out on `client`: true when its XEP-0198 ack will mark it sent (account/outbox.ts track) */
  track(client: XmppClient, messageId: string): boolean;
  /** the stanza was not written after all */
  untrack(messageId: string): void;
  /** the account's hook for TLVs OTR does not act on itself (otr/wire.ts InboundTlv) */
  onTlv?(tlv: InboundTlv): void;
  /** the contact's full JIDs that are available now (private messages go to each device, otr/fanout.ts) */
  presentResources?(peer: string): string[];
}

export function createOtrLink(deps: OtrLinkDeps): OtrAccount {
  const { store, events } = deps;
  const updated = (id: string, to: 'sent' | 'failed') => {
    const m = store.advanceDelivery(id, to);
    if (m) events.emit('message.updated', m);
  };
  return new OtrAccount({
    accountId: deps.accountId,
    ownJid: deps.jid,
    keys: deps.keys,
    store: deps.otrStore,
    sendStanza: async (el: Element, messageId?: string) => {
      const client = deps.online();
      if (!client) throw new MessengerError('not-connected', `${deps.jid} is not connected.`);
      const tracked = messageId !== undefined && deps.track(client, messageId);
      try {
        await client.entity.send(el);
      } catch (e) {
        if (tracked) deps.untrack(messageId);
        throw e;
      }
      return tracked ? 'tracked' : 'written';
    },
    emit: (name, payload) => {
      if (name === 'otr.status') events.emit('otr.status', payload as OtrStatus);
      else events.emit('otr.notice', payload as OtrNotice);
    },
    onMessageSent: (id, encrypted) => {
      if (!encrypted) store.markSentInClear(id);
      const m = store.advanceDelivery(id, 'sent') ?? (encrypted ? undefined : store.message(id));
      if (m) events.emit('message.updated', m);
    },
    onMessageFailed: (id) => updated(id, 'failed'),
    onMessageDiscarded: (id) => updated(id, 'failed'),
    onPrekeyUsed: () => deps.prekeys().used(),
    trustPrekeyServer: (server, fingerprint) => deps.prekeys().trust(server, fingerprint),
    retrievePrekeys: (peer) => deps.prekeys().retrieve(peer),
    ...(deps.onTlv ? { onTlv: deps.onTlv } : {}),
    ...(deps.presentResources ? { presentResources: deps.presentResources } : {}),
    // issue 13, recovery: what the contact's device never confirmed (no receipt: it was not read
    // there, account/inbox.ts) and is not already waiting in the OTR queue, and whether its
    // devices confirm at all; one read of the history
    outgoing: (peer) => {
      const waiting = new Set(deps.otrStore.queued(deps.accountId, peer).map((q) => q.messageId));
      const page = store.page(deps.accountId, peer, UNCONFIRMED_LOOKBACK);
      return {
        unconfirmed: page
          .filter((m) => m.direction === 'out' && m.encrypted && !m.elsewhere && (m.delivery === 'sent' || m.delivery === 'pending') && !waiting.has(m.id))
          .map((m) => ({ messageId: m.id, body: m.body, timestamp: m.timestamp, ...(m.resent ? { resent: true } : {}) })),
        confirmsReceipts: page.some((m) => m.direction === 'out' && m.encrypted && m.delivery === 'delivered'),
      };
    },
    onResent: (id) => {
      store.markResent(id);
      const m = store.message(id);
      if (m) events.emit('message.updated', m);
    },
  });
}

/** how far back in the conversation unconfirmed messages are looked for when a session is lost */
export const UNCONFIRMED_LOOKBACK = 200;

/**
 * Whether a message to `to` must go through OTR (docs/architecture.md §6, no silent downgrade). Without the
 * OTR keys (keychain trouble) a conversation that is private by intent or policy fails closed;
 * any other goes out in clear as it would without OTR.
 */
export async function wantsPrivate(otr: OtrAccount, otrStore: OtrStore, accountId: string, to: string): Promise<boolean> {
  try {
    // issue 13: published prekeys count as "speaks OTR" (asked once per contact, otr/prekey-ask.ts)
    return await wantsPrivateAsking(otr, to);
  } catch (e) {
    if (otrStore.isPrivate(accountId, to) || otrStore.policy(accountId, to, DEFAULT_OTR_POLICY).policy === 'always') throw e;
    return false;
  }
}
