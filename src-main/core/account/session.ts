// One account's live connection: the xmpp.js client with our modules on it (roster, presence,
// subscriptions, chat with receipts), the outgoing queue backed by the database, and the
// bookkeeping of XEP-0198 acks so that a reconnect neither loses nor duplicates a message:
// - every outgoing message is stored 'pending' before it is sent,
// - it becomes 'sent' when the server acks its stanza (XEP-0198 §4 <a h=…/>), 'delivered' on the
//   recipient's receipt (XEP-0184), 'failed' on a stanza error,
// - a resumed stream (XEP-0198 §5) re-sends the unacked stanzas itself; a new session re-sends
//   everything still 'pending' with the same id, and receivers drop duplicates by origin-id.
import { randomUUID } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import type { AccountInfo, ChatMessage, ConnectionStatus, Contact, PresenceShow } from '../../../src-shared/ipc/contract';
import { MessengerError } from '../../../src-shared/ipc/result';
import { conditionName, toMessengerError } from '../errors';
import { createClient, type XmppClient } from '../xmpp/client/client';
import { AuthFailureBudget, authSucceeded, retryAfterAuthFailure } from '../xmpp/client/reconnect';
import { bareJid } from '../xmpp/jid/jid';
import { disco } from '../xmpp/disco/disco';
import { resolveEndpoints, type Endpoint } from '../xmpp/resolve/resolve';
import { buildChat, buildReceipt, parseIncoming, parseSentCopy } from '../xmpp/messages/messages';
import { enableCarbons, unwrapCarbon } from '../xmpp/carbons/carbons';
import { aggregate, initialPresence, parsePresence, subscriptionRequest, subscriptionStanza } from '../xmpp/presence/presence';
import { missingStanzas, pendingRequests, SubscriptionRetry } from './subscriptions';
import { roster as rosterModule, type Roster, type RosterItem } from '../xmpp/roster/roster';
import type { AccountRow, ContactRow, Store } from '../store/store';
import type { KeyStore } from '../keychain/keychain';
import { OtrAccount } from '../otr/account';
import type { OtrStore } from '../otr/otr-store';
import { DEFAULT_OTR_POLICY, type OtrNotice, type OtrStatus } from '../../../src-shared/ipc/otr-contract';
import { isOtrText } from '../otr/stanza';
import { PrekeyError } from '../prekey/client';
import { repinPrekeyServer, startPrekeyLifecycle, type PrekeyLifecycle } from '../prekey/lifecycle';
import type { CoreEvents } from './events';

export interface SessionDeps {
  account: AccountRow;
  password: string;
  extraCaPem?: string | undefined;
  store: Store;
  events: CoreEvents;
  /** ms to wait for the first connection before giving up (account.add) */
  connectTimeout?: number;
  /** the profile's keychain (the account's OTR keys) and OTR tables (src-main/core/otr) */
  keys: KeyStore;
  otrStore: OtrStore;
}

type ResourcePresence = { show: PresenceShow; status: string | null };

export class AccountSession {
  status: ConnectionStatus = 'offline';
  error: { code: string; message: string } | undefined;
  private client: XmppClient | null = null;
  private roster: Roster | null = null;
  /** bare JID -> resource -> presence; presence is live state, never stored */
  private readonly presence = new Map<string, Map<string, ResourcePresence>>();
  /** message ids handed to the current XEP-0198 session and not yet acked or failed */
  private readonly inFlight = new Set<string>();
  private wanted = false;
  private flushing: Promise<void> | null = null;
  /** resolves connect() once the first session is fully set up (see afterOnline) */
  private onReady: (() => void) | null = null;
  private closed = false;
  /** publication of this device's prekeys for the current session (background; prekey/lifecycle.ts) */
  private prekeys: PrekeyLifecycle | null = null;
  /** a prekey of ours was used while no prekey lifecycle ran (see onPrekeyUsed) */
  private prekeyUsedMeanwhile = false;
  /** auth failures on reconnects, retried a few times before giving up (xmpp/client/reconnect.ts) */
  private readonly authBudget = new AuthFailureBudget();
  /** unanswered subscription requests asked again with backoff (./subscriptions.ts) */
  private readonly subRetry = new SubscriptionRetry({
    resend: async (jid) => {
      for (const type of missingStanzas(this.deps.store.contact(this.id, jid))) await this.requireOnline().entity.send(subscriptionStanza(type, jid));
    },
    isPending: (jid) => missingStanzas(this.deps.store.contact(this.id, jid)).length > 0,
  });

  /** private conversations of this account (DESIGN.md 6): every chat message passes through it */
  readonly otr: OtrAccount;

  constructor(private readonly deps: SessionDeps) {
    this.otr = new OtrAccount({
      accountId: deps.account.id,
      ownJid: deps.account.jid,
      keys: deps.keys,
      store: deps.otrStore,
      sendStanza: async (el) => {
        const client = this.client;
        if (!client || this.status !== 'online') throw new MessengerError('not-connected', `${this.jid} is not connected.`);
        await client.entity.send(el);
      },
      emit: (name, payload) => {
        if (name === 'otr.status') deps.events.emit('otr.status', payload as OtrStatus);
        else deps.events.emit('otr.notice', payload as OtrNotice);
      },
      onMessageSent: (id, encrypted) => {
        if (!encrypted) deps.store.markSentInClear(id);
        const m = deps.store.advanceDelivery(id, 'sent') ?? (encrypted ? undefined : deps.store.message(id));
        if (m) deps.events.emit('message.updated', m);
      },
      onMessageFailed: (id) => {
        const m = deps.store.advanceDelivery(id, 'failed');
        if (m) deps.events.emit('message.updated', m);
      },
      onMessageDiscarded: (id) => {
        const m = deps.store.advanceDelivery(id, 'failed');
        if (m) deps.events.emit('message.updated', m);
      },
      // a contact started a conversation from one of our prekeys: keep the stock topped up. The
      // messages that waited for us arrive with the initial presence, before the prekey
      // lifecycle of this session exists: then the check runs once it does.
      onPrekeyUsed: () => {
        if (this.prekeys) void this.prekeys.replenish();
        else this.prekeyUsedMeanwhile = true;
      },
      trustPrekeyServer: async (server, fingerprint) => {
        await repinPrekeyServer(deps.keys, deps.account.id, server, fingerprint);
        // a new lifecycle reads the new pin and publishes (or fetches) again
        if (this.client && this.status === 'online') this.startPrekeys(this.client);
      },
      retrievePrekeys: async (peer) => {
        const prekeys = this.prekeys;
        if (!prekeys || this.status !== 'online') throw new MessengerError('not-connected', `${this.jid} is not connected.`);
        try {
          return await prekeys.retrieve(peer);
        } catch (err) {
          throw prekeyFailure(err, peer);
        }
      },
    });
  }

  get id(): string {
    return this.deps.account.id;
  }
  get jid(): string {
    return this.deps.account.jid;
  }

  info(): AccountInfo {
    return { id: this.id, jid: this.jid, status: this.status, ...(this.error ? { error: this.error } : {}) };
  }

  private setStatus(status: ConnectionStatus, error?: MessengerError): void {
    // A removed account says nothing more: xmpp.js may still report a late error after removal.
    if (this.closed) return;
    const errorInfo = error ? { code: error.code, message: error.message } : undefined;
    if (this.status === status && this.error?.message === errorInfo?.message) return;
    this.status = status;
    this.error = errorInfo;
    if (status !== 'online') this.clearPresence();
    // OTR: waiting messages go out (or a session is asked for) only while online
    void this.otr.setOnline(status === 'online').catch(() => {});
    this.deps.events.emit('account.updated', this.info());
  }

  private where(endpoint?: Endpoint): string {
    const a = this.deps.account;
    if (a.host) return `${a.host}${a.port ? `:${a.port}` : ''}`;
    const domain = this.jid.split('@')[1] ?? 'the server';
    return endpoint && endpoint.host !== domain ? `${domain} (${endpoint.host}:${endpoint.port})` : domain;
  }

  /** Connects and resolves when online; rejects with a typed error (auth-failed, …). */
  async connect(): Promise<AccountInfo> {
    if (this.client && this.status === 'online') return this.info();
    if (this.client) await this.teardown();
    this.wanted = true;
    this.setStatus('connecting');
    const { account } = this.deps;
    const domain = account.jid.split('@')[1] as string;
    const endpoints = await resolveEndpoints(domain, { host: account.host, port: account.port });
    if (endpoints.length === 0) {
      const error = new MessengerError('server-unreachable', `${domain} says it offers no XMPP service (its SRV record is ".").`);
      this.wanted = false;
      this.setStatus('error', error);
      throw error;
    }
    // RFC 6120 §3.2.1: try the targets in order until one answers
    for (let i = 0; i < endpoints.length; i++) {
      const endpoint = endpoints[i] as Endpoint;
      try {
        await this.attempt(endpoint);
        return this.info();
      } catch (e) {
        const error = toMessengerError(e, this.where(endpoint));
        await this.teardown();
        if (error.code === 'server-unreachable' && i < endpoints.length - 1 && this.wanted) continue;
        this.wanted = false;
        this.setStatus('error', error);
        throw error;
      }
    }
    throw new MessengerError('internal', 'no endpoint tried');
  }

  private async attempt(endpoint: Endpoint): Promise<void> {
    const { account } = this.deps;
    const [local, domain] = account.jid.split('@') as [string, string];
    const client = createClient({
      domain,
      host: endpoint.host,
      port: endpoint.port,
      extraCaPem: this.deps.extraCaPem,
      credentials: { username: local, password: this.deps.password },
      resource: account.resource,
    });
    this.client = client;
    this.wire(client);
    const timeout = this.deps.connectTimeout ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const ready = new Promise<void>((resolve) => {
      this.onReady = resolve;
    });
    try {
      await Promise.race([
        client.entity.start().then(() => ready),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { name: 'TimeoutError' })), timeout);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Disconnects for good (the account is being removed): no event is emitted afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    this.wanted = false;
    await this.teardown();
  }

  async disconnect(): Promise<AccountInfo> {
    this.wanted = false;
    await this.teardown();
    this.setStatus('offline');
    return this.info();
  }

  private async teardown(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.roster = null;
    this.inFlight.clear();
    this.prekeys?.close();
    this.prekeys = null;
    this.subRetry.stop();
    if (!client) return;
    client.reconnect?.stop();
    const socket = client.entity.socket as { destroy?: () => void } | null;
    await Promise.race([client.entity.stop().catch(() => {}), new Promise((r) => setTimeout(r, 3000).unref())]);
    socket?.destroy?.();
    client.entity.removeAllListeners();
    client.entity.on('error', () => {});
  }

  // ---- wiring ------------------------------------------------------------------------------

  private wire(client: XmppClient): void {
    const { entity, middleware, iqCaller, iqCallee, streamManagement: sm } = client;
    const own = () => this.jid;
    this.roster = rosterModule({ iqCaller, iqCallee, ownBare: own, onPush: (item) => this.onRosterItem(item) });
    disco({ iqCallee });

    entity.on('online', () => {
      // a new session (not a resumption): initial presence, roster, then 'online' and the queue
      if (this.client !== client) return;
      this.inFlight.clear();
      void this.afterOnline(client);
    });
    sm?.on('resumed', () => {
      if (this.client !== client) return;
      authSucceeded(this.authBudget, client);
      this.setStatus('online');
      void this.flush(client);
    });
    entity.on('status', (status: string) => {
      if (this.client !== client) return;
      if ((status === 'disconnect' || status === 'connecting') && this.wanted && this.status === 'online') this.setStatus('connecting');
    });
    entity.on('error', (e: unknown) => {
      if (this.client !== client || this.status !== 'connecting' || this.onReady) return;
      // While xmpp.js reconnects on its own: credentials no longer accepted or a certificate no
      // longer trusted will not heal by retrying; stop and tell the user. (A server that is
      // down is retried.)
      const error = toMessengerError(e, this.where());
      if (error.code === 'auth-failed' && retryAfterAuthFailure(this.authBudget, client)) return;
      if (error.code === 'auth-failed' || error.code === 'certificate-untrusted') {
        this.wanted = false;
        void this.teardown().then(() => this.setStatus('error', error));
      }
    });

    sm?.on('ack', (stanza: Element) => {
      const id = stanza.attrs.id;
      if (!stanza.is('message') || !id || !this.inFlight.delete(id)) return;
      const m = this.deps.store.advanceDelivery(id, 'sent');
      if (m) this.deps.events.emit('message.updated', m);
    });
    sm?.on('fail', (stanza: Element) => {
      const id = stanza.attrs.id;
      if (id) this.inFlight.delete(id); // stays 'pending' in the database; sent again when online
    });

    middleware.use((ctx, next) => {
      try {
        if (this.client === client) {
          if (ctx.stanza.is('message')) this.onMessage(ctx.stanza);
          else if (ctx.stanza.is('presence')) this.onPresence(ctx.stanza);
        }
      } catch (e) {
        // A handler bug must not take the connection down; say nothing about the content.
        console.warn(`core: dropped a ${ctx.stanza.name} stanza (${(e as Error).name})`);
      }
      return next();
    });
  }

  /**
   * xmpp.js reports 'online' right after resource binding, before stream management is enabled
   * (XEP-0198 §3: <enable/> follows binding). The roster round trip comes after <enabled/> on the
   * same stream, so once it is answered every message we send is tracked for acks.
   */
  private async afterOnline(client: XmppClient): Promise<void> {
    try {
      await client.entity.send(initialPresence());
      await this.refreshRoster();
      this.subRetry.watchAll(pendingRequests(this.deps.store.contacts(this.id)));
    } catch {
      // roster fetch failing (timeout, disconnect) leaves the stored roster as it was
    }
    // XEP-0280 §4: per session; a server without carbons answers with an error, which is fine
    await client.iqCaller.set(enableCarbons()).catch(() => undefined);
    if (this.client !== client) return;
    authSucceeded(this.authBudget, client);
    this.setStatus('online');
    this.onReady?.();
    this.onReady = null;
    this.startPrekeys(client);
    await this.flush(client);
  }

  /**
   * In the background, never failing the login: publish this device's profiles and prekey
   * messages to our own domain's prekey server, if it has one (docs/prekey-server.md).
   */
  private startPrekeys(client: XmppClient): void {
    this.prekeys?.close();
    const prekeys = startPrekeyLifecycle({
      accountId: this.id,
      client,
      keys: this.deps.keys,
      identity: () => this.otr.identity,
      savePrekeySecrets: (s) => this.otr.savePrekeySecrets(s),
      forgetStalePrekeys: (r) => this.otr.forgetStalePrekeys(r),
      renewProfiles: () => this.otr.renewProfiles(),
    });
    this.prekeys = prekeys;
    if (this.prekeyUsedMeanwhile) {
      this.prekeyUsedMeanwhile = false;
      void prekeys.replenish();
    }
    void prekeys.done.then((o) => {
      if (o.outcome !== 'fingerprint-changed' || this.prekeys !== prekeys) return;
      // an account-level warning: the notice's peer is our own address
      const message = `The prekey server of your server (${o.server}) presents a different key than before, so this device did not publish its keys there: contacts cannot start a private conversation with you while you are offline. This happens when the server was reinstalled — or when someone is in between. Ask your server's administrator which key it has now; accept the new key only if it matches.`;
      void this.otr.run((s) => s.accountNotice('prekey-server-changed', message, { fingerprint: o.announced.toLowerCase(), server: o.server })).catch(() => {});
    });
  }

  /** Sends every stored 'pending' message not already in flight on this stream. */
  private flush(client: XmppClient): Promise<void> {
    const run = async () => {
      for (const m of this.deps.store.pending(this.id)) {
        if (this.client !== client || client.entity.status !== 'online') return;
        if (this.inFlight.has(m.id)) continue;
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

  private async transmit(client: XmppClient, m: ChatMessage): Promise<void> {
    const sm = client.streamManagement;
    const tracked = Boolean(sm?.enabled);
    if (tracked) this.inFlight.add(m.id);
    try {
      // plaintext (never a message waiting for a private session: Store.pending leaves those
      // out); the OTR policy may append its whitespace tag (OTRv3 §"Tagged plaintext messages")
      const wire = await this.otr.run((o) => o.plaintextWire(m.peer, m.body)).catch(() => m.body);
      await client.entity.send(buildChat(m.peer, m.id, wire));
    } catch {
      this.inFlight.delete(m.id); // not written: stays pending
      return;
    }
    if (!tracked) {
      // No XEP-0198 on this stream: the write succeeding is all we can know.
      const updated = this.deps.store.advanceDelivery(m.id, 'sent');
      if (updated) this.deps.events.emit('message.updated', updated);
    }
  }

  // ---- roster and subscriptions --------------------------------------------------------------

  private async refreshRoster(): Promise<void> {
    if (!this.roster) return;
    const items = await this.roster.get();
    for (const item of items) this.onRosterItem(item);
    const gone = this.deps.store.markRosterExcept(this.id, items.map((i) => i.jid));
    for (const jid of gone) this.emitContact(jid);
  }

  private onRosterItem(item: RosterItem): void {
    if (item.jid === this.jid) return;
    const { store } = this.deps;
    if (item.subscription === 'remove') {
      const row = store.contact(this.id, item.jid);
      if (!row) return;
      this.presence.delete(item.jid);
      if (row.pending_in) {
        store.upsertContact(this.id, item.jid, { in_roster: 0, subscription: 'none', pending_out: 0 });
        this.emitContact(item.jid);
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
    this.emitContact(item.jid);
  }

  contact(jid: string): Contact {
    const row = this.deps.store.contact(this.id, jid);
    const p = aggregate(this.presence.get(jid)?.values() ?? []);
    return {
      accountId: this.id,
      jid,
      ...(row?.name ? { name: row.name } : {}),
      subscription: row?.subscription ?? 'none',
      pendingOut: row?.pending_out === 1,
      pendingIn: row?.pending_in === 1,
      presence: p.show,
      ...(p.status ? { status: p.status } : {}),
      unread: this.deps.store.unread(this.id, jid),
    };
  }

  private emitContact(jid: string): void {
    this.deps.events.emit('contact.updated', this.contact(jid));
  }

  private requireOnline(): XmppClient {
    const client = this.client;
    if (!client || this.status !== 'online' || !this.roster) {
      throw new MessengerError('not-connected', `${this.jid} is not connected; connect it first.`);
    }
    return client;
  }

  /** RFC 6121 §3.1.1: roster set, then presence subscribe */
  async addContact(jid: string, name?: string): Promise<Contact> {
    if (jid === this.jid) throw new MessengerError('invalid-argument', 'You cannot add your own account as a contact.');
    const client = this.requireOnline();
    await this.iq(() => this.roster!.set(jid, name));
    const theySeeUs = ['from', 'both'].includes(this.deps.store.contact(this.id, jid)?.subscription ?? 'none');
    for (const el of subscriptionRequest(jid, { preApproval: client.serverFeatures.preApproval, theySeeUs })) await client.entity.send(el);
    this.deps.store.upsertContact(this.id, jid, { in_roster: 1, pending_out: 1, ...(name ? { name } : {}) });
    this.subRetry.watch(jid);
    const c = this.contact(jid);
    this.deps.events.emit('contact.updated', c);
    return c;
  }

  /** RFC 6121 §3.1.4 approve; §3.1.1 and ask back when we do not see their presence yet */
  async approve(jid: string): Promise<Contact> {
    const client = this.requireOnline();
    const row = this.deps.store.contact(this.id, jid);
    await client.entity.send(subscriptionStanza('subscribed', jid));
    const seesThem = row?.subscription === 'to' || row?.subscription === 'both';
    if (!seesThem && row?.pending_out !== 1) {
      if (row?.in_roster !== 1) await this.iq(() => this.roster!.set(jid));
      await client.entity.send(subscriptionStanza('subscribe', jid));
      this.deps.store.upsertContact(this.id, jid, { pending_out: 1, in_roster: 1 });
      this.subRetry.watch(jid);
    }
    this.deps.store.upsertContact(this.id, jid, { pending_in: 0 });
    const c = this.contact(jid);
    this.deps.events.emit('contact.updated', c);
    return c;
  }

  /** RFC 6121 §3.2.1: deny with 'unsubscribed' */
  async deny(jid: string): Promise<null> {
    const client = this.requireOnline();
    await client.entity.send(subscriptionStanza('unsubscribed', jid));
    const row = this.deps.store.contact(this.id, jid);
    if (row) {
      this.deps.store.upsertContact(this.id, jid, { pending_in: 0 });
      if (row.in_roster !== 1) {
        this.deps.store.deleteContact(this.id, jid);
        this.deps.events.emit('contact.removed', { accountId: this.id, jid });
      } else this.emitContact(jid);
    }
    return null;
  }

  /** RFC 6121 §2.5.2: removing the item cancels both subscriptions (the server sends them) */
  async remove(jid: string): Promise<null> {
    this.requireOnline();
    await this.iq(() => this.roster!.remove(jid));
    this.presence.delete(jid);
    // out of the contact list; the conversation's history stays readable (messages.page)
    this.deps.store.deleteContact(this.id, jid);
    this.deps.events.emit('contact.removed', { accountId: this.id, jid });
    return null;
  }

  private async iq<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (e) {
      const err = e as { name?: string; condition?: string };
      if (err.name === 'TimeoutError') throw new MessengerError('timeout', 'The server did not answer in time.');
      if (err.name === 'StanzaError') throw new MessengerError('invalid-argument', `The server refused the change (${conditionName(err.condition)}).`);
      throw new MessengerError('not-connected', `${this.jid} lost its connection; try again.`);
    }
  }

  private onPresence(el: Element): void {
    const p = parsePresence(el);
    if (!p || p.peer === this.jid) return;
    const { store } = this.deps;
    switch (p.kind) {
      case 'available': {
        // Presence only from people in the roster (RFC 6121 §4.3: the server only routes it then)
        if (!store.contact(this.id, p.peer)) return;
        let m = this.presence.get(p.peer);
        if (!m) this.presence.set(p.peer, (m = new Map()));
        // bound the per-contact resource map against a flood of resources
        if (!m.has(p.resource) && m.size >= 32) return;
        m.set(p.resource, { show: p.show, status: p.status });
        this.emitContact(p.peer);
        return;
      }
      case 'unavailable': {
        const m = this.presence.get(p.peer);
        if (!m?.delete(p.resource)) return;
        if (m.size === 0) this.presence.delete(p.peer);
        this.emitContact(p.peer);
        return;
      }
      case 'subscribe': {
        // RFC 6121 §3.1.3: already approved? the server answers itself; else the user decides
        const row = store.contact(this.id, p.peer);
        if (row && (row.subscription === 'from' || row.subscription === 'both')) return;
        // We asked them first (they are in our roster and we want their presence): their request
        // is the answer to ours, so approve it as a pre-approval would (RFC 6121 §3.4).
        if (row && row.in_roster === 1 && (row.pending_out === 1 || row.subscription === 'to')) {
          this.client?.entity.send(subscriptionStanza('subscribed', p.peer)).catch(() => {});
          return;
        }
        store.upsertContact(this.id, p.peer, { pending_in: 1 });
        this.emitContact(p.peer);
        return;
      }
      case 'subscribed':
      case 'unsubscribed':
      case 'unsubscribe': {
        // The authoritative state arrives as a roster push; this only clears what is pending.
        const row = store.contact(this.id, p.peer);
        if (!row) return;
        if (p.kind === 'unsubscribed') store.upsertContact(this.id, p.peer, { pending_out: 0 });
        if (p.kind === 'unsubscribe') store.upsertContact(this.id, p.peer, { pending_in: 0 });
        this.emitContact(p.peer);
        return;
      }
    }
  }

  private clearPresence(): void {
    const peers = [...this.presence.keys()];
    this.presence.clear();
    for (const jid of peers) if (this.deps.store.contact(this.id, jid)) this.emitContact(jid);
  }

  // ---- messages ----------------------------------------------------------------------------

  /**
   * Whether a message to `to` must go through OTR (DESIGN.md 6, no silent downgrade). Without
   * the OTR keys (keychain trouble) a conversation that is private by intent or policy fails
   * closed; any other goes out in clear as it would without OTR.
   */
  private async wantsPrivate(to: string): Promise<boolean> {
    try {
      return await this.otr.run((o) => o.wantsPrivate(to));
    } catch (e) {
      const { otrStore } = this.deps;
      if (otrStore.isPrivate(this.id, to) || otrStore.policy(this.id, to, DEFAULT_OTR_POLICY).policy === 'always') throw e;
      return false;
    }
  }

  async send(to: string, body: string): Promise<ChatMessage> {
    if (await this.wantsPrivate(to)) {
      const pm: ChatMessage = { id: randomUUID(), accountId: this.id, peer: to, direction: 'out', body, timestamp: Date.now(), delivery: 'pending', encrypted: true };
      this.deps.store.addOutgoing(pm);
      if (!this.deps.store.contact(this.id, to)) this.deps.store.upsertContact(this.id, to, {});
      this.deps.events.emit('message.added', pm);
      // encrypted and written now, or kept in the OTR queue until a private session is up
      await this.otr.run((o) => o.sendPrivate(to, pm.id, body));
      return this.deps.store.message(pm.id) ?? pm;
    }
    const m: ChatMessage = { id: randomUUID(), accountId: this.id, peer: to, direction: 'out', body, timestamp: Date.now(), delivery: 'pending', encrypted: false };
    this.deps.store.addOutgoing(m);
    if (!this.deps.store.contact(this.id, to)) this.deps.store.upsertContact(this.id, to, {});
    this.deps.events.emit('message.added', m);
    const client = this.client;
    if (client && this.status === 'online') await this.flush(client);
    return this.deps.store.message(m.id) ?? m;
  }

  private onMessage(el: Element): void {
    const carbon = unwrapCarbon(el, this.jid);
    if (carbon === 'forged') return; // XEP-0280 §11
    if (carbon?.direction === 'sent') return this.onSentCopy(carbon.message);
    const isCopy = carbon?.direction === 'received';
    const msg = parseIncoming(isCopy ? carbon.message : el, this.jid);
    if (!msg) return;
    // receipts and errors inside a copy concern our other device's messages, not ours
    if (isCopy && msg.kind !== 'chat') return;
    const { store, events } = this.deps;
    switch (msg.kind) {
      case 'receipt': {
        // only the peer the message went to can confirm it (XEP-0184 §5.2)
        if (!store.outgoing(this.id, msg.peer, msg.ofId)) return;
        const m = store.advanceDelivery(msg.ofId, 'delivered');
        if (m) events.emit('message.updated', m);
        return;
      }
      case 'error': {
        if (!store.outgoing(this.id, msg.peer, msg.ofId)) return;
        this.inFlight.delete(msg.ofId);
        const m = store.advanceDelivery(msg.ofId, 'failed');
        if (m) events.emit('message.updated', m);
        return;
      }
      case 'chat': {
        if (msg.peer === this.jid) return; // our own carbons are not enabled; ignore reflections
        // OTR traffic is per device: a copy of another device's OTR message is not ours to read
        if (isCopy && isOtrText(msg.body)) return;
        if (!isCopy) {
          this.onChat(msg);
          return;
        }
        const m: ChatMessage = { id: randomUUID(), accountId: this.id, peer: msg.peer, direction: 'in', body: msg.body, timestamp: msg.timestamp, delivery: 'delivered', encrypted: false };
        const isNew = store.addIncoming(m, msg.remoteId);
        if (isNew) {
          if (!store.contact(this.id, msg.peer)) store.upsertContact(this.id, msg.peer, {});
          events.emit('message.added', m);
          this.emitContact(msg.peer);
        }
        // XEP-0184 §5.1 receipt, also for a duplicate (the first receipt may be what got lost);
        // §8: only to contacts allowed to see our presence, so receipts leak nothing new.
        const row = store.contact(this.id, msg.peer);
        if (!isCopy && msg.wantsReceipt && msg.stanzaId && row && (row.subscription === 'from' || row.subscription === 'both')) {
          this.client?.entity.send(buildReceipt(msg.from, randomUUID(), msg.stanzaId)).catch(() => {});
        }
        return;
      }
    }
  }

  /**
   * A chat message from a contact: through OTR (which decrypts, or passes plaintext through with
   * any whitespace tag removed), in arrival order; what it yields is stored and shown with its
   * `encrypted` flag. Duplicates (same origin-id) are dropped before OTR sees them: a replayed
   * OTR data message would only be unreadable.
   */
  private onChat(msg: Extract<ReturnType<typeof parseIncoming>, { kind: 'chat' }>): void {
    const { store, events } = this.deps;
    const duplicate = msg.remoteId !== null && store.hasIncoming(this.id, msg.peer, msg.remoteId);
    if (!duplicate) {
      this.otr
        .receive(msg.from, msg.body)
        .catch(() => (isOtrText(msg.body) ? [] : [{ text: msg.body, encrypted: false }]))
        .then((list) => {
          list.forEach((r, i) => {
            const m: ChatMessage = { id: randomUUID(), accountId: this.id, peer: msg.peer, direction: 'in', body: r.text, timestamp: msg.timestamp, delivery: 'delivered', encrypted: r.encrypted };
            if (!store.addIncoming(m, i === 0 ? msg.remoteId : null)) return;
            if (!store.contact(this.id, msg.peer)) store.upsertContact(this.id, msg.peer, {});
            events.emit('message.added', m);
            this.emitContact(msg.peer);
          });
        })
        .catch(() => {});
    }
    // XEP-0184 §5.1 receipt, also for a duplicate (the first receipt may be what got lost);
    // §8: only to contacts allowed to see our presence, so receipts leak nothing new.
    const row = store.contact(this.id, msg.peer);
    if (msg.wantsReceipt && msg.stanzaId && row && (row.subscription === 'from' || row.subscription === 'both')) {
      this.client?.entity.send(buildReceipt(msg.from, randomUUID(), msg.stanzaId)).catch(() => {});
    }
  }

  /** XEP-0280 §6: what our other device sent; shown in the conversation as ours, once */
  private onSentCopy(inner: Element): void {
    const copy = parseSentCopy(inner);
    if (!copy || copy.peer === this.jid) return;
    if (isOtrText(copy.body)) return; // OTR traffic of our other device: per device
    const { store, events } = this.deps;
    const m: ChatMessage = { id: randomUUID(), accountId: this.id, peer: copy.peer, direction: 'out', body: copy.body, timestamp: copy.timestamp, delivery: 'sent', encrypted: false };
    if (!store.addOutgoingCopy(m, copy.remoteId)) return;
    if (!store.contact(this.id, copy.peer)) store.upsertContact(this.id, copy.peer, {});
    events.emit('message.added', m);
  }

  markRead(peer: string): void {
    this.deps.store.markRead(this.id, peer);
    if (this.deps.store.contact(this.id, peer)) this.emitContact(peer);
  }

  normalize(jid: string): string {
    const b = bareJid(jid);
    if (!b) throw new MessengerError('invalid-argument', 'a JID looks like name@server.example');
    return b;
  }
}

/** a prekey client failure as the user should read it (prekey/client.ts PrekeyErrorCode) */
function prekeyFailure(err: unknown, peer: string): MessengerError {
  if (err instanceof MessengerError) return err;
  if (err instanceof PrekeyError) {
    if (err.code === 'timeout') return new MessengerError('timeout', `The prekey server of ${peer}'s server did not answer. Try again later.`);
    if (err.code === 'refused') return new MessengerError('otr-error', `The prekey server of ${peer}'s server refused to answer (too many requests?). Try again later.`);
    return new MessengerError('otr-error', `The prekey server of ${peer}'s server answered with something unusable (${err.code}).`);
  }
  return new MessengerError('internal', 'Looking up the contact\'s devices failed.');
}
