// The browser host's trust rules (DESIGN.md 3): loopback only, per-run token, Origin and Host
// checked, every frame validated (through dispatchRequest) with typed errors and no crash.
// The host is real (HTTP + WebSocket on 127.0.0.1, port 0); the core behind it is a recording
// handler table, because these tests are about what may reach the core at all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { WebSocket } from 'ws';
import { HostError, startHost, type RunningHost } from './server';
import type { MessengerEvent, RequestHandlers } from '../../src-shared/ipc/contract';
import { MessengerError } from '../../src-shared/ipc/result';
import { createWsMessengerApi, WS_PATH, wsUrlFromPage, type ServerFrame, type WebSocketLike } from '../../src-shared/ipc/ws-client';

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
  host = await startHost({ core, rendererDir: dir });
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

/** Opens a WebSocket; resolves with the socket, or with the HTTP status the host refused it with. */
function open(opts: { token?: string | null; origin?: string | null; path?: string }): Promise<WebSocket | number> {
  const token = opts.token === undefined ? host.token : opts.token;
  const query = token === null ? '' : `?token=${encodeURIComponent(token)}`;
  const headers: Record<string, string> = {};
  const origin = opts.origin === undefined ? host.origin : opts.origin;
  const ws = new WebSocket(`ws://127.0.0.1:${host.port}${opts.path ?? WS_PATH}${query}`, origin === null ? { headers } : { origin });
  return new Promise((resolve, reject) => {
    ws.on('open', () => resolve(ws));
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

  it('listens on 127.0.0.1 and prints a URL carrying the token in the fragment', () => {
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/#token=${host.token}`);
    expect(host.token.length).toBeGreaterThanOrEqual(40);
    expect(wsUrlFromPage(host.url)).toBe(`ws://127.0.0.1:${host.port}${WS_PATH}?token=${host.token}`);
  });
});

describe('browser host: static files', () => {
  it('serves the renderer with a CSP that allows only its own WebSocket', async () => {
    const r = await get('/');
    expect(r.status).toBe(200);
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain(`connect-src ws://127.0.0.1:${host.port}`);
    expect(csp).toContain("default-src 'none'");
    expect(r.body).toContain(`connect-src ws://127.0.0.1:${host.port}`);
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
  it('refuses a wrong or missing token', async () => {
    expect(await open({ token: 'x'.repeat(host.token.length) })).toBe(401);
    expect(await open({ token: host.token.slice(0, -1) })).toBe(401);
    expect(await open({ token: null })).toBe(401);
  });

  it('refuses a wrong or missing Origin, even with the right token', async () => {
    expect(await open({ origin: 'http://evil.example' })).toBe(403);
    expect(await open({ origin: `http://127.0.0.1:${host.port + 1}` })).toBe(403);
    expect(await open({ origin: 'null' })).toBe(403);
    expect(await open({ origin: null })).toBe(403);
  });

  it('refuses other paths', async () => {
    expect(await open({ path: '/other' })).toBe(404);
  });
});

describe('browser host: frames', () => {
  it('answers malformed frames and unknown requests with typed errors, keeps the connection, and never calls the core', async () => {
    const ws = (await open({})) as WebSocket;
    calls.length = 0;
    const bad: Array<string | Buffer> = ['not json', '[1,2]', 'null', '{"type":"request"}', '{"type":"request","id":-1,"name":"app.snapshot"}', '{"type":"event","id":1}', Buffer.from([1, 2, 3])];
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
    const ws = (await open({})) as WebSocket;
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.send('x'.repeat(2 * 1024 * 1024));
    expect(await closed).toBe(1009);
    const again = (await open({})) as WebSocket;
    expect(again.readyState).toBe(WebSocket.OPEN);
    again.close();
  });
});

describe('ws-client over the host', () => {
  const factory = (url: string) => new WebSocket(url, { origin: host.origin }) as unknown as WebSocketLike;

  it('carries requests, typed errors and events', async () => {
    const api = createWsMessengerApi(wsUrlFromPage(host.url)!, factory);
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
    const other = await startHost({ core: { handlers: { ...handlers, 'app.snapshot': () => new Promise(() => undefined) } as RequestHandlers, onEvent: () => () => undefined }, rendererDir: dir });
    const api = createWsMessengerApi(wsUrlFromPage(other.url)!, (url) => new WebSocket(url, { origin: other.origin }) as unknown as WebSocketLike);
    const status = new Promise((resolve) => api.onStatus((s) => s === 'open' && resolve(s)));
    const pending = api.request('app.snapshot', {});
    await status;
    await other.close();
    expect(await pending).toMatchObject({ ok: false, error: { code: 'not-connected' } });
  });
});
