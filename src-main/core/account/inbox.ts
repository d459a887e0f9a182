// The account's incoming <message/> stanzas: receipts and errors for our messages (to
// account/receipts.ts), chat from contacts (through OTR, which decrypts or passes plaintext
// through with any whitespace tag removed, in arrival order), and the copies XEP-0280 carbons
// bring of what our other devices sent and received. Duplicates (same origin-id) are dropped:
// before OTR sees them, since a replayed OTR data message would only be unreadable.
import { randomUUID } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import type { ChatMessage } from '../../../src-shared/ipc/contract';
import { isOtrText } from '../otr/stanza';
import type { ReceivedMessage } from '../otr/wire';
import type { Store } from '../store/store';
import { unwrapCarbon } from '../xmpp/carbons/carbons';
import { parseIncoming, parseSentCopy, type Incoming } from '../xmpp/messages/messages';
import type { CoreEvents } from './events';
import type { Receipts } from './receipts';
import type { Requests } from './requests';

export interface InboxDeps {
  accountId: string;
  /** our bare JID */
  jid: string;
  store: Store;
  events: CoreEvents;
  receipts: Receipts;
  /** strangers' messages are held as message requests, never run through OTR (account/requests.ts) */
  requests: Requests;
  /** a chat body through the account's OTR (otr/account.ts receive), in arrival order */
  receive(fromFull: string, body: string): Promise<ReceivedMessage[]>;
  /** the contact's entry changed (unread count) */
  emitContact(jid: string): void;
  /** sees every incoming <message/> first (blocked senders, chat states); true: nothing more to do with it */
  intercept?(el: Element): boolean;
}

export function createInbox(deps: InboxDeps): { onMessage(el: Element): void } {
  const { accountId, store, events } = deps;

  /** stores one incoming message; false for a duplicate */
  const keep = (m: ChatMessage, remoteId: string | null): boolean => {
    if (!store.addIncoming(m, remoteId)) return false;
    if (!store.contact(accountId, m.peer)) store.upsertContact(accountId, m.peer, {});
    events.emit('message.added', m);
    deps.emitContact(m.peer);
    return true;
  };

  /**
   * A chat message from a contact: what OTR yields is stored and shown with its `encrypted` flag.
   * The receipt (XEP-0184) means "read by this device": it goes only for a message that was
   * shown (plaintext, or an OTR data message this device decrypted), or for a duplicate of one
   * that was (its first receipt may be what got lost). An OTR message this device cannot read
   * gets the OTR error message of its version from the library instead (OTRv3 §"Receiving an
   * encrypted message", OTRv4 §"Receiving an Encrypted Data Message"), never a receipt: the
   * sender's "Delivered" must not claim what did not happen.
   */
  const onChat = (msg: Extract<Incoming, { kind: 'chat' }>): void => {
    if (deps.requests.isStranger(msg.peer)) return deps.requests.hold(msg.peer, msg.body, msg.timestamp);
    if (msg.remoteId !== null && store.hasIncoming(accountId, msg.peer, msg.remoteId)) {
      deps.receipts.acknowledge(msg);
      return;
    }
    deps
      .receive(msg.from, msg.body)
      .catch(() => (isOtrText(msg.body) ? [] : [{ text: msg.body, encrypted: false }]))
      .then((list) => {
        list.forEach((r, i) => {
          const m: ChatMessage = {
            id: randomUUID(),
            accountId,
            peer: msg.peer,
            direction: 'in',
            body: r.text,
            timestamp: msg.timestamp,
            delivery: 'delivered',
            encrypted: r.encrypted,
          };
          keep(m, i === 0 ? msg.remoteId : null);
        });
        if (list.length > 0) deps.receipts.acknowledge(msg);
      })
      .catch(() => {});
  };

  /** XEP-0280 §6: what our other device sent; shown in the conversation as ours, once */
  const onSentCopy = (inner: Element): void => {
    const copy = parseSentCopy(inner);
    if (!copy || copy.peer === deps.jid) return;
    if (isOtrText(copy.body)) return; // OTR traffic of our other device: per device
    const m: ChatMessage = {
      id: randomUUID(),
      accountId,
      peer: copy.peer,
      direction: 'out',
      body: copy.body,
      timestamp: copy.timestamp,
      delivery: 'sent',
      encrypted: false,
    };
    if (!store.addOutgoingCopy(m, copy.remoteId)) return;
    if (!store.contact(accountId, copy.peer)) store.upsertContact(accountId, copy.peer, {});
    events.emit('message.added', m);
  };

  return {
    onMessage(el) {
      if (deps.intercept?.(el)) return;
      const carbon = unwrapCarbon(el, deps.jid);
      if (carbon === 'forged') return; // XEP-0280 §11
      if (carbon?.direction === 'sent') return onSentCopy(carbon.message);
      const isCopy = carbon?.direction === 'received';
      const msg = parseIncoming(isCopy ? carbon.message : el, deps.jid);
      if (!msg) return;
      // receipts and errors inside a copy concern our other device's messages, not ours
      if (isCopy && msg.kind !== 'chat') return;
      switch (msg.kind) {
        case 'receipt':
          return deps.receipts.onReceipt(msg);
        case 'error':
          return deps.receipts.onError(msg);
        case 'chat': {
          if (msg.peer === deps.jid) return; // our own carbons are not enabled; ignore reflections
          if (!isCopy) return onChat(msg);
          // XEP-0280 §5: what our other device received. OTR traffic is per device: a copy of
          // another device's OTR message is not ours to read. The other device answers receipts.
          if (isOtrText(msg.body)) return;
          if (deps.requests.isStranger(msg.peer)) return deps.requests.hold(msg.peer, msg.body, msg.timestamp);
          keep(
            { id: randomUUID(), accountId, peer: msg.peer, direction: 'in', body: msg.body, timestamp: msg.timestamp, delivery: 'delivered', encrypted: false },
            msg.remoteId,
          );
          return;
        }
      }
    },
  };
}
