// The browser host's trust rules (docs/architecture.md §3): loopback only, a one-time launch token exchanged
// for a per-tab secret, one tab at a time (review finding 12), Origin and Host checked, every
// frame validated (through dispatchRequest) with typed errors and no crash.
// The host is real (HTTP + WebSocket on 127.0.0.1, port 0); the core behind it is a recording
// handler table, because these tests are about what may reach the core at all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { WebSocket } from 'ws';
import { HostError, startHost, type RunningHost } from './server';
import { CLOSE_OTHER_TAB, CLOSE_TAKEN_OVER, SESSION_PATH, tabSocketUrl, type SessionAnswer } from '../../src-shared/ipc/host-session';
import type { MessengerEvent, RequestHandlers } from '../../src-shared/ipc/contract';
import { MessengerError } from '../../src-shared/ipc/result';
import { createWsMessengerApi, WS_PATH, type ServerFrame, type WebSocketLike } from '../../src-shared/ipc/ws-client';

const calls: Array<[string, unknown]> = [];
const handlers = new Proxy({} as RequestHandlers, {
  get: (_t, name) => async (input: unknown) => {
    calls.push([String(name), input]);
    if (name === 'account.connect') throw new MessengerError('auth-failed', 'wrong password');
    if (name === 'app.snapshot') return { accounts: [], contacts: [] };
    return null;
  },
});
const eventListeners = new Set<(e: MessengerEvent) => void>();
const core = {
  handlers,
  onEvent(l: (e: MessengerEvent) => void) {
    eventListeners.add(l);
    return () => eventListeners.delete(l);
  },
};
const emit = (e: MessengerEvent) => {
  for (const l of eventListeners) l(e);
};

let parent: string;
let dir: string;
let host: RunningHost;
/** the links the host announced for the next tab (cli.ts prints them) */
const nextUrls: string[] = [];

beforeAll(async () => {
  parent = mkdtempSync(join(tmpdir(), 'host-test-'));
  dir = join(parent, 'renderer');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(
    join(dir, 'index.html'),
    `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="connect-src 'none'"></head><body>hi</body></html>`,
  );
  writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(parent, 'host-test-secret.txt'), 'outside');
  host = await startHost({ core, rendererDir: dir, onNextUrl: (u) => nextUrls.push(u) });
});

afterAll(async () => {
  await host?.close();
  rmSync(parent, { recursive: true, force: true });
});

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: host.port, path, headers: { host: `127.0.0.1:${host.port}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** POSTs to the session endpoint as the page would (or as a hostile client, with other headers). */
function post(body: string, headers: Record<string, string> = {}, h: RunningHost = host, method = 'POST'): Promise<{ status: number; body: SessionAnswer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: h.port,
        path: SESSION_PATH,
        method,
        headers: { host: `127.0.0.1:${h.port}`, origin: h.origin, 'content-type': 'application/json', ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: (res.headers['content-type'] === 'application/json' ? JSON.parse(text) : {}) as SessionAnswer }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const exchange = (token: string, takeOver?: boolean, h: RunningHost = host) =>
  post(JSON.stringify(takeOver === undefined ? { token } : { token, takeOver }), {}, h);

/** a tab of its own for a test that is not about tabs: spends the current link, taking over */
async function newTab(h: RunningHost = host): Promise<string> {
  const r = await exchange(h.token, true, h);
  if (!('secret' in r.body)) throw new Error(`no secret: ${JSON.stringify(r.body)}`);
  return r.body.secret;
}

/**
 * Opens a WebSocket; resolves with the socket once the host admitted it (its hello), with the
 * HTTP status the host refused it with, or with the close code it closed it with at once.
 */
function open(opts: { secret?: string | null; token?: string; origin?: string | null; path?: string; takeOver?: boolean }): Promise<WebSocket | number> {
  const params = new URLSearchParams();
  if (opts.secret) params.set('secret', opts.secret);
  if (opts.token) params.set('token', opts.token);
  if (opts.takeOver) params.set('takeover', '1');
  const query = params.size > 0 ? `?${params}` : '';
  const headers: Record<string, string> = {};
  const origin = opts.origin === undefined ? host.origin : opts.origin;
  const ws = new WebSocket(`ws://127.0.0.1:${host.port}${opts.path ?? WS_PATH}${query}`, origin === null ? { headers } : { origin });
  return new Promise((resolve, reject) => {
    ws.once('message', (data) => {
      if (JSON.parse(data.toString()).type === 'hello') resolve(ws);
    });
    ws.on('close', (code) => resolve(code));
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', (e) => reject(e));
  });
}

function nextFrame(ws: WebSocket): Promise<ServerFrame> {
  return new Promise((resolve) => ws.once('message', (data) => resolve(JSON.parse(data.toString()) as ServerFrame)));
}

describe('browser host: binding', () => {
  it('refuses any bind address but 127.0.0.1, and bad ports, with a typed error', async () => {
    for (const bindAddress of ['0.0.0.0', '::', '192.168.1.10', 'localhost', '']) {
      await expect(startHost({ core, rendererDir: dir, bindAddress })).rejects.toMatchObject({ name: 'HostError', code: 'non-loopback-bind' });
    }
    for (const port of [-1, 65536, 1.5, Number.NaN]) {
      await expect(startHost({ core, rendererDir: dir, port })).rejects.toBeInstanceOf(HostError);
    }
  });

  it('refuses to start without a built renderer', async () => {
    await expect(startHost({ core, rendererDir: join(dir, 'nope') })).rejects.toMatchObject({ code: 'renderer-missing' });
  });

  it('listens on 127.0.0.1 and prints a URL carrying the launch token in the fragment', () => {
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/#token=${host.token}`);
    expect(host.token.length).toBeGreaterThanOrEqual(40);
  });
});

describe('browser host: static files', () => {
  it('serves the renderer with a CSP that allows only its own WebSocket', async () => {
    const r = await get('/');
    expect(r.status).toBe(200);
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${host.port}`);
    expect(csp).toContain("default-src 'none'");
    expect(r.body).toContain(`connect-src 'self' ws://127.0.0.1:${host.port}`);
    expect(r.body).not.toContain("connect-src 'none'");
    expect((await get('/assets/app.js')).status).toBe(200);
  });

  it('refuses a foreign Host header (DNS rebinding) and paths outside the renderer', async () => {
    expect((await get('/', { host: `evil.example:${host.port}` })).status).toBe(421);
    expect((await get('/../host-test-secret.txt')).status).toBe(404);
    expect((await get('/%2e%2e/host-test-secret.txt')).status).toBe(404);
    expect((await get('/..%2fhost-test-secret.txt')).status).toBe(404);
    expect((await get('/assets/..%2f..%2fhost-test-secret.txt')).status).toBe(404);
    expect((await get('/assets/%00')).status).toBe(400);
    expect((await get('/missing.js')).status).toBe(404);
  });
});

describe('browser host: WebSocket admission', () => {
  it('refuses a wrong or missing secret, and the launch token itself', async () => {
    const secret = await newTab();
    expect(await open({ secret: 'x'.repeat(secret.length) })).toBe(401);
    expect(await open({ secret: secret.slice(0, -1) })).toBe(401);
    expect(await open({ secret: null })).toBe(401);
    // the link's token opens no socket, however it is passed
    expect(await open({ token: host.token })).toBe(401);
    expect(await open({ secret: host.token })).toBe(401);
  });

  it('refuses a wrong or missing Origin, even with the right secret', async () => {
    const secret = await newTab();
    expect(await open({ secret, origin: 'http://evil.example' })).toBe(403);
    expect(await open({ secret, origin: `http://127.0.0.1:${host.port + 1}` })).toBe(403);
    expect(await open({ secret, origin: 'null' })).toBe(403);
    expect(await open({ secret, origin: null })).toBe(403);
  });

  it('refuses other paths', async () => {
    expect(await open({ path: '/other' })).toBe(404);
  });
});

describe('browser host: one tab at a time (review finding 12)', () => {
  it('exchanges the one-time launch token for a tab secret once, then announces a new link', async () => {
    const t1 = host.token;
    const before = nextUrls.length;
    const first = await exchange(t1, true);
    expect(first.status).toBe(200);
    expect('secret' in first.body && first.body.secret.length).toBeGreaterThanOrEqual(40);
    // spent: the same link (from the browser history, say) is worth nothing now
    expect(await exchange(t1)).toEqual({ status: 401, body: { error: 'link-used' } });
    expect(await exchange(t1, true)).toEqual({ status: 401, body: { error: 'link-used' } });
    expect(host.token).not.toBe(t1);
    expect(nextUrls.slice(before)).toEqual([host.url]);
  });

  it('refuses a hostile or malformed session request without spending the token', async () => {
    const t = host.token;
    const body = JSON.stringify({ token: t, takeOver: true });
    expect((await post(body, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await post(body, { origin: '' })).status).toBe(403);
    expect((await post(body, { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post('x'.repeat(5000))).status).toBe(413);
    expect((await post('not json')).status).toBe(400);
    expect((await post(JSON.stringify({ token: 5 }))).status).toBe(400);
    expect((await post(JSON.stringify({ token: t, takeOver: 'yes' }))).status).toBe(400);
    expect((await post('', {}, host, 'GET')).status).toBe(405);
    // (without a body: a refused request's unread body may reset the connection before the answer)
    expect((await post('', { host: `evil.example:${host.port}` })).status).toBe(421);
    expect(host.token).toBe(t);
  });

  it('refuses a second tab unless its user takes over; the first is told and its secret dies; events reach one tab', async () => {
    const a = (await exchange(host.token, true)).body as { secret: string };
    const tabA = (await open({ secret: a.secret })) as WebSocket;
    const aClosed = new Promise<number>((resolve) => tabA.on('close', (code) => resolve(code)));

    // tab B with the newest link: "open in another tab", and the link is not spent by asking
    const t2 = host.token;
    expect(await exchange(t2)).toEqual({ status: 409, body: { error: 'open-elsewhere' } });
    expect(host.token).toBe(t2);
    // its user takes over
    const b = (await exchange(t2, true)).body as { secret: string };
    expect(await aClosed).toBe(CLOSE_TAKEN_OVER);
    expect(await open({ secret: a.secret })).toBe(401);
    const tabB = (await open({ secret: b.secret })) as WebSocket;

    // the same secret in a second connection (a duplicated tab) is refused, unless it takes over
    expect(await open({ secret: b.secret })).toBe(CLOSE_OTHER_TAB);
    const received: string[] = [];
    tabB.on('message', (d) => received.push(d.toString()));
    emit({ name: 'account.removed', payload: { accountId: 'only-b' } });
    const bClosed = new Promise<number>((resolve) => tabB.on('close', (code) => resolve(code)));
    const dup = (await open({ secret: b.secret, takeOver: true })) as WebSocket;
    expect(await bClosed).toBe(CLOSE_TAKEN_OVER);
    const dupGot = new Promise<string>((resolve) => dup.once('message', (d) => resolve(d.toString())));
    emit({ name: 'account.removed', payload: { accountId: 'only-dup' } });
    expect(JSON.parse(await dupGot)).toEqual({ type: 'event', event: { name: 'account.removed', payload: { accountId: 'only-dup' } } });
    // B saw the event sent while it was the tab, and not the one after
    expect(received.map((t) => JSON.parse(t).event?.payload.accountId)).toEqual(['only-b']);
    dup.close();
  });
});

describe('browser host: frames', () => {
  it('answers malformed frames and unknown requests with typed errors, keeps the connection, and never calls the core', async () => {
    const ws = (await open({ secret: await newTab() })) as WebSocket;
    calls.length = 0;
    const bad: Array<string | Buffer> = [
      'not json',
      '[1,2]',
      'null',
      '{"type":"request"}',
      '{"type":"request","id":-1,"name":"app.snapshot"}',
      '{"type":"event","id":1}',
      Buffer.from([1, 2, 3]),
    ];
    for (const frame of bad) {
      const answer = nextFrame(ws);
      ws.send(frame, { binary: Buffer.isBuffer(frame) });
      expect(await answer).toMatchObject({ type: 'error', error: { code: 'invalid-argument' } });
    }
    const unknown = nextFrame(ws);
    ws.send(JSON.stringify({ type: 'request', id: 7, name: 'fs.readFile', input: { path: '/etc/passwd' } }));
    expect(await unknown).toEqual({ type: 'response', id: 7, result: { ok: false, error: { code: 'invalid-argument', message: 'unknown request' } } });
    const invalid = nextFrame(ws);
    ws.send(JSON.stringify({ type: 'request', id: 8, name: 'message.send', input: { accountId: 'a', to: 'not a jid', body: 'x' } }));
    expect(await invalid).toMatchObject({ type: 'response', id: 8, result: { ok: false, error: { code: 'invalid-argument' } } });
    expect(calls).toEqual([]);

    // Still usable after all that.
    const good = nextFrame(ws);
    ws.send(JSON.stringify({ type: 'request', id: 9, name: 'app.snapshot', input: {} }));
    expect(await good).toEqual({ type: 'response', id: 9, result: { ok: true, value: { accounts: [], contacts: [] } } });
    expect(calls).toEqual([['app.snapshot', {}]]);
    ws.close();
  });

  it('refuses frames larger than the limit by closing that connection only', async () => {
    const secret = await newTab();
    const ws = (await open({ secret })) as WebSocket;
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.send('x'.repeat(2 * 1024 * 1024));
    expect(await closed).toBe(1009);
    // the tab reconnects (the host may not have seen the close yet: the tab's own secret takes over)
    const again = (await open({ secret, takeOver: true })) as WebSocket;
    expect(again.readyState).toBe(WebSocket.OPEN);
    again.close();
  });
});

describe('ws-client over the host', () => {
  const factory = (url: string) => new WebSocket(url, { origin: host.origin }) as unknown as WebSocketLike;

  it('carries requests, typed errors and events', async () => {
    const api = createWsMessengerApi(tabSocketUrl(host.origin, await newTab()), factory);
    expect(await api.request('app.snapshot', {})).toEqual({ ok: true, value: { accounts: [], contacts: [] } });
    expect(await api.request('account.connect', { accountId: 'a1' })).toEqual({ ok: false, error: { code: 'auth-failed', message: 'wrong password' } });
    const seen = new Promise((resolve) => api.on('account.removed', resolve));
    emit({ name: 'account.removed', payload: { accountId: 'a1' } });
    expect(await seen).toEqual({ accountId: 'a1' });
    api.close();
    expect(api.status).toBe('closed');
    expect(await api.request('app.snapshot', {})).toMatchObject({ ok: false, error: { code: 'not-connected' } });
  });

  it('settles pending requests when the host goes away', async () => {
    const other = await startHost({
      core: { handlers: { ...handlers, 'app.snapshot': () => new Promise(() => undefined) } as RequestHandlers, onEvent: () => () => undefined },
      rendererDir: dir,
    });
    const api = createWsMessengerApi(
      tabSocketUrl(other.origin, await newTab(other)),
      (url) => new WebSocket(url, { origin: other.origin }) as unknown as WebSocketLike,
    );
    const status = new Promise((resolve) => api.onStatus((s) => s === 'open' && resolve(s)));
    const pending = api.request('app.snapshot', {});
    await status;
    await other.close();
    expect(await pending).toMatchObject({ ok: false, error: { code: 'not-connected' } });
  });
});
