// One account, composed: its connection (account/connection.ts), contact list and presence
// (contacts.ts, presence-book.ts), outgoing and incoming messages (outbox.ts, inbox.ts,
// receipts.ts), private conversations (otr-link.ts → otr/account.ts) and this device's prekeys
// (prekeys.ts). Each part gets its dependencies here and nowhere else; this file only wires.
import type { Element } from '@xmpp/xml';
import type { AccountInfo, ChatMessage, ConnectionStatus, Contact } from '../../../src-shared/ipc/contract';
import type { KeyStore } from '../keychain/keychain';
import type { OtrAccount } from '../otr/account';
import type { OtrStore } from '../otr/otr-store';
import type { InboundTlv } from '../otr/wire';
import type { AccountRow, Store } from '../store/store';
import { enableCarbons } from '../xmpp/carbons/carbons';
import type { XmppClient } from '../xmpp/client/client';
import { disco } from '../xmpp/disco/disco';
import { parsePresence } from '../xmpp/presence/presence';
import { Connection } from './connection';
import { Contacts } from './contacts';
import type { CoreEvents } from './events';
import { createInbox } from './inbox';
import { createOtrLink, wantsPrivate } from './otr-link';
import { recoverWhileAway } from '../otr/prekey-ask';
import { Outbox, type OutboxDeps } from './outbox';
import { AccountPrekeys } from './prekeys';
import { PresenceBook } from './presence-book';
import { createReceipts } from './receipts';
import { createRequests, type Requests } from './requests';
import { Blocking } from './blocking';
import { ChatStates } from './chat-states';
import { OwnPresence } from './own-presence';
import { Archive } from './archive';
import { ownNick } from '../store/archive-store';
import { parseNick } from '../xmpp/nick/nick';
import { PepNick } from './pep-nick';

export interface SessionDeps {
  account: AccountRow;
  password: string;
  extraCaPem?: string | undefined;
  /** the server certificate pinned for the account (xmpp/starttls/pins.ts) */
  pinnedCert?: () => string | undefined;
  store: Store;
  events: CoreEvents;
  /** ms to wait for the first connection before giving up (account.add) */
  connectTimeout?: number;
  /** the profile's keychain (the account's OTR keys) and OTR tables (src-main/core/otr) */
  keys: KeyStore;
  otrStore: OtrStore;
  /** the outbox's re-check point at flush time (account/outbox.ts OutboxDeps.recheck) */
  recheck?: OutboxDeps['recheck'];
}

export interface SessionFeature {
  onStanza?(el: Element): void;
  onOnline?(client: XmppClient, resumed: boolean): void;
}

export class AccountSession {
  private readonly connection: Connection;
  private readonly presence: PresenceBook;
  private readonly contacts: Contacts;
  private readonly outbox: Outbox;
  private readonly prekeys: AccountPrekeys;
  /** messages from strangers, waiting for the user's decision (account/requests.ts) */
  readonly requests: Requests;
  private readonly tlvHandlers = new Set<(tlv: InboundTlv) => void>();
  /** told after the user wrote to a contact (wake-ups knock an offline one: push/app-wiring.ts) */
  private readonly sendHandlers = new Set<(peer: string) => void>();
  /** features outside the account that share its stream (groups): see attachFeature */
  private readonly features = new Set<SessionFeature>();
  /** when each contact was seen going offline (their last device's unavailable presence), this run */
  private readonly wentOffline = new Map<string, number>();
  /** private conversations of this account (docs/architecture.md §6): every chat message passes through it */
  readonly otr: OtrAccount;
  /** issue 15: typing notifications (XEP-0085), the server's block list (XEP-0191), our own presence */
  readonly chatStates: ChatStates;
  readonly blocking: Blocking;
  readonly ownPresence: OwnPresence;
  /** issue 15: the server's archive (XEP-0313): catch-up at each new session, earlier history */
  readonly archive: Archive;
  /** our nickname published over PEP, contacts' read from it (XEP-0172 §4.5) */
  readonly pepNick: PepNick;

  constructor(deps: SessionDeps) {
    const { account, store, events, otrStore } = deps;
    const accountId = account.id;
    const jid = account.jid;
    const online = () => this.connection.online;
    const client = () => this.connection.client;

    this.presence = new PresenceBook({ accountId, store, emitContact: (j) => this.contacts.emit(j) });
    this.blocking = new Blocking({
      accountId,
      jid,
      events,
      online,
      onBlocked: (j) => {
        this.presence.forget(j);
        if (store.contact(accountId, j)) this.contacts.emit(j);
      },
    });
    this.ownPresence = new OwnPresence({ accountId, events, online, db: store.database });
    this.chatStates = new ChatStates({
      accountId,
      jid,
      events,
      online,
      resources: (peer) => this.presence.resources(peer),
      isContact: (peer) => store.contact(accountId, peer) !== undefined && !this.blocking.isBlocked(peer),
    });
    this.contacts = new Contacts({ accountId, jid, store, events, presence: this.presence, online, client, ownNick: () => ownNick(store.database, accountId) });
    this.pepNick = new PepNick({ jid, online, ownNick: () => ownNick(store.database, accountId), nickname: (j, nick) => this.contacts.nickname(j, nick) });
    this.prekeys = new AccountPrekeys({ accountId, jid, keys: deps.keys, otr: () => this.otr, online });
    this.otr = createOtrLink({
      accountId,
      jid,
      keys: deps.keys,
      otrStore,
      store,
      events,
      prekeys: () => this.prekeys,
      // OTR answers what arrives while the session is being set up too (messages held by the
      // server while we were offline come right after initial presence): an OTR error or a DAKE
      // reply dropped then would leave the contact's message unread and unrecovered
      online: () => this.connection.online ?? (this.connection.status === 'connecting' ? this.connection.client : null),
      track: (client, id) => this.outbox.track(client, id),
      untrack: (id) => this.outbox.forget(id),
      onTlv: (tlv) => {
        for (const h of [...this.tlvHandlers]) h(tlv);
      },
      presentResources: (peer) => this.presence.resources(peer),
    });
    this.outbox = new Outbox({
      accountId,
      store,
      events,
      online,
      isCurrent: (c) => this.connection.isCurrent(c),
      wantsPrivate: (to) => wantsPrivate(this.otr, otrStore, accountId, to),
      sendPrivate: (to, id, body) => this.otr.run((o) => o.sendPrivate(to, id, body)),
      plaintextWire: (peer, body) => this.otr.run((o) => o.plaintextWire(peer, body)),
      ...(deps.recheck ? { recheck: deps.recheck } : {}),
    });
    const receipts = createReceipts({ accountId, store, events, client, onFailed: (id) => this.outbox.forget(id) });
    this.requests = createRequests({ accountId, store, events, addContact: (j) => this.contacts.add(j), emitContact: (j) => this.contacts.emit(j) });
    this.archive = new Archive({ accountId, jid, store, createdAt: account.created_at, inbox: () => inbox, online });
    const inbox = createInbox({
      accountId,
      jid,
      store,
      events,
      receipts,
      requests: this.requests,
      receive: (from, body) => this.otr.receive(from, body),
      emitContact: (j) => this.contacts.emit(j),
      intercept: (el) => this.archive.collect(el) || this.blocking.screens(el) || this.chatStates.onMessage(el) || this.pepNick.onMessage(el),
      onArchiveId: (id, at) => this.archive.onLive(id, at),
      isBlocked: (peer) => this.blocking.isBlocked(peer),
    });

    this.connection = new Connection({
      account,
      password: deps.password,
      extraCaPem: deps.extraCaPem,
      pinnedCert: deps.pinnedCert,
      events,
      connectTimeout: deps.connectTimeout,
      attach: (c) => {
        this.contacts.attach(c);
        disco({ iqCallee: c.iqCallee });
        this.blocking.attach(c);
        this.outbox.attach(c);
      },
      onStanza: (el) => {
        if (el.is('message')) inbox.onMessage(el);
        else if (el.is('presence')) this.onPresence(el);
        for (const f of [...this.features]) f.onStanza?.(el);
      },
      setUp: (c) => this.setUp(c),
      onStatus: (status) => this.onStatus(status),
      onOnline: (c, resumed) => {
        if (!resumed) this.prekeys.start(c);
        if (!resumed) void this.archive.catchUp(c);
        void this.outbox.flush(c);
        // private messages the server never acknowledged go again (otr/service.ts resendUnacked);
        // read when OTR gets to it, after what the account's going online flushed went out
        void this.otr.run((s) => s.resendUnacked(store.pending(accountId, 'private').filter((m) => !this.outbox.inFlightNow(m.id)))).catch(() => {});
        for (const f of [...this.features]) f.onOnline?.(c, resumed);
      },
      onTeardown: () => {
        this.contacts.detach();
        this.outbox.reset();
        this.prekeys.close();
        this.chatStates.reset();
      },
    });
  }

  get id(): string {
    return this.connection.id;
  }
  get jid(): string {
    return this.connection.jid;
  }
  get status(): ConnectionStatus {
    return this.connection.status;
  }
  get error(): { code: string; message: string } | undefined {
    return this.connection.error;
  }

  info(): AccountInfo {
    return this.connection.info();
  }

  /** Connects and resolves when online; rejects with a typed error (auth-failed, …). */
  connect(): Promise<AccountInfo> {
    return this.connection.connect();
  }

  /** Disconnects for good (the account is being removed): no event is emitted afterwards. */
  async close(): Promise<void> {
    await this.connection.close();
    await this.otr.close();
  }

  disconnect(): Promise<AccountInfo> {
    return this.connection.disconnect();
  }

  /** offline on XMPP, "asleep": the push module keeps the desktop channel (push/sleep.ts) */
  sleep(): Promise<AccountInfo> {
    return this.connection.disconnect(true);
  }

  /** a hook for TLVs arriving in this account's private conversations that OTR does not act on */
  onTlv(handler: (tlv: InboundTlv) => void): () => void {
    this.tlvHandlers.add(handler);
    return () => this.tlvHandlers.delete(handler);
  }

  /** the account's client while it is online, else null (for features sharing the stream) */
  get liveClient(): XmppClient | null {
    return this.connection.online;
  }

  /** a hook for features outside the account that use its one stream: every stanza of the current client, and each 'online' (new session or resumption) */
  attachFeature(f: SessionFeature): () => void {
    this.features.add(f);
    return () => this.features.delete(f);
  }

  contact(jid: string): Contact {
    return this.contacts.contact(jid);
  }
  addContact(jid: string, name?: string): Promise<Contact> {
    return this.contacts.add(jid, name);
  }
  approve(jid: string): Promise<Contact> {
    return this.contacts.approve(jid);
  }
  deny(jid: string): Promise<null> {
    return this.contacts.deny(jid);
  }
  remove(jid: string): Promise<null> {
    return this.contacts.remove(jid);
  }
  markRead(peer: string): void {
    this.contacts.markRead(peer);
  }
  async send(to: string, body: string): Promise<ChatMessage> {
    const m = await this.outbox.send(to, body);
    for (const h of [...this.sendHandlers]) h(to);
    void this.chatStates.sent(to);
    return m;
  }

  /** a hook after each message the user wrote was accepted for sending */
  onSend(handler: (peer: string) => void): () => void {
    this.sendHandlers.add(handler);
    return () => this.sendHandlers.delete(handler);
  }
  rename(jid: string, name: string): Promise<Contact> {
    return this.contacts.rename(jid, name);
  }
  startConversation(jid: string): Contact {
    return this.contacts.start(jid);
  }

  /**
   * A new session: xmpp.js reports 'online' right after resource binding, before stream
   * management is enabled (XEP-0198 §3: <enable/> follows binding). The roster round trip comes
   * after <enabled/> on the same stream, so once it is answered every message we send is tracked
   * for acks.
   */
  private async setUp(client: XmppClient): Promise<void> {
    this.outbox.reset();
    this.archive.sessionStarting();
    // RFC 6121 §2.2 then §4.2: the roster first, then initial presence, so that the presence
    // the server sends back (probes of our contacts) finds them in the contact list
    try {
      await this.contacts.refresh();
    } catch {
      // roster fetch failing (timeout, disconnect) leaves the stored roster as it was
    }
    // the block list before presence: nothing from a blocked address is shown meanwhile (XEP-0191 §3.2)
    await this.blocking.refresh(client);
    await client.entity.send(this.ownPresence.stanza()).catch(() => undefined);
    // XEP-0280 §4: per session; a server without carbons answers with an error, which is fine
    await client.iqCaller.set(enableCarbons()).catch(() => undefined);
    await this.pepNick.publish({ evenIfNone: false }, client);
  }

  private onStatus(status: ConnectionStatus): void {
    if (status !== 'online') this.presence.clear();
    // OTR: waiting messages go out (or a session is asked for) only while online
    void this.otr.setOnline(status === 'online').catch(() => {});
  }

  private onPresence(el: Element): void {
    const p = parsePresence(el);
    if (!p || p.peer === this.jid) return;
    if (p.kind === 'available' || p.kind === 'unavailable') {
      const wasOffline = this.presence.of(p.peer).show === 'offline';
      this.presence.onPresence(p);
      // messages waiting for a private session with them ask again, and what they never confirmed
      // from before they left goes again (otr/service.ts contactAvailable)
      if (p.kind === 'available' && wasOffline) {
        const since = this.wentOffline.get(p.peer);
        this.wentOffline.delete(p.peer);
        void this.otr.run((s) => s.contactAvailable(p.peer, since)).catch(() => {});
      }
      if (p.kind === 'unavailable' && this.presence.of(p.peer).show === 'offline') {
        this.chatStates.offline(p.peer);
        this.wentOffline.set(p.peer, Date.now());
        // issue 13: what they never confirmed goes in an offline session from their prekeys (otr/prekey-ask.ts)
        void recoverWhileAway(this.otr, p.peer).catch(() => {});
      }
    } else this.contacts.onSubscription(p);
    // XEP-0172 §4.1, §4.2: a nickname with a subscription request or presence (after the request made the contact's entry)
    const nick = p.kind === 'subscribe' || p.kind === 'available' ? parseNick(el) : null;
    if (nick !== null) this.contacts.nickname(p.peer, nick);
  }
}
