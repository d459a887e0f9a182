// The account's outgoing messages, backed by the database, and the bookkeeping of XEP-0198 acks
// so that a reconnect neither loses nor duplicates a message:
// - every outgoing message is stored 'pending' before it is sent,
// - it becomes 'sent' when the server acks its stanza (XEP-0198 §4 <a h=…/>), 'delivered' on the
//   recipient's receipt (XEP-0184, account/receipts.ts), 'failed' on a stanza error,
// - a resumed stream (XEP-0198 §5) re-sends the unacked stanzas itself; a new session re-sends
//   everything still 'pending' with the same id, and receivers drop duplicates by origin-id.
// A message of a private conversation goes to OTR instead (otr/queue.ts keeps it while no
// session is up); Store.pending never returns those.
import { randomUUID } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import type { ChatMessage } from '../../../src-shared/ipc/contract';
import type { Store } from '../store/store';
import type { XmppClient } from '../xmpp/client/client';
import { buildChat } from '../xmpp/messages/messages';
import type { CoreEvents } from './events';

export interface OutboxDeps {
  accountId: string;
  store: Store;
  events: CoreEvents;
  /** the client while the account is online, else null */
  online(): XmppClient | null;
  /** whether `client` is still the account's client */
  isCurrent(client: XmppClient): boolean;
  /** whether a message to `to` must go through OTR (account/otr-link.ts) */
  wantsPrivate(to: string): Promise<boolean>;
  /** hands a private message to OTR: encrypted now or queued there */
  sendPrivate(to: string, messageId: string, body: string): Promise<unknown>;
  /** the plaintext as it goes on the wire (the OTR whitespace tag, OTRv3 §"Tagged plaintext messages") */
  plaintextWire(peer: string, body: string): Promise<string>;
  /**
   * The re-check point at flush time: asked for each pending message just before it is written;
   * 'hold' leaves it pending (not written now, asked again at the next flush). Without it, every
   * pending message is written.
   */
  recheck?(m: ChatMessage): Promise<'send' | 'hold'> | 'send' | 'hold';
}

export class Outbox {
  /** message ids handed to the current XEP-0198 session and not yet acked or failed */
  private readonly inFlight = new Set<string>();
  private flushing: Promise<void> | null = null;

  constructor(private readonly deps: OutboxDeps) {}

  /** a new stream (not a resumption) or none: nothing is in flight on it */
  reset(): void {
    this.inFlight.clear();
  }

  /** follows the XEP-0198 acks of a new client */
  attach(client: XmppClient): void {
    const sm = client.streamManagement;
    sm?.on('ack', (stanza: Element) => {
      const id = stanza.attrs.id;
      if (!stanza.is('message') || !id || !this.inFlight.delete(id)) return;
      this.advance(id, 'sent');
    });
    sm?.on('fail', (stanza: Element) => {
      const id = stanza.attrs.id;
      if (id) this.inFlight.delete(id); // stays 'pending' in the database; sent again when online
    });
  }

  /** a stanza error for one of our messages (account/receipts.ts): it is no longer in flight */
  forget(id: string): void {
    this.inFlight.delete(id);
  }

  /**
   * A private message's stanza is about to be written on `client` (otr/account.ts): with XEP-0198
   * its ack marks it 'sent' (attach above); true when so tracked.
   */
  track(client: XmppClient, id: string): boolean {
    if (!client.streamManagement?.enabled) return false;
    this.inFlight.add(id);
    return true;
  }

  /** whether a stanza of this message is out on the current stream, waiting for its ack */
  inFlightNow(id: string): boolean {
    return this.inFlight.has(id);
  }

  /** a message the user wrote: stored, shown, then sent in clear or handed to OTR */
  async send(to: string, body: string): Promise<ChatMessage> {
    const { store, events, accountId } = this.deps;
    const encrypted = await this.deps.wantsPrivate(to);
    const m: ChatMessage = { id: randomUUID(), accountId, peer: to, direction: 'out', body, timestamp: Date.now(), delivery: 'pending', encrypted };
    store.addOutgoing(m);
    if (!store.contact(accountId, to)) store.upsertContact(accountId, to, {});
    events.emit('message.added', m);
    if (encrypted) {
      // encrypted and written now, or kept in the OTR queue until a private session is up
      await this.deps.sendPrivate(to, m.id, body);
    } else {
      const client = this.deps.online();
      if (client) await this.flush(client);
    }
    return store.message(m.id) ?? m;
  }

  /** Sends every stored 'pending' message not already in flight on this stream. */
  flush(client: XmppClient): Promise<void> {
    const run = async () => {
      for (const m of this.deps.store.pending(this.deps.accountId, 'clear')) {
        if (!this.deps.isCurrent(client) || client.entity.status !== 'online') return;
        if (this.inFlight.has(m.id)) continue;
        if (this.deps.recheck && (await this.deps.recheck(m)) === 'hold') continue;
        if (await this.nowPrivate(m)) continue;
        await this.transmit(client, m);
      }
    };
    const prev = this.flushing ?? Promise.resolve();
    const next = prev.then(run, run).finally(() => {
      if (this.flushing === next) this.flushing = null;
    });
    this.flushing = next;
    return next;
  }

  /**
   * The policy is asked again at flush time (issue 13 item 6): a message written for clear while
   * offline, whose contact has since become private by policy or by intent, goes to OTR instead
   * (it waits there for a session) and is marked encrypted; never in clear. True when it was
   * taken out of the plaintext path (also when the answer could not be had: fail closed, it
   * stays pending and is asked again at the next flush).
   */
  private async nowPrivate(m: ChatMessage): Promise<boolean> {
    let priv: boolean;
    try {
      priv = await this.deps.wantsPrivate(m.peer);
    } catch {
      return true;
    }
    if (!priv) return false;
    const row = this.deps.store.markPrivate(m.id);
    if (row) this.deps.events.emit('message.updated', row);
    await this.deps.sendPrivate(m.peer, m.id, m.body).catch(() => undefined);
    return true;
  }

  private async transmit(client: XmppClient, m: ChatMessage): Promise<void> {
    const tracked = Boolean(client.streamManagement?.enabled);
    if (tracked) this.inFlight.add(m.id);
    try {
      // plaintext (never a message waiting for a private session: Store.pending leaves those
      // out); the OTR policy may append its whitespace tag
      const wire = await this.deps.plaintextWire(m.peer, m.body).catch(() => m.body);
      await client.entity.send(buildChat(m.peer, m.id, wire));
    } catch {
      this.inFlight.delete(m.id); // not written: stays pending
      return;
    }
    // No XEP-0198 on this stream: the write succeeding is all we can know.
    if (!tracked) this.advance(m.id, 'sent');
  }

  private advance(id: string, to: 'sent' | 'failed'): void {
    const m = this.deps.store.advanceDelivery(id, to);
    if (m) this.deps.events.emit('message.updated', m);
  }
}
