// Message receipts (XEP-0184) both ways, and stanza errors for our messages: a receipt from the
// peer a message went to makes it 'delivered' (§5.2: nobody else can confirm it), an error makes
// it 'failed'; a chat message that asks for a receipt gets one (§5.1), also for a duplicate (the
// first receipt may be what got lost), and only when the contact may see our presence (§8), so
// that receipts leak nothing new.
import { randomUUID } from 'node:crypto';
import { messageIdOfCopy } from '../otr/fanout';
import type { Incoming } from '../xmpp/messages/messages';
import { buildReceipt } from '../xmpp/messages/messages';
import type { Store } from '../store/store';
import type { XmppClient } from '../xmpp/client/client';
import type { CoreEvents } from './events';

type Chat = Extract<Incoming, { kind: 'chat' }>;

export interface ReceiptsDeps {
  accountId: string;
  store: Store;
  events: CoreEvents;
  /** the account's current client (receipts are best effort: none while disconnected) */
  client(): XmppClient | null;
  /** a stanza error ended this message's flight (account/outbox.ts forget) */
  onFailed(id: string): void;
}

export interface Receipts {
  /** XEP-0184 <received/> for one of our messages */
  onReceipt(msg: Extract<Incoming, { kind: 'receipt' }>): void;
  /** a stanza error answering one of our messages (RFC 6120 §8.3) */
  onError(msg: Extract<Incoming, { kind: 'error' }>): void;
  /** answers a chat message that asked for a receipt */
  acknowledge(msg: Chat): void;
}

export function createReceipts(deps: ReceiptsDeps): Receipts {
  const { accountId, store, events } = deps;
  const advance = (id: string, to: 'delivered' | 'failed') => {
    const m = store.advanceDelivery(id, to);
    if (m) events.emit('message.updated', m);
  };
  return {
    onReceipt(msg) {
      // a private message goes to each of the contact's devices, each copy under its own id
      // (otr/fanout.ts copyId): any device's receipt confirms the message
      const id = messageIdOfCopy(msg.ofId);
      // only the peer the message went to can confirm it (XEP-0184 §5.2)
      if (!store.outgoing(accountId, msg.peer, id)) return;
      advance(id, 'delivered');
    },
    onError(msg) {
      // an error for another device's copy leaves the message to the copies that went through
      if (messageIdOfCopy(msg.ofId) !== msg.ofId) return;
      if (!store.outgoing(accountId, msg.peer, msg.ofId)) return;
      deps.onFailed(msg.ofId);
      advance(msg.ofId, 'failed');
    },
    acknowledge(msg) {
      const row = store.contact(accountId, msg.peer);
      if (!msg.wantsReceipt || !msg.stanzaId || !row || (row.subscription !== 'from' && row.subscription !== 'both')) return;
      deps
        .client()
        ?.entity.send(buildReceipt(msg.from, randomUUID(), msg.stanzaId))
        .catch(() => {});
    },
  };
}
