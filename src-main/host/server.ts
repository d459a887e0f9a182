// The browser host (docs/architecture.md §3): runs the core in Node and offers the same IPC contract as the
// Electron binding, over a WebSocket, to the renderer served from the electron-vite build
// (out/renderer). Trust rules:
// - binds 127.0.0.1 only (anything else is refused before a socket is opened);
// - the printed link carries a one-time launch token, exchanged by the first tab for a secret of
//   its own; one tab at a time is connected, another only if its user takes over (tabs.ts);
// - the Origin of the session exchange and of the WebSocket handshake must be this host's own
//   origin, and the Host header of every request must name this host (DNS-rebinding defence);
// - every request goes through dispatchRequest, the one place requests are validated.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { realpath } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Core } from '../core/api';
import { dispatchRequest } from '../../src-shared/ipc/dispatch';
import type { MessengerEvent } from '../../src-shared/ipc/contract';
import { CLOSE_OTHER_TAB, HELLO_FRAME, SESSION_PATH, type SessionAnswer } from '../../src-shared/ipc/host-session';
import { WS_MAX_FRAME_BYTES, WS_PATH, type ServerFrame } from '../../src-shared/ipc/ws-client';
import { serveStatic } from './static';
import { TabAdmission } from './tabs';

export { hostCsp } from './static';

export type HostErrorCode = 'non-loopback-bind' | 'invalid-port' | 'renderer-missing';

export class HostError extends Error {
  override readonly name = 'HostError';
  constructor(
    readonly code: HostErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface HostOptions {
  core: Pick<Core, 'handlers' | 'onEvent'>;
  /** the built renderer: out/renderer of `electron-vite build` */
  rendererDir: string;
  /** only '127.0.0.1' is accepted; present so that a caller asking for more is refused loudly */
  bindAddress?: string;
  /** 0 (default) picks a free port */
  port?: number;
  /** hears the link for the next tab each time a tab spent the current one (cli.ts prints it) */
  onNextUrl?: (url: string) => void;
}

export interface RunningHost {
  /** the link to open now: its one-time launch token is in the fragment (never sent to the server by browsers) */
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  /** the current one-time launch token (the one in `url`) */
  readonly token: string;
  close(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';

function isRequestFrame(v: unknown): v is { type: 'request'; id: number; name: unknown; input: unknown } {
  if (typeof v !== 'object' || v === null) return false;
  const f = v as Record<string, unknown>;
  return f.type === 'request' && typeof f.id === 'number' && Number.isSafeInteger(f.id) && f.id >= 0;
}

/** a session request is a token and a flag: anything longer is not one */
const SESSION_BODY_MAX = 1024;
/** a longer body is read and dropped up to here (so the refusal arrives), then the connection is cut */
const DRAIN_MAX = 64 * 1024;

/** the body as text, or null when it is longer than `max` */
function readBody(req: IncomingMessage, max: number): Promise<string | null> {
  return new Promise((done) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > DRAIN_MAX) req.destroy();
      else if (size <= max) chunks.push(c);
    });
    req.on('end', () => done(size > max ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => done(null));
    req.on('close', () => done(null));
  });
}

export async function startHost(options: HostOptions): Promise<RunningHost> {
  const bindAddress = options.bindAddress ?? LOOPBACK;
  if (bindAddress !== LOOPBACK) {
    throw new HostError('non-loopback-bind', `The browser host binds ${LOOPBACK} only; refusing ${JSON.stringify(bindAddress)}.`);
  }
  const requestedPort = options.port ?? 0;
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535) {
    throw new HostError('invalid-port', `Not a port number: ${String(options.port)}.`);
  }
  const rendererDir = resolve(options.rendererDir);
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new HostError('renderer-missing', `No built renderer in ${rendererDir}: run \`npm run build\` first.`);
  }
  const rendererRoot = await realpath(rendererDir);
  let port = 0;
  let origin = '';
  const linkFor = (token: string) => `${origin}/#token=${token}`;
  const tabs = new TabAdmission<WebSocket>((next) => options.onNextUrl?.(linkFor(next)));
  const allowedHosts = () => new Set([`${LOOPBACK}:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://${LOOPBACK}:${port}`, `http://localhost:${port}`]);

  const server = createServer((req, res) => {
    void route(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Cache-Control', 'no-store');
    if (!allowedHosts().has(req.headers.host ?? '')) {
      // read and drop what a refused request sent, so that the answer is not lost to a reset
      req.resume();
      res.writeHead(421, { 'Content-Type': 'text/plain' }).end('wrong host');
      return;
    }
    if ((req.url ?? '').split('?')[0] === SESSION_PATH) return session(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    return serveStatic(rendererRoot, port, req, res);
  }

  /** POST SESSION_PATH { token, takeOver? } → { secret } (src-shared/ipc/host-session.ts) */
  async function session(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const answer = (status: number, body: SessionAnswer) => {
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    };
    // the whole (small) request is read before any answer, so that a refusal is not lost to a reset
    const text = await readBody(req, SESSION_BODY_MAX);
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'POST' }).end();
      return;
    }
    // another site's page could otherwise spend the token or take over from the user's browser;
    // application/json also makes a cross-origin browser ask first (CORS preflight), which fails
    if (!allowedOrigins().has(req.headers.origin ?? '')) return answer(403, { error: 'bad-request' });
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return answer(415, { error: 'bad-request' });
    if (text === null) return answer(413, { error: 'bad-request' });
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return answer(400, { error: 'bad-request' });
    }
    const b = body as { token?: unknown; takeOver?: unknown } | null;
    if (typeof b !== 'object' || b === null || typeof b.token !== 'string' || (b.takeOver !== undefined && typeof b.takeOver !== 'boolean')) {
      return answer(400, { error: 'bad-request' });
    }
    const r = tabs.exchange(b.token, b.takeOver === true);
    if (r.ok) return answer(200, { secret: r.secret });
    return answer(r.reason === 'open-elsewhere' ? 409 : 401, { error: r.reason });
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_FRAME_BYTES });
  const clients = new Set<WebSocket>();

  const refuse = (socket: Duplex, status: number, text: string) => {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://x');
    } catch {
      return refuse(socket, 400, 'Bad Request');
    }
    if (url.pathname !== WS_PATH) return refuse(socket, 404, 'Not Found');
    if (!allowedHosts().has(req.headers.host ?? '')) return refuse(socket, 421, 'Misdirected Request');
    // A page of another origin could otherwise drive the messenger from the user's browser.
    if (!allowedOrigins().has(req.headers.origin ?? '')) return refuse(socket, 403, 'Forbidden');
    // only the current tab's secret opens a socket; the launch token never does
    if (!tabs.knows(url.searchParams.get('secret'))) return refuse(socket, 401, 'Unauthorized');
    const takeOver = url.searchParams.get('takeover') === '1';
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, takeOver));
  });

  const send = (ws: WebSocket, frame: ServerFrame) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  };

  function accept(ws: WebSocket, takeOver: boolean) {
    ws.on('error', () => ws.terminate());
    // the same tab's secret in a second connection (a duplicated tab): only if its user takes over
    if (tabs.admit(ws, takeOver) !== 'admitted') {
      ws.close(CLOSE_OTHER_TAB, 'open in another tab');
      return;
    }
    clients.add(ws);
    ws.on('close', () => {
      clients.delete(ws);
      tabs.leave(ws);
    });
    ws.send(HELLO_FRAME);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      // a connection taken over is closing: it asks nothing more of the core
      if (!tabs.isLive(ws)) return;
      if (isBinary) return send(ws, { type: 'error', error: { code: 'invalid-argument', message: 'malformed frame: binary' } });
      let frame: unknown;
      try {
        frame = JSON.parse(data.toString());
      } catch {
        return send(ws, { type: 'error', error: { code: 'invalid-argument', message: 'malformed frame: not JSON' } });
      }
      if (!isRequestFrame(frame)) {
        return send(ws, { type: 'error', error: { code: 'invalid-argument', message: 'malformed frame: not a request' } });
      }
      const { id, name, input } = frame;
      void dispatchRequest(options.core.handlers, name, input).then(
        (result) => send(ws, { type: 'response', id, result }),
        () => send(ws, { type: 'response', id, result: { ok: false, error: { code: 'internal', message: 'internal error' } } }),
      );
    });
  }

  const unsubscribe = options.core.onEvent((event: MessengerEvent) => {
    const text = JSON.stringify({ type: 'event', event } satisfies ServerFrame);
    // events carry message bodies: only the admitted tab gets them
    for (const ws of clients) if (ws.readyState === ws.OPEN && tabs.isLive(ws)) ws.send(text);
  });

  try {
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(requestedPort, LOOPBACK, () => {
        server.off('error', fail);
        ok();
      });
    });
  } catch (e) {
    unsubscribe();
    throw e;
  }
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : requestedPort;
  origin = `http://${LOOPBACK}:${port}`;

  let closed: Promise<void> | null = null;
  return {
    get url() {
      return linkFor(tabs.launchToken);
    },
    origin,
    port,
    get token() {
      return tabs.launchToken;
    },
    close() {
      closed ??= new Promise<void>((done) => {
        unsubscribe();
        for (const ws of clients) ws.terminate();
        wss.close();
        server.close(() => done());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
