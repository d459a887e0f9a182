// One account's XMPP connection: the xmpp.js client, its endpoints tried in order (RFC 6120
// §3.2.1), the account's status (offline / connecting / online / error) and the hooks the rest of
// the account hangs on it. A new session (not a resumption, XEP-0198 §5) is set up by the
// account (presence, roster, carbons) before it counts as online; a resumed stream is online at
// once. xmpp.js reconnects on its own; credentials no longer accepted or a certificate no longer
// trusted stop that, since retrying will not heal them.
import type { Element } from '@xmpp/xml';
import type { AccountInfo, ConnectionStatus } from '../../../src-shared/ipc/contract';
import { MessengerError } from '../../../src-shared/ipc/result';
import { toMessengerError } from '../errors';
import type { AccountRow } from '../store/store';
import { createClient, type XmppClient } from '../xmpp/client/client';
import { AuthFailureBudget, authSucceeded, retryAfterAuthFailure } from '../xmpp/client/reconnect';
import { resolveEndpoints, type Endpoint } from '../xmpp/resolve/resolve';
import type { CoreEvents } from './events';

export interface ConnectionDeps {
  account: AccountRow;
  password: string;
  extraCaPem?: string | undefined;
  /** the server certificate pinned for the account, read at each attempt (xmpp/starttls/pins.ts) */
  pinnedCert?: (() => string | undefined) | undefined;
  events: CoreEvents;
  /** ms to wait for the first connection before giving up (account.add) */
  connectTimeout?: number | undefined;
  /** puts the account's xmpp.js modules on a new client (roster, disco, stream-management acks) */
  attach(client: XmppClient): void;
  /** a stanza that arrived on the current client */
  onStanza(el: Element): void;
  /** a new session is bound: what must happen before the account counts as online */
  setUp(client: XmppClient): Promise<void>;
  /** the status is about to be announced (account.updated); live state reacts here */
  onStatus(status: ConnectionStatus): void;
  /** online on `client`: after a new session was set up, or after a resumption */
  onOnline(client: XmppClient, resumed: boolean): void;
  /** the client is being thrown away (disconnect, failure, removal) */
  onTeardown(): void;
}

export class Connection {
  status: ConnectionStatus = 'offline';
  error: { code: string; message: string } | undefined;
  private current: XmppClient | null = null;
  private wanted = false;
  /** resolves connect() once the first session is fully set up (see the 'online' handler) */
  private onReady: (() => void) | null = null;
  private closed = false;
  /** the user put the account to sleep: offline, reachable by wake-ups only (push/sleep.ts) */
  private asleep = false;
  /** auth failures on reconnects, retried a few times before giving up (xmpp/client/reconnect.ts) */
  private readonly authBudget = new AuthFailureBudget();

  constructor(private readonly deps: ConnectionDeps) {}

  get id(): string {
    return this.deps.account.id;
  }
  get jid(): string {
    return this.deps.account.jid;
  }
  /** the client while the account is online, else null */
  get online(): XmppClient | null {
    return this.current && this.status === 'online' ? this.current : null;
  }
  /** the current client, online or still setting up */
  get client(): XmppClient | null {
    return this.current;
  }
  /** whether `client` is still the account's client (a late event of an old one is ignored) */
  isCurrent(client: XmppClient): boolean {
    return this.current === client;
  }

  info(): AccountInfo {
    return { id: this.id, jid: this.jid, status: this.status, ...(this.error ? { error: this.error } : {}), ...(this.asleep ? { asleep: true } : {}) };
  }

  private setStatus(status: ConnectionStatus, error?: MessengerError): void {
    // A removed account says nothing more: xmpp.js may still report a late error after removal.
    if (this.closed) return;
    const errorInfo = error ? { code: error.code, message: error.message } : undefined;
    if (this.status === status && this.error?.message === errorInfo?.message) return;
    this.status = status;
    this.error = errorInfo;
    this.deps.onStatus(status);
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
    if (this.current && this.status === 'online') return this.info();
    if (this.current) await this.teardown();
    this.wanted = true;
    this.asleep = false;
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
    const pin = this.deps.pinnedCert?.();
    const client = createClient({
      ...(pin ? { pinnedCertSha256: pin } : {}),
      domain,
      host: endpoint.host,
      port: endpoint.port,
      extraCaPem: this.deps.extraCaPem,
      credentials: { username: local, password: this.deps.password },
      resource: account.resource,
    });
    this.current = client;
    this.wire(client);
    const timeout = this.deps.connectTimeout ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const ready = new Promise<void>((resolve) => {
      this.onReady = resolve;
    });
    const started = client.entity.start().then(() => ready);
    // when the timeout wins the race, a later failure of this start (a server going away in the
    // middle of the stream opening: "write after end") must not become an unhandled rejection
    started.catch(() => {});
    try {
      await Promise.race([
        started,
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

  /** `asleep`: the user chose "asleep" (wake-ups only), announced even if already offline */
  async disconnect(asleep = false): Promise<AccountInfo> {
    this.wanted = false;
    const changed = this.asleep !== asleep;
    this.asleep = asleep;
    await this.teardown();
    if (changed && this.status === 'offline' && !this.closed) this.deps.events.emit('account.updated', this.info());
    this.setStatus('offline');
    return this.info();
  }

  private async teardown(): Promise<void> {
    const client = this.current;
    this.current = null;
    this.deps.onTeardown();
    if (!client) return;
    client.reconnect?.stop();
    const socket = client.entity.socket as { destroy?: () => void } | null;
    await Promise.race([client.entity.stop().catch(() => {}), new Promise((r) => setTimeout(r, 3000).unref())]);
    socket?.destroy?.();
    client.entity.removeAllListeners();
    client.entity.on('error', () => {});
  }

  private wire(client: XmppClient): void {
    const { entity, middleware, streamManagement: sm } = client;
    this.deps.attach(client);

    entity.on('online', () => {
      // a new session (not a resumption): the account's setup, then 'online'
      if (this.current !== client) return;
      void this.afterOnline(client);
    });
    sm?.on('resumed', () => {
      if (this.current !== client) return;
      authSucceeded(this.authBudget, client);
      this.setStatus('online');
      this.deps.onOnline(client, true);
    });
    entity.on('status', (status: string) => {
      if (this.current !== client) return;
      if ((status === 'disconnect' || status === 'connecting') && this.wanted && this.status === 'online') this.setStatus('connecting');
    });
    entity.on('error', (e: unknown) => {
      if (this.current !== client || this.status !== 'connecting' || this.onReady) return;
      // While xmpp.js reconnects on its own: credentials no longer accepted or a certificate no
      // longer trusted will not heal by retrying; stop and tell the user. (A server that is
      // down is retried.)
      const error = toMessengerError(e, this.where());
      // a server restarting under a reconnect storm may refuse a correct password for a moment
      if (error.code === 'auth-failed' && retryAfterAuthFailure(this.authBudget, client)) return;
      if (error.code === 'auth-failed' || error.code === 'certificate-untrusted') {
        this.wanted = false;
        void this.teardown().then(() => this.setStatus('error', error));
      }
    });

    middleware.use((ctx, next) => {
      try {
        if (this.current === client) this.deps.onStanza(ctx.stanza);
      } catch (e) {
        // A handler bug must not take the connection down; say nothing about the content.
        console.warn(`core: dropped a ${ctx.stanza.name} stanza (${(e as Error).name})`);
      }
      return next();
    });
  }

  private async afterOnline(client: XmppClient): Promise<void> {
    await this.deps.setUp(client);
    if (this.current !== client) return;
    authSucceeded(this.authBudget, client);
    this.setStatus('online');
    this.onReady?.();
    this.onReady = null;
    this.deps.onOnline(client, false);
  }
}
