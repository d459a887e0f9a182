// Typed client of the push server (docs/architecture.md §7): the HTTP API at an api_endpoint and the desktop
// WebSocket channel, used by the app's core (src-main/core/push), the servers' tests and the bench.
// It lives in src-shared/node-push, the Node-only room of src-shared: it needs node:http(s),
// node:tls and ws, so no browser or renderer bundle may import it. Certificate verification is
// always on, with an optional extra CA (a local stack's CA).
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import WebSocket from 'ws';
import { z } from 'zod';
import {
  accountResponseSchema,
  deviceResponseSchema,
  normalizeEndpoint,
  serverFrameSchema,
  tokenResponseSchema,
  type AccountResponse,
  type DeliveryPayload,
  type DeviceKind,
  type DeviceResponse,
  type KnockEnvelope,
  type TokenResponse,
} from '../push/wire';

// Answer schemas, built once: zod compiles a schema on its first use, and rebuilding one per
// request costs more than the validation itself (docs/performance.md, "Push").
const anySchema = z.unknown();
const devicesSchema = z.array(deviceResponseSchema);
const tokensSchema = z.array(tokenResponseSchema);
const messageAnswerSchema = z.object({ token: z.string(), data: z.string(), priority: z.string() });
const knockAnswerSchema = z.object({ id: z.string(), status: z.string() });

export class PushApiError extends Error {
  override readonly name = 'PushApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

export interface PushClientOptions {
  /** api_endpoint, e.g. https://push.example/api/v1/ */
  endpoint: string;
  /** extra trusted CA (PEM), added to the system roots */
  ca?: string;
  /** login token from a previous session */
  token?: string;
  timeoutMs?: number;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: unknown;
}

export interface Delivery {
  delivery: string;
  payload: DeliveryPayload;
}

export class PushClient {
  readonly endpoint: string;
  token: string | null;
  /** one TLS context for every connection: building one from the system roots plus an extra CA
   * costs ≈ 50 ms of CPU, which a context per desktop connection paid each time */
  readonly #secureContext: tls.SecureContext | undefined;
  readonly #agent: http.Agent;
  readonly #timeout: number;

  constructor(opts: PushClientOptions) {
    this.endpoint = normalizeEndpoint(opts.endpoint);
    this.token = opts.token ?? null;
    this.#secureContext = opts.ca ? tls.createSecureContext({ ca: [...tls.rootCertificates, opts.ca] }) : undefined;
    this.#timeout = opts.timeoutMs ?? 15_000;
    this.#agent = this.endpoint.startsWith('https:')
      ? new https.Agent({ keepAlive: true, ...(this.#secureContext ? { secureContext: this.#secureContext } : {}) })
      : new http.Agent({ keepAlive: true });
  }

  close(): void {
    this.#agent.destroy();
  }

  /** Low-level request relative to the endpoint (or an absolute URL); never throws on status. */
  raw(
    method: string,
    path: string,
    opts: { body?: string | Buffer; json?: unknown; headers?: Record<string, string>; auth?: boolean } = {},
  ): Promise<RawResponse> {
    const url = new URL(path, this.endpoint);
    const headers: Record<string, string> = { accept: 'application/json', ...(opts.headers ?? {}) };
    let body = opts.body;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['content-type'] ??= 'application/json';
    }
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    if (opts.auth !== false && this.token && !headers.authorization) headers.authorization = `Token ${this.token}`;
    const lib = url.protocol === 'https:' ? https : http;
    const attempt = (retry: boolean): Promise<RawResponse> =>
      new Promise((resolve, reject) => {
        const req = lib.request(url, { method, headers, agent: this.#agent, timeout: this.#timeout }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown = null;
            try {
              json = text ? JSON.parse(text) : null;
            } catch {
              json = null;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
          });
          res.on('error', reject);
        });
        req.on('timeout', () => req.destroy(new Error('request timed out')));
        req.on('error', (e: NodeJS.ErrnoException) => {
          // A kept-alive socket the server closed just as we reused it: the request never reached
          // the server, so sending it once more on a fresh connection is safe (Node http docs,
          // "request.reusedSocket").
          if (retry && req.reusedSocket && e.code === 'ECONNRESET') attempt(false).then(resolve, reject);
          else reject(e);
        });
        req.end(body);
      });
    return attempt(true);
  }

  async #call<S extends z.ZodType>(schema: S, method: string, path: string, json?: unknown, auth = true): Promise<z.output<S>> {
    const r = await this.raw(method, path, { ...(json !== undefined ? { json } : {}), auth });
    if (r.status < 200 || r.status >= 300) {
      const b = r.json as { error?: unknown; code?: unknown } | null;
      throw new PushApiError(
        r.status,
        typeof b?.code === 'string' ? b.code : 'http_error',
        typeof b?.error === 'string' ? b.error : `HTTP ${r.status}`,
        r.json,
      );
    }
    const parsed = schema.safeParse(r.json);
    if (!parsed.success) throw new PushApiError(r.status, 'bad_response', 'server answer failed validation', r.json);
    return parsed.data;
  }

  // accounts
  /** ChatSecure semantics: creates the account, or logs in if it exists and the password matches */
  async createOrLogin(username: string, password: string, email?: string): Promise<AccountResponse> {
    const a = await this.#call(accountResponseSchema, 'POST', 'accounts/', { username, password, ...(email ? { email } : {}) }, false);
    this.token = a.token ?? null;
    return a;
  }
  async login(username: string, password: string): Promise<AccountResponse> {
    const a = await this.#call(accountResponseSchema, 'POST', 'accounts/login/', { username, password }, false);
    this.token = a.token ?? null;
    return a;
  }
  async logout(): Promise<void> {
    await this.#call(anySchema, 'POST', 'accounts/logout/');
    this.token = null;
  }
  me(): Promise<AccountResponse> {
    return this.#call(accountResponseSchema, 'GET', 'accounts/');
  }
  async deleteAccount(username: string): Promise<void> {
    await this.#call(anySchema, 'DELETE', `accounts/${encodeURIComponent(username)}/`);
  }

  // devices
  registerDevice(kind: DeviceKind, fields: { registration_id?: string; name?: string; device_id?: string; active?: boolean } = {}): Promise<DeviceResponse> {
    return this.#call(deviceResponseSchema, 'POST', `device/${kind}/`, fields);
  }
  listDevices(kind: DeviceKind): Promise<DeviceResponse[]> {
    return this.#call(devicesSchema, 'GET', `device/${kind}/`);
  }
  updateDevice(
    kind: DeviceKind,
    id: string,
    patch: { registration_id?: string; name?: string; device_id?: string; active?: boolean },
  ): Promise<DeviceResponse> {
    return this.#call(deviceResponseSchema, 'PATCH', `device/${kind}/${encodeURIComponent(id)}/`, patch);
  }
  async unregisterDevice(kind: DeviceKind, id: string): Promise<void> {
    await this.#call(anySchema, 'DELETE', `device/${kind}/${encodeURIComponent(id)}/`);
  }

  // ChatSecure whitelist tokens
  createToken(opts: { device?: string; name?: string } = {}): Promise<TokenResponse> {
    return this.#call(tokenResponseSchema, 'POST', 'tokens/', opts);
  }
  listTokens(): Promise<TokenResponse[]> {
    return this.#call(tokensSchema, 'GET', 'tokens/');
  }
  async revokeToken(token: string): Promise<void> {
    await this.#call(anySchema, 'DELETE', `tokens/${encodeURIComponent(token)}/`);
  }
  /** POST messages/ as a ChatSecure peer does (no authentication) */
  sendMessage(msg: { token: string; data?: string; priority?: 'high' | 'low' }): Promise<{ token: string; data: string; priority: string }> {
    return this.#call(messageAnswerSchema, 'POST', 'messages/', msg, false);
  }

  // knocks
  sendKnock(knock: KnockEnvelope): Promise<{ id: string; status: string }> {
    return this.#call(knockAnswerSchema, 'POST', 'knocks/', knock);
  }

  /** opens the desktop channel of a device with the registration_id returned at registration */
  connectDesktop(registrationId: string): Promise<DesktopConnection> {
    const url = new URL('desktop/', this.endpoint);
    // one `acked` frame per batch of acknowledgements (issue 17); a server that predates it
    // ignores the query and answers with one frame per delivery, which is understood as well
    url.searchParams.set('acks', 'batch');
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return DesktopConnection.open(url.toString(), registrationId, this.#secureContext);
  }
}

/** The device side of the desktop channel. Deliveries are buffered until read with next(). */
export class DesktopConnection {
  readonly #ws: WebSocket;
  readonly #queue: Delivery[] = [];
  readonly #waiters: Array<() => void> = [];
  readonly #acks = new Map<string, () => void>();
  #closed = false;
  closeCode: number | null = null;
  deviceId = '';

  private constructor(ws: WebSocket) {
    this.#ws = ws;
  }

  static open(url: string, token: string, secureContext: tls.SecureContext | undefined, timeoutMs = 15_000): Promise<DesktopConnection> {
    return new Promise((resolve, reject) => {
      // ws hands its options to tls.connect, certificate verification included (always on)
      const ws = new WebSocket(url, { ...(secureContext ? { secureContext } : {}), maxPayload: 1 << 20, perMessageDeflate: false });
      const conn = new DesktopConnection(ws);
      let ready = false;
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new PushApiError(0, 'timeout', 'desktop channel did not become ready', null));
      }, timeoutMs);
      ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', token })));
      ws.on('message', (data) => {
        let frame;
        try {
          frame = serverFrameSchema.parse(JSON.parse(data.toString()));
        } catch {
          ws.close(1002, 'invalid frame');
          return;
        }
        if (frame.type === 'ready') {
          ready = true;
          conn.deviceId = frame.device;
          clearTimeout(timer);
          resolve(conn);
        } else if (frame.type === 'delivery') {
          conn.#queue.push({ delivery: frame.delivery, payload: frame.payload });
          conn.#wakeAll();
        } else if (frame.type === 'acked') {
          for (const id of frame.deliveries ?? [frame.delivery!]) {
            conn.#acks.get(id)?.();
            conn.#acks.delete(id);
          }
        } else if (frame.type === 'error' && !ready) {
          clearTimeout(timer);
          reject(new PushApiError(401, frame.code, frame.error, frame));
        }
      });
      ws.on('close', (code) => {
        conn.#closed = true;
        conn.closeCode = code;
        conn.#wakeAll();
        for (const done of conn.#acks.values()) done();
        conn.#acks.clear();
        if (!ready) {
          clearTimeout(timer);
          reject(new PushApiError(0, 'closed', `desktop channel closed (${code})`, null));
        }
      });
      ws.on('error', (e) => {
        if (!ready) {
          clearTimeout(timer);
          reject(e);
        }
      });
    });
  }

  #wakeAll(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  get closed(): boolean {
    return this.#closed;
  }
  /** deliveries received and not yet taken with next() */
  get buffered(): number {
    return this.#queue.length;
  }

  /** the next delivery (waits up to timeoutMs) */
  async next(timeoutMs = 15_000): Promise<Delivery> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const d = this.#queue.shift();
      if (d) return d;
      if (this.#closed) throw new PushApiError(0, 'closed', 'desktop channel closed', null);
      const left = deadline - Date.now();
      if (left <= 0) throw new PushApiError(0, 'timeout', 'no delivery within the timeout', null);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** registers a callback for every delivery instead of next() (bench) */
  onDelivery(cb: (d: Delivery) => void): void {
    this.#waiters.length = 0;
    const drain = () => {
      for (let d = this.#queue.shift(); d; d = this.#queue.shift()) cb(d);
      if (!this.#closed) this.#waiters.push(drain);
    };
    drain();
  }

  /** acknowledges a delivery; resolves when the server confirms its removal (or the channel closes) */
  ack(delivery: string): Promise<void> {
    if (this.#ws.readyState !== WebSocket.OPEN) return Promise.resolve();
    const p = new Promise<void>((resolve) => this.#acks.set(delivery, resolve));
    this.#ws.send(JSON.stringify({ type: 'ack', delivery }));
    return p;
  }

  /** sends a raw frame (tests of hostile input) */
  sendRaw(text: string): void {
    this.#ws.send(text);
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#ws.once('close', () => resolve());
      this.#ws.close(1000);
    });
  }
}
