// The HTTP API at {api_endpoint} (docs/architecture.md §7, issue 4):
//  - ChatSecure v3.1 as shipped (NOTES.md 2): accounts/, device/{kind}/, tokens/, messages/, pubsub/
//  - knocks/ (ChatSecure push v3 draft, "Sending Knock to Offline Contact")
//  - federation/register, federation/relay and the well-known key document (federation.ts)
// Every refusal is a JSON 4xx; nothing is stored before the request has been fully validated.
// This file routes; each part of the API is in api/ (accounts.ts, devices.ts, tokens.ts,
// messages.ts, knocks.ts, federation.ts), sharing api/services.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WELL_KNOWN_PATH } from '../../src-shared/push/wire';
import { keyDocument } from './federation';
import { HttpError, badRequest, clientAddress, sendError, sendJson } from './http-util';
import type { RateLimiter } from './ratelimit';
import { AccountsApi } from './api/accounts';
import { KIND_ALIASES, NOT_FOUND, type ApiDeps, type Ctx } from './api/context';
import { DevicesApi } from './api/devices';
import { register, relay } from './api/federation';
import { postKnock } from './api/knocks';
import { postMessage } from './api/messages';
import { ApiServices } from './api/services';
import { TokensApi } from './api/tokens';

export type { ApiDeps } from './api/context';

export class Api {
  readonly #d: ApiDeps;
  readonly #prefix: string[];
  readonly #s: ApiServices;
  readonly #accounts: AccountsApi;
  readonly #devices: DevicesApi;
  readonly #tokens: TokensApi;

  constructor(deps: ApiDeps) {
    this.#d = deps;
    this.#prefix = new URL(deps.identity.endpoint).pathname.split('/').filter(Boolean);
    this.#s = new ApiServices(deps);
    this.#accounts = new AccountsApi(this.#s);
    this.#devices = new DevicesApi(this.#s);
    this.#tokens = new TokensApi(this.#s);
  }

  get ipLimiter(): RateLimiter {
    return this.#s.limits.ip;
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
          return m === 'POST' ? this.#accounts.createOrLogin(c, true) : this.#accounts.me(c);
        }
        if (b === 'login' && d === undefined) {
          only('POST');
          return this.#accounts.createOrLogin(c, false);
        }
        if (b === 'logout' && d === undefined) {
          only('POST');
          return this.#accounts.logout(c);
        }
        if (d !== undefined) throw NOT_FOUND();
        only('GET', 'DELETE');
        return this.#accounts.account(c, b, m);
      case 'device': {
        const kind = b === undefined ? undefined : KIND_ALIASES[b];
        if (!kind) throw NOT_FOUND();
        if (d === undefined) {
          only('GET', 'POST');
          return m === 'POST' ? this.#devices.create(c, kind) : this.#devices.list(c, kind);
        }
        only('GET', 'PUT', 'PATCH', 'DELETE');
        return this.#devices.one(c, kind, d, m);
      }
      case 'tokens':
        if (d !== undefined) throw NOT_FOUND();
        if (b === undefined) {
          only('GET', 'POST');
          return m === 'POST' ? this.#tokens.create(c) : this.#tokens.list(c);
        }
        only('GET', 'DELETE');
        return this.#tokens.one(c, b, m);
      case 'messages':
        if (b !== undefined) throw NOT_FOUND();
        only('POST');
        return postMessage(this.#s, c);
      case 'pubsub':
        if (b !== undefined) throw NOT_FOUND();
        only('GET');
        return sendJson(c.res, 200, { jid: this.#d.config.pubsubJid ?? '' });
      case 'knocks':
        if (b !== undefined) throw NOT_FOUND();
        only('POST');
        return postKnock(this.#s, c);
      case 'federation':
        if (d !== undefined) throw NOT_FOUND();
        if (b === 'key') {
          only('GET');
          return sendJson(c.res, 200, keyDocument(this.#d.identity));
        }
        if (b === 'register') {
          only('POST');
          return register(this.#s, c);
        }
        if (b === 'relay') {
          only('POST');
          return relay(this.#s, c);
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
}
