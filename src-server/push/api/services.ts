// The helpers every part of the API uses: rate limits, bodies, authentication, and the fan-out
// of a delivery to an account's devices through the durable queue.
import { DEVICE_KINDS, type DeliveryPayload, type DeviceKind, type KnockEnvelope } from '../../../src-shared/push/wire';
import { HttpError, parseBody, readBody } from '../http-util';
import { PeerCache } from '../peer-cache';
import { RateLimiter } from '../ratelimit';
import { sha256hex } from '../secrets';
import { fanOutEntries } from '../storage/fan-out';
import type { AccountRow, DeviceRow, FanOutShape, KnockLogin, KnockWrite, OutboxEntry, SeenId } from '../storage/types';
import { ADAPTER_OF, AUTH_FAILED, type ApiDeps, type Ctx } from './context';

/** logins remembered for knock POSTs at most (knockLogin) */
const KNOCK_LOGINS_MAX = 10_000;

export type LimitKind = 'ip' | 'account' | 'token' | 'peer';

export class ApiServices {
  readonly d: ApiDeps;
  readonly limits: Record<LimitKind, RateLimiter>;
  readonly peers: PeerCache;
  /** accounts of login tokens that have knocked here, by token hash (knockLogin) */
  readonly #knockLogins = new Map<string, AccountRow>();

  constructor(deps: ApiDeps) {
    this.d = deps;
    const r = deps.config.rate;
    this.limits = {
      ip: new RateLimiter(r.ip, deps.now),
      account: new RateLimiter(r.account, deps.now),
      token: new RateLimiter(r.token, deps.now),
      peer: new RateLimiter(r.peer, deps.now),
    };
    this.peers = new PeerCache(deps.storage, deps.now);
  }

  scrypt() {
    return { logN: this.d.config.scryptLogN, r: 8, p: 1 };
  }

  limit(kind: LimitKind, key: string, cost = 1): void {
    const l = this.limits[kind];
    if (!l.take(`${kind}:${key}`, cost)) {
      throw new HttpError(429, 'rate_limited', 'Request was throttled.', undefined, { 'retry-after': String(l.retryAfter(`${kind}:${key}`)) });
    }
  }

  async body(c: Ctx): Promise<unknown> {
    const raw = await readBody(c.req, this.d.config.maxBody);
    return parseBody(raw, c.req.headers['content-type']);
  }

  async auth(c: Ctx): Promise<AccountRow> {
    return (await this.#login(c, false)).account;
  }

  /**
   * auth() for a knock POST (issue 17, round four: one statement fewer per knock). The account of
   * a token that has knocked before comes from memory, and the knock's write checks the token
   * again in the same transaction (storage.enqueueKnockOnce; see failedKnockLogin): a token
   * revoked on any replica, or expired, is refused there and nothing is stored. The account a
   * token names never changes, so the rate limit and the From check may use the remembered one.
   */
  async knockLogin(c: Ctx): Promise<{ account: AccountRow; tokenHash: string }> {
    return this.#login(c, true);
  }

  /** the knock's write refused the login: forget it, and count the failure as auth() does */
  failedKnockLogin(c: Ctx, tokenHash: string): never {
    this.#knockLogins.delete(tokenHash);
    this.limit('ip', c.addr);
    throw AUTH_FAILED();
  }

  /** a login ended here (logout): its remembered account goes too */
  forgetLogin(tokenHash: string): void {
    this.#knockLogins.delete(tokenHash);
  }

  async #login(c: Ctx, remembered: boolean): Promise<{ account: AccountRow; tokenHash: string }> {
    const h = c.req.headers.authorization;
    const m = h ? /^(?:Token|Bearer) ([A-Za-z0-9_-]{20,128})$/.exec(h) : null;
    if (!m) {
      this.limit('ip', c.addr);
      throw AUTH_FAILED();
    }
    const tokenHash = sha256hex(m[1]!);
    const known = remembered ? this.#knockLogins.get(tokenHash) : undefined;
    if (known) {
      this.limit('account', known.id);
      return { account: known, tokenHash };
    }
    const account = await this.d.storage.accountByAuthToken(tokenHash, this.d.now());
    if (!account) {
      // failed guesses count against the address, so tokens cannot be brute-forced quickly
      this.limit('ip', c.addr);
      throw AUTH_FAILED();
    }
    this.limit('account', account.id);
    if (remembered) {
      // bounded: a full map starts over (each login then costs one read again)
      if (this.#knockLogins.size >= KNOCK_LOGINS_MAX) this.#knockLogins.clear();
      this.#knockLogins.set(tokenHash, account);
    }
    return { account, tokenHash };
  }

  canDeliver(kind: DeviceKind | 'peer'): boolean {
    const adapter = kind === 'peer' ? null : ADAPTER_OF[kind];
    return adapter === null || this.d.worker.canDeliver(adapter);
  }

  /** a queue entry for every active device of the account (nothing written yet) */
  async fanOut(accountId: string, payload: DeliveryPayload): Promise<OutboxEntry[]> {
    return this.#entries(await this.d.storage.devices(accountId), payload);
  }

  /** "Server-to-Client Communication": an entry for every device of the recipient push_name.
   * One storage read (devicesByName), cached on SQLite: every knock delivered here makes it. */
  async localEntries(knock: KnockEnvelope): Promise<OutboxEntry[]> {
    const devices = await this.d.storage.devicesByName(knock.to.push_name);
    return this.#entries(devices, { kind: 'knock', knock });
  }

  /** how this server's fan-out entries look at this moment (storage/fan-out.ts) */
  fanOutShape(): FanOutShape {
    const t = this.d.now();
    return {
      kinds: DEVICE_KINDS.filter((k) => this.canDeliver(k)),
      createdAt: t,
      expiresAt: t + this.d.config.knockTtlS * 1000,
      leaseMs: this.d.worker.leaseMs,
    };
  }

  /** devices registered before their adapter was removed from the configuration: say so, rather
   * than accept a delivery that would silently vanish (issue 12, finding 8) */
  warnSkipped(count: number): void {
    if (count > 0) this.d.log.warn('not delivering to devices of an unconfigured kind', { count });
  }

  #entries(devices: ReadonlyArray<DeviceRow>, payload: DeliveryPayload): OutboxEntry[] {
    if (devices.length === 0) return [];
    const { entries, skipped } = fanOutEntries(devices, JSON.stringify(payload), this.fanOutShape());
    this.warnSkipped(skipped);
    return entries;
  }

  /** writes the entries (with `seen`: only if that id is new; false for a replay) and hands the
   * adapter and relay entries to the worker. Desktop entries reach connected devices through the
   * storage's wake-up. */
  /** enqueue() for a knock POST under a remembered login (knockLogin): the storage checks the
   * login inside the write */
  async enqueueKnock(login: KnockLogin, entries: OutboxEntry[], seen: SeenId): Promise<KnockWrite> {
    const r = await this.d.storage.enqueueKnockOnce(login, seen, entries);
    if (r === 'stored') this.dispatch(entries);
    return r;
  }

  async enqueue(entries: OutboxEntry[], seen?: SeenId): Promise<boolean> {
    const { storage } = this.d;
    if (seen) {
      if (!(await storage.enqueueOnce(seen, entries))) return false;
    } else {
      await storage.enqueue(entries);
    }
    this.dispatch(entries);
    return true;
  }

  /** hands committed adapter and relay entries to the worker (desktop ones are woken by storage) */
  dispatch(entries: ReadonlyArray<OutboxEntry>): void {
    for (const e of entries) if (e.kind !== 'desktop') this.d.worker.dispatchNow(e);
  }
}
