// The HTTP API at {api_endpoint} (docs/architecture.md §7, issue 4):
//  - ChatSecure v3.1 as shipped (NOTES.md 2): accounts/, device/{kind}/, tokens/, messages/, pubsub/
//  - knocks/ (ChatSecure push v3 draft, "Sending Knock to Offline Contact")
//  - federation/register, federation/relay and the well-known key document (federation.ts)
// Every refusal is a JSON 4xx; nothing is stored before the request has been fully validated.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { PushServerConfig } from './config';
import type { AccountRow, DeviceRow, OutboxEntry, PushStorage, SeenId, WhitelistTokenRow } from './storage/types';
import { HttpError, badRequest, clientAddress, parseBody, parseJsonText, readBody, sendError, sendJson, validate } from './http-util';
import { LoginGuard } from './login-guard';
import { isoMicros } from './dates';
import { PeerCache } from './peer-cache';
import { RateLimiter } from './ratelimit';
import { hashPassword, randomId, randomSecret, randomWhitelistToken, sha256hex, uuid, verifyPassword } from './secrets';
import {
  accountRequestSchema,
  deviceCreateSchema,
  deviceUpdateSchema,
  knockEnvelopeSchema,
  messageRequestSchema,
  PEER_HEADER,
  pushNameSchema,
  relayBatchSchema,
  relaySchema,
  SIGNATURE_HEADER,
  SIGNING_CONTEXT,
  tokenCreateSchema,
  webPushSubscriptionSchema,
  whitelistTokenSchema,
  WELL_KNOWN_PATH,
  type DeliveryPayload,
  type DeviceKind,
  type KnockEnvelope,
} from '../../src-shared/push/wire';
import { acceptRegistration, FederationError, keyDocument, verifyBody, type ServerIdentity } from './federation';
import type { Outbound } from './outbound';
import type { OutboxWorker } from './worker';
import type { DesktopChannel } from './desktop';
import type { Logger } from './log';

export interface ApiDeps {
  config: PushServerConfig;
  storage: PushStorage;
  identity: ServerIdentity;
  outbound: Outbound;
  worker: OutboxWorker;
  desktop: DesktopChannel;
  log: Logger;
  now: () => number;
}

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  /** path below the api_endpoint path, without leading '/' */
  path: string[];
  addr: string;
}

const AUTH_FAILED = () => new HttpError(401, 'invalid_token', 'Invalid token.', undefined, { 'www-authenticate': 'Token' });
const NOT_FOUND = () => new HttpError(404, 'not_found', 'Not found.');
const CREDENTIALS = () => new HttpError(401, 'invalid_credentials', 'Invalid credentials');

/** ChatSecure's device kinds plus ours; `gcm` is the shipped name of FCM. */
const KIND_ALIASES: Record<string, DeviceKind> = { apns: 'apns', gcm: 'fcm', fcm: 'fcm', webpush: 'webpush', desktop: 'desktop' };

/** the adapter a device kind needs; desktop devices need none */
const ADAPTER_OF: Record<DeviceKind, 'apns' | 'fcm' | 'webpush' | null> = { desktop: null, apns: 'apns', fcm: 'fcm', webpush: 'webpush' };
const ADAPTER_NAME = { apns: 'APNs', fcm: 'FCM', webpush: 'Web Push' } as const;

/** every failed federation/register gets this one answer (issue 12, finding 4): which check
 * failed (a closed port, a plain-HTTP service, a certificate, a key) is logged, never told */
const REGISTRATION_REFUSED = () => new HttpError(403, 'registration_refused', 'registration refused');

export class Api {
  readonly #d: ApiDeps;
  readonly #prefix: string[];
  readonly #limits: Record<'ip' | 'account' | 'token' | 'peer', RateLimiter>;
  /** hash verified for unknown names, so that a login for a missing account costs as much */
  #dummyHash: Promise<string>;
  readonly #login: LoginGuard;
  readonly #peers: PeerCache;

  constructor(deps: ApiDeps) {
    this.#d = deps;
    this.#prefix = new URL(deps.identity.endpoint).pathname.split('/').filter(Boolean);
    const r = deps.config.rate;
    this.#limits = {
      ip: new RateLimiter(r.ip, deps.now),
      account: new RateLimiter(r.account, deps.now),
      token: new RateLimiter(r.token, deps.now),
      peer: new RateLimiter(r.peer, deps.now),
    };
    this.#dummyHash = hashPassword(randomSecret(), this.#scrypt());
    this.#peers = new PeerCache(deps.storage, deps.now);
    this.#login = new LoginGuard({ failures: r.loginFailures, concurrency: deps.config.scryptConcurrency, queue: deps.config.scryptQueue, now: deps.now });
  }

  get ipLimiter(): RateLimiter {
    return this.#limits.ip;
  }

  #scrypt() {
    return { logN: this.#d.config.scryptLogN, r: 8, p: 1 };
  }

  /** maps a URL path to the segments below the api_endpoint path, or null if outside */
  relativePath(pathname: string): string[] | null {
    const segs = pathname.split('/').filter(Boolean);
    for (let i = 0; i < this.#prefix.length; i++) if (segs[i] !== this.#prefix[i]) return null;
    return segs.slice(this.#prefix.length);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const addr = clientAddress(req, this.#d.config.trustedProxyHops);
    try {
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://localhost');
      } catch {
        throw badRequest('bad_url', 'malformed request URL');
      }
      if (url.pathname === WELL_KNOWN_PATH && req.method === 'GET') {
        sendJson(res, 200, keyDocument(this.#d.identity), { 'cache-control': 'public, max-age=300' });
        return;
      }
      const path = this.relativePath(url.pathname);
      if (!path) throw NOT_FOUND();
      let segs: string[];
      try {
        segs = path.map((s) => decodeURIComponent(s));
      } catch {
        throw badRequest('bad_url', 'malformed percent-encoding');
      }
      if (segs.some((s) => /[\x00-\x1f\x7f]/.test(s))) throw badRequest('bad_url', 'control characters in path');
      await this.#route({ req, res, path: segs, addr });
    } catch (e) {
      if (e instanceof HttpError) return sendError(res, e);
      this.#d.log.error('request failed', { method: req.method, error: (e as Error).message });
      sendError(res, new HttpError(500, 'server_error', 'internal error'));
    }
  }

  async #route(c: Ctx): Promise<void> {
    const m = c.req.method ?? 'GET';
    const [a, b, d, ...rest] = c.path;
    if (rest.length) throw NOT_FOUND();
    const only = (...methods: string[]) => {
      if (!methods.includes(m)) throw new HttpError(405, 'method_not_allowed', `Method "${m}" not allowed.`, undefined, { allow: methods.join(', ') });
    };
    switch (a) {
      case undefined:
        only('GET');
        return sendJson(c.res, 200, this.#index());
      case 'accounts':
        if (b === undefined) {
          only('GET', 'POST');
          return m === 'POST' ? this.#createOrLogin(c, true) : this.#me(c);
        }
        if (b === 'login' && d === undefined) {
          only('POST');
          return this.#createOrLogin(c, false);
        }
        if (b === 'logout' && d === undefined) {
          only('POST');
          return this.#logout(c);
        }
        if (d !== undefined) throw NOT_FOUND();
        only('GET', 'DELETE');
        return this.#account(c, b, m);
      case 'device': {
        const kind = b === undefined ? undefined : KIND_ALIASES[b];
        if (!kind) throw NOT_FOUND();
        if (d === undefined) {
          only('GET', 'POST');
          return m === 'POST' ? this.#createDevice(c, kind) : this.#listDevices(c, kind);
        }
        only('GET', 'PUT', 'PATCH', 'DELETE');
        return this.#device(c, kind, d, m);
      }
      case 'tokens':
        if (d !== undefined) throw NOT_FOUND();
        if (b === undefined) {
          only('GET', 'POST');
          return m === 'POST' ? this.#createToken(c) : this.#listTokens(c);
        }
        only('GET', 'DELETE');
        return this.#token(c, b, m);
      case 'messages':
        if (b !== undefined) throw NOT_FOUND();
        only('POST');
        return this.#message(c);
      case 'pubsub':
        if (b !== undefined) throw NOT_FOUND();
        only('GET');
        return sendJson(c.res, 200, { jid: this.#d.config.pubsubJid ?? '' });
      case 'knocks':
        if (b !== undefined) throw NOT_FOUND();
        only('POST');
        return this.#knock(c);
      case 'federation':
        if (d !== undefined) throw NOT_FOUND();
        if (b === 'key') {
          only('GET');
          return sendJson(c.res, 200, keyDocument(this.#d.identity));
        }
        if (b === 'register') {
          only('POST');
          return this.#register(c);
        }
        if (b === 'relay') {
          only('POST');
          return this.#relay(c);
        }
        throw NOT_FOUND();
      default:
        throw NOT_FOUND();
    }
  }

  #index() {
    const e = this.#d.identity.endpoint;
    return {
      accounts: `${e}accounts/`,
      apns: `${e}device/apns/`,
      gcm: `${e}device/gcm/`,
      fcm: `${e}device/fcm/`,
      webpush: `${e}device/webpush/`,
      desktop: `${e}device/desktop/`,
      desktop_channel: `${e.replace(/^http/, 'ws')}desktop/`,
      tokens: `${e}tokens/`,
      messages: `${e}messages/`,
      knocks: `${e}knocks/`,
      pubsub: `${e}pubsub/`,
    };
  }

  // -------------------------------------------------------------------------------------------
  // helpers

  #limit(kind: 'ip' | 'account' | 'token' | 'peer', key: string, cost = 1): void {
    const l = this.#limits[kind];
    if (!l.take(`${kind}:${key}`, cost)) {
      throw new HttpError(429, 'rate_limited', 'Request was throttled.', undefined, { 'retry-after': String(l.retryAfter(`${kind}:${key}`)) });
    }
  }

  async #body(c: Ctx): Promise<unknown> {
    const raw = await readBody(c.req, this.#d.config.maxBody);
    return parseBody(raw, c.req.headers['content-type']);
  }

  async #auth(c: Ctx): Promise<AccountRow> {
    const h = c.req.headers.authorization;
    const m = h ? /^(?:Token|Bearer) ([A-Za-z0-9_-]{20,128})$/.exec(h) : null;
    if (!m) {
      this.#limit('ip', c.addr);
      throw AUTH_FAILED();
    }
    const account = await this.#d.storage.accountByAuthToken(sha256hex(m[1]!), this.#d.now());
    if (!account) {
      // failed guesses count against the address, so tokens cannot be brute-forced quickly
      this.#limit('ip', c.addr);
      throw AUTH_FAILED();
    }
    this.#limit('account', account.id);
    return account;
  }

  async #issueAuthToken(accountId: string): Promise<string> {
    const token = randomSecret();
    const now = this.#d.now();
    await this.#d.storage.putAuthToken(sha256hex(token), accountId, now, now + this.#d.config.authTokenTtlS * 1000);
    return token;
  }

  #deviceJson(dev: DeviceRow, secret?: string) {
    return {
      id: dev.id,
      kind: dev.kind,
      name: dev.name,
      active: dev.active,
      // the desktop channel secret is shown once, at creation; other kinds echo their token
      ...(dev.kind === 'desktop' ? (secret ? { registration_id: secret } : {}) : { registration_id: dev.registrationId }),
      device_id: dev.deviceId,
      date_created: isoMicros(dev.createdAt),
    };
  }

  /** The shipped server's answer {name, token, apns_device, gcm_device, date_expires} (the
   * ChatSecure iOS SDK refuses one without its device key: "JSON missing registration ID"), plus
   * our id and device. */
  async #tokenJson(t: WhitelistTokenRow, plain?: string) {
    const kind = t.deviceId ? (await this.#d.storage.device(t.deviceId))?.kind : undefined;
    return {
      id: t.id,
      name: t.name,
      ...(plain ? { token: plain } : {}),
      apns_device: kind === 'apns' ? t.deviceId : null,
      gcm_device: kind === 'fcm' ? t.deviceId : null,
      device: t.deviceId,
      date_expires: isoMicros(t.expiresAt),
    };
  }

  /** a queue entry for every active device of the account (nothing written yet) */
  async #fanOut(accountId: string, payload: DeliveryPayload): Promise<OutboxEntry[]> {
    const { storage, now, config } = this.#d;
    const all = (await storage.devices(accountId)).filter((x) => x.active);
    // devices registered before their adapter was removed from the configuration: say so, rather
    // than accept a delivery that would silently vanish (issue 12, finding 8)
    const devs = all.filter((x) => this.#canDeliver(x.kind));
    if (devs.length < all.length) this.#d.log.warn('not delivering to devices of an unconfigured kind', { count: all.length - devs.length });
    const t = now();
    const text = JSON.stringify(payload);
    const entries: OutboxEntry[] = devs.map((dev) => ({
      id: randomId(),
      target: 'device',
      targetId: dev.id,
      accountId,
      kind: dev.kind,
      payload: text,
      createdAt: t,
      expiresAt: t + config.knockTtlS * 1000,
      attempts: 0,
      nextAttemptAt: dev.kind === 'desktop' ? t : t + this.#d.worker.leaseMs,
    }));
    return entries;
  }

  /** writes the entries (with `seen`: only if that id is new; false for a replay) and hands the
   * adapter and relay entries to the worker. Desktop entries reach connected devices through the
   * storage's wake-up. */
  async #enqueue(entries: OutboxEntry[], seen?: SeenId): Promise<boolean> {
    const { storage, worker } = this.#d;
    if (seen) {
      if (!(await storage.enqueueOnce(seen, entries))) return false;
    } else {
      await storage.enqueue(entries);
    }
    for (const e of entries) if (e.kind !== 'desktop') worker.dispatchNow(e);
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // accounts/

  async #createOrLogin(c: Ctx, mayCreate: boolean): Promise<void> {
    this.#limit('ip', c.addr);
    const body = validate(accountRequestSchema, await this.#body(c));
    const { storage, now } = this.#d;
    // a locked name is refused before any hashing (login-guard.ts)
    this.#login.checkNotLocked(body.username);
    if (mayCreate) {
      // Hash first: creating and logging in cost the same scrypt, whichever happens.
      const hash = await this.#login.hash(() => hashPassword(body.password, this.#scrypt()));
      const candidate = { id: uuid(), pushName: body.username, passwordHash: hash, email: body.email ?? '', createdAt: now() };
      if (await storage.createAccount(candidate)) {
        const token = await this.#issueAuthToken(candidate.id);
        return sendJson(c.res, 201, { username: candidate.pushName, email: candidate.email, id: candidate.id, token });
      }
    }
    const account = await storage.accountByName(body.username);
    const stored = account?.passwordHash ?? (await this.#dummyHash);
    const ok = await this.#login.hash(() => verifyPassword(body.password, stored));
    if (!account || !ok) {
      this.#login.recordFailure(body.username);
      throw CREDENTIALS();
    }
    const token = await this.#issueAuthToken(account.id);
    sendJson(c.res, 200, { username: account.pushName, email: account.email, id: account.id, token });
  }

  async #logout(c: Ctx): Promise<void> {
    await this.#auth(c);
    const m = /^(?:Token|Bearer) (.+)$/.exec(c.req.headers.authorization ?? '');
    if (m) await this.#d.storage.deleteAuthToken(sha256hex(m[1]!));
    c.res.writeHead(204).end();
  }

  async #me(c: Ctx): Promise<void> {
    const a = await this.#auth(c);
    sendJson(c.res, 200, { username: a.pushName, email: a.email, id: a.id });
  }

  async #account(c: Ctx, name: string, m: string): Promise<void> {
    const a = await this.#auth(c);
    // self only; another name answers 403 whether it exists or not (no enumeration)
    if (!pushNameSchema.safeParse(name).success || name !== a.pushName)
      throw new HttpError(403, 'forbidden', 'You do not have permission to perform this action.');
    if (m === 'GET') return sendJson(c.res, 200, { username: a.pushName, email: a.email, id: a.id });
    await this.#d.storage.deleteAccount(a.id);
    this.#d.desktop.disconnect({ accountId: a.id });
    c.res.writeHead(204).end();
  }

  // -------------------------------------------------------------------------------------------
  // device/{kind}/

  #registrationId(kind: DeviceKind, raw: string | undefined): string {
    if (kind === 'desktop') {
      if (raw !== undefined) throw badRequest('invalid_request', 'desktop devices get their registration_id from the server');
      return '';
    }
    if (raw === undefined) throw badRequest('invalid_request', 'registration_id is required', [{ path: 'registration_id', message: 'required' }]);
    if (kind === 'apns') {
      // ChatSecure stripped spaces from the hex token (NOTES.md 2)
      const hex = raw.replace(/[ <>]/g, '').toLowerCase();
      if (!/^[0-9a-f]{64,200}$/.test(hex))
        throw badRequest('invalid_request', 'APNs registration_id must be a hex device token', [{ path: 'registration_id', message: 'invalid' }]);
      return hex;
    }
    if (kind === 'fcm') {
      if (!/^[A-Za-z0-9_:.-]{1,4096}$/.test(raw))
        throw badRequest('invalid_request', 'invalid FCM registration token', [{ path: 'registration_id', message: 'invalid' }]);
      return raw;
    }
    let sub: unknown;
    try {
      sub = JSON.parse(raw);
    } catch {
      throw badRequest('invalid_request', 'Web Push registration_id must be the subscription JSON', [{ path: 'registration_id', message: 'invalid' }]);
    }
    return JSON.stringify(validate(webPushSubscriptionSchema, sub));
  }

  async #createDevice(c: Ctx, kind: DeviceKind): Promise<void> {
    const a = await this.#auth(c);
    const body = validate(deviceCreateSchema, await this.#body(c));
    const registrationId = this.#registrationId(kind, body.registration_id);
    const adapter = ADAPTER_OF[kind];
    if (adapter && !this.#canDeliver(kind)) {
      throw badRequest('device_kind_unavailable', `this server has no ${ADAPTER_NAME[adapter]} credentials: it cannot deliver to ${kind} devices`);
    }
    const { storage, now, config } = this.#d;
    const secret = kind === 'desktop' ? randomSecret() : undefined;
    const dev: DeviceRow = {
      id: uuid(),
      accountId: a.id,
      kind,
      registrationId,
      channelHash: secret ? sha256hex(secret) : '',
      name: body.name ?? '',
      deviceId: body.device_id ?? '',
      active: body.active ?? true,
      createdAt: now(),
    };
    // the cap is checked inside the write, so parallel requests cannot pass it together
    if (!(await storage.createDevice(dev, config.maxDevicesPerAccount))) throw new HttpError(403, 'too_many_devices', 'device limit reached');
    sendJson(c.res, 201, this.#deviceJson(dev, secret));
  }

  #canDeliver(kind: DeviceKind | 'peer'): boolean {
    const adapter = kind === 'peer' ? null : ADAPTER_OF[kind];
    return adapter === null || this.#d.worker.canDeliver(adapter);
  }

  async #listDevices(c: Ctx, kind: DeviceKind): Promise<void> {
    const a = await this.#auth(c);
    sendJson(
      c.res,
      200,
      (await this.#d.storage.devices(a.id, kind)).map((x) => this.#deviceJson(x)),
    );
  }

  async #device(c: Ctx, kind: DeviceKind, id: string, m: string): Promise<void> {
    const a = await this.#auth(c);
    const dev = z.uuid().safeParse(id).success ? await this.#d.storage.device(id) : null;
    // another account's device is "not found": ids of others are not confirmed
    if (!dev || dev.accountId !== a.id || dev.kind !== kind) throw NOT_FOUND();
    if (m === 'GET') return sendJson(c.res, 200, this.#deviceJson(dev));
    if (m === 'DELETE') {
      await this.#d.storage.deleteDevice(dev.id);
      this.#d.desktop.disconnect({ deviceId: dev.id });
      c.res.writeHead(204).end();
      return;
    }
    const body = validate(m === 'PUT' ? deviceCreateSchema : deviceUpdateSchema, await this.#body(c));
    const patch = {
      ...(body.registration_id !== undefined ? { registrationId: this.#registrationId(kind, body.registration_id) } : {}),
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.device_id !== undefined ? { deviceId: body.device_id } : {}),
      ...(body.active !== undefined ? { active: body.active } : {}),
    };
    await this.#d.storage.updateDevice(dev.id, patch);
    if (patch.active === false) this.#d.desktop.disconnect({ deviceId: dev.id });
    sendJson(c.res, 200, this.#deviceJson((await this.#d.storage.device(dev.id))!));
  }

  // -------------------------------------------------------------------------------------------
  // tokens/

  async #createToken(c: Ctx): Promise<void> {
    const a = await this.#auth(c);
    const body = validate(tokenCreateSchema, await this.#body(c));
    const refs = [body.apns_device, body.gcm_device, body.device].filter((x): x is string => x !== undefined);
    if (refs.length > 1) throw badRequest('invalid_request', 'give at most one of apns_device, gcm_device, device');
    let deviceId: string | null = null;
    if (refs[0]) {
      const dev = await this.#d.storage.device(refs[0]);
      if (!dev || dev.accountId !== a.id) throw badRequest('invalid_request', 'unknown device', [{ path: 'device', message: 'not found' }]);
      deviceId = dev.id;
    }
    const { storage, now, config } = this.#d;
    const plain = randomWhitelistToken();
    const t = now();
    const row: WhitelistTokenRow = {
      id: uuid(),
      hash: sha256hex(plain),
      accountId: a.id,
      deviceId,
      name: body.name ?? '',
      createdAt: t,
      expiresAt: t + config.whitelistTokenTtlS * 1000,
    };
    // the cap is checked inside the write, so parallel requests cannot pass it together
    if (!(await storage.createWhitelistToken(row, config.maxTokensPerAccount))) throw new HttpError(403, 'too_many_tokens', 'token limit reached');
    sendJson(c.res, 201, await this.#tokenJson(row, plain));
  }

  async #listTokens(c: Ctx): Promise<void> {
    const a = await this.#auth(c);
    const now = this.#d.now();
    const live = (await this.#d.storage.whitelistTokens(a.id)).filter((t) => t.expiresAt > now);
    sendJson(c.res, 200, await Promise.all(live.map((t) => this.#tokenJson(t))));
  }

  async #token(c: Ctx, token: string, m: string): Promise<void> {
    const a = await this.#auth(c);
    const row = whitelistTokenSchema.safeParse(token).success ? await this.#d.storage.whitelistTokenByHash(sha256hex(token)) : null;
    if (!row || row.accountId !== a.id) throw NOT_FOUND();
    if (m === 'DELETE') {
      await this.#d.storage.deleteWhitelistToken(row.id);
      c.res.writeHead(204).end();
      return;
    }
    sendJson(c.res, 200, await this.#tokenJson(row, token));
  }

  // -------------------------------------------------------------------------------------------
  // messages/ (AllowAny, as shipped; rate-limited per address and per token)

  async #message(c: Ctx): Promise<void> {
    this.#limit('ip', c.addr);
    const body = validate(messageRequestSchema, await this.#body(c));
    const hash = sha256hex(body.token);
    this.#limit('token', hash);
    const row = await this.#d.storage.whitelistTokenByHash(hash);
    // unknown, revoked and expired tokens are indistinguishable (404, as shipped)
    if (!row || row.expiresAt <= this.#d.now()) throw NOT_FOUND();
    const priority = body.priority ?? 'low';
    await this.#enqueue(
      await this.#fanOut(row.accountId, { kind: 'message', token: body.token, ...(body.data !== undefined ? { data: body.data } : {}), priority }),
    );
    sendJson(c.res, 202, { token: body.token, data: body.data ?? '', priority });
  }

  // -------------------------------------------------------------------------------------------
  // knocks/

  async #knock(c: Ctx): Promise<void> {
    const a = await this.#auth(c);
    const knock = validate(knockEnvelopeSchema, await this.#body(c));
    const { identity, now, config } = this.#d;
    // v3 draft: the knock is sent to the sender's own endpoint, From names the sender
    if (knock.from.endpoint !== identity.endpoint || knock.from.push_name !== a.pushName) {
      throw new HttpError(403, 'from_mismatch', 'From must be this endpoint and your push_name');
    }
    const local = knock.to.endpoint === identity.endpoint;
    let peerEndpoint: string | null = null;
    if (!local) {
      const peer = await this.#peers.get(knock.to.endpoint, 'inbound');
      if (!peer) throw new HttpError(403, 'unknown_peer', 'the recipient endpoint has not registered with this server');
      peerEndpoint = peer.endpoint;
    }
    const t = now();
    let entries: OutboxEntry[];
    if (local) {
      entries = await this.#localEntries(knock);
    } else {
      entries = [
        {
          id: randomId(),
          target: 'peer',
          targetId: peerEndpoint!,
          accountId: '',
          kind: 'peer',
          payload: JSON.stringify(knock),
          createdAt: t,
          expiresAt: t + config.knockTtlS * 1000,
          attempts: 0,
          nextAttemptAt: t + this.#d.worker.leaseMs,
        },
      ];
    }
    // the knock id and its queue entries are written together: a replay writes nothing
    if (!(await this.#enqueue(entries, { scope: 'knock', id: `${identity.endpoint} ${knock.id}`, expiresAt: t + config.knockTtlS * 1000 }))) {
      throw new HttpError(409, 'replay', 'a knock with this id was already accepted');
    }
    // the same answer whether or not the recipient push_name exists (no enumeration)
    sendJson(c.res, 202, { id: knock.id, status: 'accepted' });
  }

  /** "Server-to-Client Communication": an entry for every device of the recipient push_name */
  async #localEntries(knock: KnockEnvelope): Promise<OutboxEntry[]> {
    const account = await this.#d.storage.accountByName(knock.to.push_name);
    return account ? this.#fanOut(account.id, { kind: 'knock', knock }) : [];
  }

  // -------------------------------------------------------------------------------------------
  // federation/

  async #register(c: Ctx): Promise<void> {
    this.#limit('ip', c.addr);
    const raw = await readBody(c.req, this.#d.config.maxBody);
    this.#refuseLoneSurrogates(raw);
    const sig = c.req.headers[SIGNATURE_HEADER];
    const { config } = this.#d;
    try {
      const doc = await acceptRegistration(
        {
          storage: this.#d.storage,
          identity: this.#d.identity,
          outbound: this.#d.outbound,
          windowMs: config.relayWindowS * 1000,
          now: this.#d.now,
          allowPrivatePeers: config.allowPrivatePeers,
        },
        raw,
        typeof sig === 'string' ? sig : undefined,
      );
      this.#d.log.info('peer registered', {});
      sendJson(c.res, 200, doc);
    } catch (e) {
      if (e instanceof FederationError) {
        // the reason for the operator; the requester learns nothing about the target
        this.#d.log.info('registration refused', { reason: e.code });
        throw REGISTRATION_REFUSED();
      }
      throw e;
    }
  }

  /** a raw JSON body (read by hand for its signature) with a lone surrogate is refused; other
   * malformations are the registration's to refuse */
  #refuseLoneSurrogates(raw: Buffer): void {
    try {
      parseJsonText(raw.toString('utf8'));
    } catch (e) {
      if (e instanceof HttpError && e.code === 'invalid_encoding') throw e;
    }
  }

  async #relay(c: Ctx): Promise<void> {
    const { storage, identity, now, config } = this.#d;
    const peerHeader = c.req.headers[PEER_HEADER];
    const sig = c.req.headers[SIGNATURE_HEADER];
    if (typeof peerHeader !== 'string' || peerHeader.length > 512) throw new HttpError(403, 'unknown_peer', 'unknown peer');
    let peer = await this.#peers.get(peerHeader, 'outbound');
    if (!peer) {
      this.#limit('ip', c.addr);
      throw new HttpError(403, 'unknown_peer', 'unknown peer');
    }
    const raw = await readBody(c.req, config.maxBody);
    // Signature first, budget after (issue 12, finding 5): unsigned requests naming a real peer
    // count against the sender's address, never against the peer's relay budget.
    const signature = typeof sig === 'string' ? sig : undefined;
    // a key from the cache may predate a re-registration: check once more against the stored one
    if (
      !verifyBody(peer.publicKey, SIGNING_CONTEXT.relay, raw, signature) &&
      !((peer = await this.#peers.get(peerHeader, 'outbound', true)) && verifyBody(peer.publicKey, SIGNING_CONTEXT.relay, raw, signature))
    ) {
      this.#limit('ip', c.addr);
      throw new HttpError(403, 'bad_signature', 'relay signature invalid');
    }
    this.#limit('peer', peer.endpoint);
    const json = parseJsonText(raw.toString('utf8'));
    // a batch of knocks (`knocks`) or a single one (`knock`); one signature covers the body
    const batch = typeof json === 'object' && json !== null && 'knocks' in json;
    const relay = batch ? validate(relayBatchSchema, json) : validate(relaySchema, json);
    const knocks = 'knocks' in relay ? relay.knocks : [relay.knock];
    // one knock that is not the peer's, or not for us, refuses the whole request
    if (relay.origin !== peer.endpoint || knocks.some((k) => k.from.endpoint !== peer.endpoint))
      throw new HttpError(403, 'origin_mismatch', 'relay origin is not the signing peer');
    if (relay.destination !== identity.endpoint || knocks.some((k) => k.to.endpoint !== identity.endpoint))
      throw new HttpError(400, 'wrong_destination', 'relay is addressed to another server');
    // --rate-peer counts knocks: a batch pays for the knocks beyond the one its request paid for
    if (knocks.length > 1) this.#limit('peer', peer.endpoint, knocks.length - 1);
    const windowMs = config.relayWindowS * 1000;
    if (Math.abs(now() - relay.sent_at) > windowMs) throw new HttpError(403, 'stale', 'relay timestamp outside the window');
    // One transaction: the relay id (replay protection for the request), then each knock by its
    // own id: the same knock retried under a new relay id (lost answer) is accepted but not
    // delivered again.
    const expiresAt = now() + config.knockTtlS * 1000;
    const items = await Promise.all(
      knocks.map(async (k) => ({ seen: { scope: 'knock-in', id: `${peer.endpoint} ${k.id}`, expiresAt }, entries: await this.#localEntries(k) })),
    );
    const fresh = await storage.enqueueBatchOnce({ scope: 'relay', id: `${peer.endpoint} ${relay.relay_id}`, expiresAt: now() + 2 * windowMs }, items);
    if (!fresh) throw new HttpError(409, 'replay', 'relay id already seen');
    items.forEach((it, i) => {
      if (fresh[i]) for (const e of it.entries) if (e.kind !== 'desktop') this.#d.worker.dispatchNow(e);
    });
    sendJson(c.res, 202, batch ? { ids: knocks.map((k) => k.id), status: 'accepted' } : { id: knocks[0]!.id, status: 'accepted' });
  }
}
