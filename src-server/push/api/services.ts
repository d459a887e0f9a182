// The helpers every part of the API uses: rate limits, bodies, authentication, and the fan-out
// of a delivery to an account's devices through the durable queue.
import { DEVICE_KINDS, type DeliveryPayload, type DeviceKind, type KnockEnvelope } from '../../../src-shared/push/wire';
import { HttpError, parseBody, readBody } from '../http-util';
import { PeerCache } from '../peer-cache';
import { RateLimiter } from '../ratelimit';
import { sha256hex } from '../secrets';
import { fanOutEntries } from '../storage/fan-out';
import type { AccountRow, DeviceRow, FanOutShape, OutboxEntry, SeenId } from '../storage/types';
import { ADAPTER_OF, AUTH_FAILED, type ApiDeps, type Ctx } from './context';

export type LimitKind = 'ip' | 'account' | 'token' | 'peer';

export class ApiServices {
  readonly d: ApiDeps;
  readonly limits: Record<LimitKind, RateLimiter>;
  readonly peers: PeerCache;

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
    const h = c.req.headers.authorization;
    const m = h ? /^(?:Token|Bearer) ([A-Za-z0-9_-]{20,128})$/.exec(h) : null;
    if (!m) {
      this.limit('ip', c.addr);
      throw AUTH_FAILED();
    }
    const account = await this.d.storage.accountByAuthToken(sha256hex(m[1]!), this.d.now());
    if (!account) {
      // failed guesses count against the address, so tokens cannot be brute-forced quickly
      this.limit('ip', c.addr);
      throw AUTH_FAILED();
    }
    this.limit('account', account.id);
    return account;
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
