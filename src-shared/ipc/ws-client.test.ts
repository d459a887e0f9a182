// The renderer's WebSocket transport against a real WebSocket server that misbehaves: garbage
// frames, answers to requests never made, events nobody listens to. None of it may crash the
// client or settle the wrong request. (The well-behaved path runs against the real host in
// src-main/host/server.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createWsMessengerApi, wsUrlFromPage, type RequestFrame, type WebSocketLike } from './ws-client';

let server: WebSocketServer;
let url: string;

beforeAll(async () => {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => server.once('listening', () => r()));
  const { port } = server.address() as { port: number };
  url = `ws://127.0.0.1:${port}/ipc?token=t`;
  server.on('connection', (ws) => {
    ws.on('message', (data) => {
      const req = JSON.parse(data.toString()) as RequestFrame;
      // noise first, then the real answer
      ws.send('not json');
      ws.send('null');
      ws.send(Buffer.from([0, 1, 2]));
      ws.send(JSON.stringify({ type: 'response', id: req.id + 1000, result: { ok: true, value: 'wrong one' } }));
      ws.send(JSON.stringify({ type: 'event', event: { name: 'no.such.event', payload: 1 } }));
      ws.send(JSON.stringify({ type: 'event', event: { name: 'account.removed', payload: { accountId: 'x' } } }));
      ws.send(JSON.stringify({ type: 'response', id: req.id, result: { ok: true, value: { accounts: [], contacts: [] } } }));
    });
  });
});

afterAll(async () => {
  for (const c of server.clients) c.terminate();
  await new Promise((r) => server.close(r));
});

describe('ws-client', () => {
  it('derives the socket URL from the page URL, and none without a token', () => {
    expect(wsUrlFromPage('http://127.0.0.1:8080/#token=abc_-1')).toBe('ws://127.0.0.1:8080/ipc?token=abc_-1');
    expect(wsUrlFromPage('http://127.0.0.1:8080/')).toBeNull();
    expect(wsUrlFromPage('http://127.0.0.1:8080/#other=1')).toBeNull();
  });

  it('ignores garbage and stray answers, settles each request with its own answer, delivers events until unsubscribed', async () => {
    const api = createWsMessengerApi(url, (u) => new WebSocket(u) as unknown as WebSocketLike);
    const seen: unknown[] = [];
    const off = api.on('account.removed', (p) => seen.push(p));
    // sent before the socket is open: queued, then sent
    expect(await api.request('app.snapshot', {})).toEqual({ ok: true, value: { accounts: [], contacts: [] } });
    expect(seen).toEqual([{ accountId: 'x' }]);
    off();
    expect(await api.request('app.snapshot', {})).toEqual({ ok: true, value: { accounts: [], contacts: [] } });
    expect(seen).toHaveLength(1);
    api.close();
  });

  it('answers not-connected when the host cannot be reached at all', async () => {
    const api = createWsMessengerApi('ws://127.0.0.1:1/ipc?token=t', (u) => {
      const ws = new WebSocket(u);
      ws.on('error', () => undefined); // the client listens through addEventListener; keep ws quiet
      return ws as unknown as WebSocketLike;
    });
    expect(await api.request('app.snapshot', {})).toMatchObject({ ok: false, error: { code: 'not-connected' } });
    expect(api.status).toBe('closed');
  });
});
