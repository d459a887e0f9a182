// Message requests (issue 13, strangers): a chat message from someone this account has no
// contact entry for is held here instead of creating a contact, and it never reaches OTR, so
// no key exchange starts with a stranger (an OTR query or DAKE message from them is only
// remembered as "asked for a private conversation"; a whitespace tag is removed from the text,
// OTRv3 §"Tagged plaintext messages"). The user decides: accept (the stranger becomes a
// contact, the held messages join the conversation), block (dropped, and everything they send
// afterwards), ignore (dropped; a later message makes a new request). Requests and blocks are
// kept in the profile database (store/requests-store.ts): a request not decided before the
// messenger quits is there again when it starts (the server keeps nothing: the messages were
// delivered).
import { randomUUID } from 'node:crypto';
import type { ChatMessage, Contact, MessageRequest } from '../../../src-shared/ipc/contract';
import { MessengerError } from '../../../src-shared/ipc/result';
import { findWhitespaceTag } from '../../../src-shared/otr/common/whitespace';
import { RequestStore } from '../store/requests-store';
import type { Store } from '../store/store';
import { isOtrText } from '../otr/stanza';
import type { CoreEvents } from './events';

/** at most this many messages are held per stranger (the oldest are dropped): bounded memory */
export const REQUEST_MESSAGES_MAX = 50;
/** at most this many strangers are held per account */
export const REQUESTS_MAX = 200;

export interface RequestsDeps {
  accountId: string;
  store: Store;
  events: CoreEvents;
  /** roster add and subscription request (account/contacts.ts add) */
  addContact(jid: string): Promise<Contact>;
  /** the contact's entry changed (unread count) */
  emitContact(jid: string): void;
}

export interface Requests {
  /** whether a message from `peer` is a stranger's (no contact entry, or blocked) */
  isStranger(peer: string): boolean;
  /** a chat body from a stranger: held (or dropped when blocked) */
  hold(peer: string, body: string, timestamp: number): void;
  list(): MessageRequest[];
  accept(peer: string): Promise<Contact>;
  block(peer: string): void;
  ignore(peer: string): void;
}

export function createRequests(deps: RequestsDeps): Requests {
  const { accountId, store, events } = deps;
  const saved = new RequestStore(store.database);
  const held = new Map<string, MessageRequest>(saved.held(accountId).map((r) => [r.peer, r]));
  const blocked = new Set<string>(saved.blocked(accountId));

  const take = (peer: string): MessageRequest => {
    const r = held.get(peer);
    if (!r) throw new MessengerError('not-found', `There is no message request from ${peer}.`);
    held.delete(peer);
    saved.remove(accountId, peer);
    events.emit('request.removed', { accountId, peer });
    return r;
  };

  return {
    isStranger: (peer) => blocked.has(peer) || held.has(peer) || !store.contact(accountId, peer),
    hold(peer, body, timestamp) {
      if (blocked.has(peer)) return;
      let r = held.get(peer);
      if (!r) {
        if (held.size >= REQUESTS_MAX) return;
        r = { accountId, peer, messages: [], askedPrivate: false };
        held.set(peer, r);
      }
      if (isOtrText(body)) r.askedPrivate = true;
      else {
        const text = findWhitespaceTag(body)?.text ?? body;
        if (findWhitespaceTag(body)) r.askedPrivate = true;
        if (text.length > 0) r.messages.push({ body: text, timestamp });
        if (r.messages.length > REQUEST_MESSAGES_MAX) r.messages.splice(0, r.messages.length - REQUEST_MESSAGES_MAX);
      }
      saved.save(r, Date.now());
      events.emit('request.updated', { ...r, messages: [...r.messages] });
    },
    list: () => [...held.values()].map((r) => ({ ...r, messages: [...r.messages] })),
    async accept(peer) {
      const r = take(peer);
      const contact = await deps.addContact(peer);
      for (const msg of r.messages) {
        const m: ChatMessage = {
          id: randomUUID(),
          accountId,
          peer,
          direction: 'in',
          body: msg.body,
          timestamp: msg.timestamp,
          delivery: 'delivered',
          encrypted: false,
        };
        if (store.addIncoming(m, null)) events.emit('message.added', m);
      }
      deps.emitContact(peer);
      return contact;
    },
    block(peer) {
      blocked.add(peer);
      saved.block(accountId, peer);
      if (held.has(peer)) take(peer);
    },
    ignore(peer) {
      take(peer);
    },
  };
}
