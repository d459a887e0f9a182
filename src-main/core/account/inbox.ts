// The account's incoming <message/> stanzas: receipts and errors for our messages (to
// account/receipts.ts), chat from contacts (through OTR, which decrypts or passes plaintext
// through with any whitespace tag removed, in arrival order), and the copies XEP-0280 carbons
// bring of what our other devices sent and received. Duplicates (same origin-id) are dropped:
// before OTR sees them, since a replayed OTR data message would only be unreadable.
// Messages fetched from the server's archive (XEP-0313, account/archive.ts) come here too: the
// ones a new session catches up on take the live path (OTR, requests, receipts); the older ones
// of "load earlier from the server" are stored before the stored history, never through OTR.
import { randomUUID } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import type { ChatMessage } from '../../../src-shared/ipc/contract';
import { isOtrDataMessage, isOtrText } from '../otr/stanza';
import type { ReceivedMessage } from '../otr/wire';
import { hasOutgoing, insertOlder } from '../store/archive-store';
import type { Store } from '../store/store';
import { unwrapCarbon } from '../xmpp/carbons/carbons';
import { ownStanzaId, type ArchivedItem } from '../xmpp/mam/mam';
import { parseIncoming, parseSentCopy, type Incoming } from '../xmpp/messages/messages';
import { bareJid } from '../../../src-shared/ipc/jid';
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
  /** the server archived a live message under this id (XEP-0359 stanza-id by our bare JID) */
  onArchiveId?(archiveId: string, timestamp: number): void;
  /** XEP-0191: nothing from a blocked address is taken from the archive either */
  isBlocked?(peer: string): boolean;
}

export interface Inbox {
  onMessage(el: Element): void;
  /** an archived message a new session caught up on: as if it arrived live (duplicates dropped) */
  fromArchive(item: ArchivedItem): void;
  /** an archived message of the conversation with `peer` older than the stored history; null: not shown (duplicate, OTR, other conversation) */
  historyItem(item: ArchivedItem, peer: string): ChatMessage | null;
}

export function createInbox(deps: InboxDeps): Inbox {
  const { accountId, store, events } = deps;
  /** peer + remote id of chat messages going through OTR right now: a second copy is a duplicate */
  const inFlight = new Set<string>();

  /** stores one incoming message; false for a duplicate */
  const keep = (m: ChatMessage, remoteId: string | null, instanceTag?: number): boolean => {
    if (!store.addIncoming(m, remoteId, instanceTag)) return false;
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
    const flight = msg.remoteId === null ? null : `${msg.peer}\n${msg.remoteId}`;
    if (msg.remoteId !== null && (store.hasIncoming(accountId, msg.peer, msg.remoteId) || inFlight.has(flight as string))) {
      deps.receipts.acknowledge(msg);
      return;
    }
    if (flight !== null) inFlight.add(flight);
    deps
      .receive(msg.from, msg.body)
      .catch((): ReceivedMessage[] => (isOtrText(msg.body) ? [] : [{ text: msg.body, encrypted: false }]))
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
            // issue 13: the contact's device, when they write from several (otr/device-label.ts)
            ...(r.device !== undefined ? { device: r.device } : {}),
          };
          keep(m, i === 0 ? msg.remoteId : null, r.instanceTag);
        });
        if (list.length > 0) deps.receipts.acknowledge(msg);
      })
      .catch(() => {})
      .finally(() => {
        if (flight !== null) inFlight.delete(flight);
      });
  };

  /** XEP-0280 §6: what our other device sent; shown in the conversation as ours, once */
  const onSentCopy = (inner: Element, archived?: ArchivedItem): void => {
    const copy = parseSentCopy(inner, archived?.timestamp);
    if (!copy || copy.peer === deps.jid) return;
    // OTR traffic of our other device is per device: its key exchanges are not ours to run, and
    // its private messages cannot be read here; one of those is shown as such (issue 13), never
    // as garbled text. (Our own OTR stanzas carry <private/> and are not copied at all; this is
    // what another client on the same account sends.)
    const elsewhere = isOtrDataMessage(copy.body);
    if (isOtrText(copy.body) && !elsewhere) return;
    // from the archive: what this device sent itself is stored under its origin-id (outbox.ts)
    if (archived && copy.remoteId !== null && hasOutgoing(store.database, accountId, copy.peer, copy.remoteId)) return;
    const m: ChatMessage = {
      id: randomUUID(),
      accountId,
      peer: copy.peer,
      direction: 'out',
      body: elsewhere ? '' : copy.body,
      timestamp: copy.timestamp,
      delivery: 'sent',
      encrypted: elsewhere,
      ...(elsewhere ? { elsewhere: true } : {}),
    };
    if (!store.addOutgoingCopy(m, copy.remoteId ?? archived?.archiveId ?? null)) return;
    if (!store.contact(accountId, copy.peer)) store.upsertContact(accountId, copy.peer, {});
    events.emit('message.added', m);
  };

  /** the direction of an archived message in our archive, with its other side; null when it is neither ours nor to us */
  const sides = (item: ArchivedItem): { out: boolean; peer: string } | null => {
    const from = bareJid(item.message.attrs.from);
    const to = bareJid(item.message.attrs.to);
    if (from === deps.jid && to && to !== deps.jid) return { out: true, peer: to };
    if (to === deps.jid && from && from !== deps.jid) return deps.isBlocked?.(from) ? null : { out: false, peer: from };
    return null;
  };

  return {
    fromArchive(item) {
      const side = sides(item);
      if (!side) return;
      if (side.out) return onSentCopy(item.message, item);
      const msg = parseIncoming(item.message, deps.jid, item.timestamp);
      if (msg?.kind !== 'chat' || msg.peer !== side.peer) return;
      onChat({ ...msg, remoteId: msg.remoteId ?? item.archiveId });
    },

    historyItem(item, peer) {
      const side = sides(item);
      if (!side || side.peer !== peer) return null;
      let m: ChatMessage;
      let remoteId: string | null;
      if (side.out) {
        const copy = parseSentCopy(item.message, item.timestamp);
        if (!copy || copy.peer !== peer) return null;
        if (copy.remoteId !== null && hasOutgoing(store.database, accountId, peer, copy.remoteId)) return null;
        remoteId = copy.remoteId ?? item.archiveId;
        m = { id: randomUUID(), accountId, peer, direction: 'out', body: copy.body, timestamp: copy.timestamp, delivery: 'sent', encrypted: false };
      } else {
        const msg = parseIncoming(item.message, deps.jid, item.timestamp);
        if (msg?.kind !== 'chat' || msg.peer !== peer) return null;
        remoteId = msg.remoteId ?? item.archiveId;
        if (store.hasIncoming(accountId, peer, remoteId)) return null;
        m = { id: randomUUID(), accountId, peer, direction: 'in', body: msg.body, timestamp: msg.timestamp, delivery: 'delivered', encrypted: false };
      }
      // OTR of the past cannot be read (its keys are gone by design) and must not restart anything
      if (isOtrText(m.body)) return null;
      return insertOlder(store.database, m, remoteId) ? m : null;
    },

    onMessage(el) {
      if (deps.intercept?.(el)) return;
      const carbon = unwrapCarbon(el, deps.jid);
      if (carbon === 'forged') return; // XEP-0280 §11
      if (carbon?.direction === 'sent') return onSentCopy(carbon.message);
      const isCopy = carbon?.direction === 'received';
      const inner = isCopy ? carbon.message : el;
      const msg = parseIncoming(inner, deps.jid);
      if (!msg) return;
      const archiveId = msg.kind === 'chat' ? ownStanzaId(inner, deps.jid) : null;
      if (archiveId !== null && msg.kind === 'chat') {
        deps.onArchiveId?.(archiveId, msg.timestamp);
        // a message without ids is recognised by its archive id when the archive brings it again
        if (msg.remoteId === null) msg.remoteId = archiveId;
      }
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
