// The account's contact list: the roster (RFC 6121 §2) mirrored in the database, presence
// subscriptions (§3) asked, approved, denied and cancelled, and each contact as the renderer
// shows it (Contact: subscription, pending requests, presence, unread count).
import type { Contact } from '../../../src-shared/ipc/contract';
import { MessengerError } from '../../../src-shared/ipc/result';
import type { ContactRow, Store } from '../store/store';
import type { XmppClient } from '../xmpp/client/client';
import { subscriptionRequest, subscriptionStanza, type PresenceEvent } from '../xmpp/presence/presence';
import { withNick } from '../xmpp/nick/nick';
import { conditionName } from '../errors';
import { missingStanzas, pendingRequests, SubscriptionRetry } from './subscriptions';
import { roster as rosterModule, type Roster, type RosterItem } from '../xmpp/roster/roster';
import type { CoreEvents } from './events';
import type { PresenceBook } from './presence-book';

export interface ContactsDeps {
  accountId: string;
  /** our bare JID */
  jid: string;
  store: Store;
  events: CoreEvents;
  presence: PresenceBook;
  /** the client while the account is online, else null */
  online(): XmppClient | null;
  /** the account's current client, online or still setting up */
  client(): XmppClient | null;
  /** our own nickname (XEP-0172 §4.1), put in our subscription requests */
  ownNick?(): string | null;
}

type SubscriptionPresence = Extract<PresenceEvent, { kind: 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed' }>;

export class Contacts {
  private roster: Roster | null = null;
  /**
   * Requests still unanswered are asked again with backoff: a server's anti-flood (ejabberd's
   * mod_pres_counter) drops subscription stanzas without an error (./subscriptions.ts).
   */
  private readonly retry = new SubscriptionRetry({
    resend: async (jid) => {
      const client = this.deps.online();
      if (!client) return;
      for (const type of missingStanzas(this.deps.store.contact(this.id, jid))) await client.entity.send(subscriptionStanza(type, jid));
    },
    isPending: (jid) => missingStanzas(this.deps.store.contact(this.id, jid)).length > 0,
  });

  constructor(private readonly deps: ContactsDeps) {}

  private get id(): string {
    return this.deps.accountId;
  }

  /** the roster module on a new client (roster pushes, RFC 6121 §2.1.6) */
  attach(client: XmppClient): void {
    const { iqCaller, iqCallee } = client;
    this.roster = rosterModule({ iqCaller, iqCallee, ownBare: () => this.deps.jid, onPush: (item) => this.onRosterItem(item) });
  }

  detach(): void {
    this.roster = null;
    this.retry.stop();
  }

  contact(jid: string): Contact {
    const row = this.deps.store.contact(this.id, jid);
    const p = this.deps.presence.of(jid);
    return {
      accountId: this.id,
      jid,
      // XEP-0172 §5: the user's roster name wins; else the contact's own nickname
      ...(row?.name ? { name: row.name } : row?.nick ? { name: row.nick } : {}),
      ...(row?.nick ? { nick: row.nick } : {}),
      subscription: row?.subscription ?? 'none',
      pendingOut: row?.pending_out === 1,
      pendingIn: row?.pending_in === 1,
      presence: p.show,
      ...(p.status ? { status: p.status } : {}),
      unread: this.deps.store.unread(this.id, jid),
    };
  }

  emit(jid: string): void {
    this.deps.events.emit('contact.updated', this.contact(jid));
  }

  /** RFC 6121 §2.2: the whole roster at the start of a session; items gone meanwhile leave */
  async refresh(): Promise<void> {
    if (!this.roster) return;
    const items = await this.roster.get();
    for (const item of items) this.onRosterItem(item);
    const gone = this.deps.store.markRosterExcept(
      this.id,
      items.map((i) => i.jid),
    );
    for (const jid of gone) this.emit(jid);
    this.retry.watchAll(pendingRequests(this.deps.store.contacts(this.id)));
  }

  private onRosterItem(item: RosterItem): void {
    if (item.jid === this.deps.jid) return;
    const { store } = this.deps;
    if (item.subscription === 'remove') {
      const row = store.contact(this.id, item.jid);
      if (!row) return;
      this.deps.presence.forget(item.jid);
      if (row.pending_in) {
        store.upsertContact(this.id, item.jid, { in_roster: 0, subscription: 'none', pending_out: 0 });
        this.emit(item.jid);
      } else {
        // out of the contact list; the conversation's history stays readable (messages.page)
        store.deleteContact(this.id, item.jid);
        this.deps.events.emit('contact.removed', { accountId: this.id, jid: item.jid });
      }
      return;
    }
    const fields: Partial<ContactRow> = { in_roster: 1, subscription: item.subscription, pending_out: item.pendingOut ? 1 : 0, name: item.name };
    // RFC 6121 §3.1.5-6: once they are subscribed to us ('from'/'both') nothing is pending inbound
    if (item.subscription === 'from' || item.subscription === 'both') fields.pending_in = 0;
    store.upsertContact(this.id, item.jid, fields);
    this.emit(item.jid);
  }

  /** subscription presence from a contact (RFC 6121 §3) */
  onSubscription(p: SubscriptionPresence): void {
    const { store } = this.deps;
    const row = store.contact(this.id, p.peer);
    if (p.kind === 'subscribe') {
      // RFC 6121 §3.1.3: already approved? the server answers itself; else the user decides
      if (row && (row.subscription === 'from' || row.subscription === 'both')) return;
      // We asked them first (they are in our roster and we want their presence): their request
      // is the answer to ours, so approve it as a pre-approval would (RFC 6121 §3.4).
      if (row && row.in_roster === 1 && (row.pending_out === 1 || row.subscription === 'to')) {
        this.deps
          .client()
          ?.entity.send(subscriptionStanza('subscribed', p.peer))
          .catch(() => {});
        return;
      }
      store.upsertContact(this.id, p.peer, { pending_in: 1 });
      this.emit(p.peer);
      return;
    }
    // The authoritative state arrives as a roster push; this only clears what is pending.
    if (!row) return;
    if (p.kind === 'unsubscribed') store.upsertContact(this.id, p.peer, { pending_out: 0 });
    if (p.kind === 'unsubscribe') store.upsertContact(this.id, p.peer, { pending_in: 0 });
    this.emit(p.peer);
  }

  private requireOnline(): { client: XmppClient; roster: Roster } {
    const client = this.deps.online();
    const roster = this.roster;
    if (!client || !roster) throw new MessengerError('not-connected', `${this.deps.jid} is not connected; connect it first.`);
    return { client, roster };
  }

  /** XEP-0172: the nickname a contact (or someone asking to be one) published (null: they removed it, §4.5) */
  nickname(jid: string, nick: string | null): void {
    const row = this.deps.store.contact(this.id, jid);
    if (!row || row.nick === nick) return;
    this.deps.store.upsertContact(this.id, jid, { nick });
    this.emit(jid);
  }

  /** RFC 6121 §3.1.1: roster set, then presence subscribe */
  async add(jid: string, name?: string): Promise<Contact> {
    if (jid === this.deps.jid) throw new MessengerError('invalid-argument', 'You cannot add your own account as a contact.');
    const { client, roster } = this.requireOnline();
    await this.iq(() => roster.set(jid, name));
    // RFC 6121 §3.4: pre-approve where the server supports it, so their request needs no answer
    const theySeeUs = ['from', 'both'].includes(this.deps.store.contact(this.id, jid)?.subscription ?? 'none');
    for (const el of subscriptionRequest(jid, { preApproval: client.serverFeatures.preApproval, theySeeUs }))
      await client.entity.send(withNick(el, this.deps.ownNick?.()));
    this.deps.store.upsertContact(this.id, jid, { in_roster: 1, pending_out: 1, ...(name ? { name } : {}) });
    this.retry.watch(jid);
    const c = this.contact(jid);
    this.deps.events.emit('contact.updated', c);
    return c;
  }

  /** RFC 6121 §3.1.4 approve; §3.1.1 and ask back when we do not see their presence yet */
  async approve(jid: string): Promise<Contact> {
    const { client, roster } = this.requireOnline();
    const { store } = this.deps;
    const row = store.contact(this.id, jid);
    await client.entity.send(subscriptionStanza('subscribed', jid));
    const seesThem = row?.subscription === 'to' || row?.subscription === 'both';
    if (!seesThem && row?.pending_out !== 1) {
      if (row?.in_roster !== 1) await this.iq(() => roster.set(jid));
      await client.entity.send(withNick(subscriptionStanza('subscribe', jid), this.deps.ownNick?.()));
      store.upsertContact(this.id, jid, { pending_out: 1, in_roster: 1 });
      this.retry.watch(jid);
    }
    store.upsertContact(this.id, jid, { pending_in: 0 });
    const c = this.contact(jid);
    this.deps.events.emit('contact.updated', c);
    return c;
  }

  /** RFC 6121 §3.2.1: deny with 'unsubscribed' */
  async deny(jid: string): Promise<null> {
    const { client } = this.requireOnline();
    const { store } = this.deps;
    await client.entity.send(subscriptionStanza('unsubscribed', jid));
    const row = store.contact(this.id, jid);
    if (row) {
      store.upsertContact(this.id, jid, { pending_in: 0 });
      if (row.in_roster !== 1) {
        store.deleteContact(this.id, jid);
        this.deps.events.emit('contact.removed', { accountId: this.id, jid });
      } else this.emit(jid);
    }
    return null;
  }

  /** RFC 6121 §2.5.2: removing the item cancels both subscriptions (the server sends them) */
  async remove(jid: string): Promise<null> {
    const { roster } = this.requireOnline();
    await this.iq(() => roster.remove(jid));
    this.deps.presence.forget(jid);
    // out of the contact list; the conversation's history stays readable (messages.page)
    this.deps.store.deleteContact(this.id, jid);
    this.deps.events.emit('contact.removed', { accountId: this.id, jid });
    return null;
  }

  /** RFC 6121 §2.3: a roster set with the new name (none when empty); the server's push brings it back */
  async rename(jid: string, name: string): Promise<Contact> {
    const { roster } = this.requireOnline();
    await this.iq(() => roster.set(jid, name.length > 0 ? name : undefined));
    this.deps.store.upsertContact(this.id, jid, { in_roster: 1, name: name.length > 0 ? name : null });
    const c = this.contact(jid);
    this.deps.events.emit('contact.updated', c);
    return c;
  }

  /** a conversation with any address: a contact entry outside the roster, so that their answers are not a stranger's */
  start(jid: string): Contact {
    if (jid === this.deps.jid) throw new MessengerError('invalid-argument', 'You cannot write to your own account.');
    if (!this.deps.store.contact(this.id, jid)) this.deps.store.upsertContact(this.id, jid, {});
    const c = this.contact(jid);
    this.deps.events.emit('contact.updated', c);
    return c;
  }

  /** the user read the conversation */
  markRead(peer: string): void {
    this.deps.store.markRead(this.id, peer);
    if (this.deps.store.contact(this.id, peer)) this.emit(peer);
  }

  private async iq<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (e) {
      const err = e as { name?: string; condition?: string };
      if (err.name === 'TimeoutError') throw new MessengerError('timeout', 'The server did not answer in time.');
      if (err.name === 'StanzaError') throw new MessengerError('invalid-argument', `The server refused the change (${conditionName(err.condition)}).`);
      throw new MessengerError('not-connected', `${this.deps.jid} lost its connection; try again.`);
    }
  }
}
