// The browser host (DESIGN.md 3): runs the core in Node and offers the same IPC contract as the
// Electron binding, over a WebSocket, to the renderer served from the electron-vite build
// (out/renderer). Trust rules:
// - binds 127.0.0.1 only (anything else is refused before a socket is opened);
// - a random per-run token is required on the WebSocket (compared in constant time);
// - the Origin of the WebSocket handshake must be this host's own origin, and the Host header of
//   every request must name this host (DNS-rebinding defence);
// - every request goes through dispatchRequest, the one place requests are validated.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, realpath } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Core } from '../core/api';
import { dispatchRequest } from '../../src-shared/ipc/dispatch';
import type { MessengerEvent } from '../../src-shared/ipc/contract';
import { WS_MAX_FRAME_BYTES, WS_PATH, type ServerFrame } from '../../src-shared/ipc/ws-client';

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
}

export interface RunningHost {
  /** the URL to open, token included in the fragment (never sent to the server by browsers) */
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** The page may talk to nothing but its own WebSocket; everything else as strict as in Electron. */
export function hostCsp(port: number): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ws://${LOOPBACK}:${port} ws://localhost:${port}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const CSP_META = /<meta\s+http-equiv=["']Content-Security-Policy["'][^>]*>/i;

function sameToken(given: string | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function isRequestFrame(v: unknown): v is { type: 'request'; id: number; name: unknown; input: unknown } {
  if (typeof v !== 'object' || v === null) return false;
  const f = v as Record<string, unknown>;
  return f.type === 'request' && typeof f.id === 'number' && Number.isSafeInteger(f.id) && f.id >= 0;
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
  const token = randomBytes(32).toString('base64url');
  let port = 0;
  const allowedHosts = () => new Set([`${LOOPBACK}:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://${LOOPBACK}:${port}`, `http://localhost:${port}`]);

  const server = createServer((req, res) => {
    void serveStatic(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });

  async function serveStatic(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Cache-Control', 'no-store');
    if (!allowedHosts().has(req.headers.host ?? '')) {
      res.writeHead(421, { 'Content-Type': 'text/plain' }).end('wrong host');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (pathname.includes('\0')) {
      res.writeHead(400).end();
      return;
    }
    if (pathname === '/' || pathname === '') pathname = '/index.html';
    const file = resolve(rendererRoot, '.' + pathname);
    if (!file.startsWith(rendererRoot + sep)) {
      res.writeHead(404).end();
      return;
    }
    let real: string;
    try {
      real = await realpath(file);
    } catch {
      res.writeHead(404).end();
      return;
    }
    if (!real.startsWith(rendererRoot + sep)) {
      res.writeHead(404).end();
      return;
    }
    let body: Buffer;
    try {
      body = await readFile(real);
    } catch {
      res.writeHead(404).end();
      return;
    }
    const type = contentTypes[extname(real).toLowerCase()] ?? 'application/octet-stream';
    const csp = hostCsp(port);
    if (real === join(rendererRoot, 'index.html')) {
      // The built page carries Electron's policy (no network at all); here it needs its socket.
      body = Buffer.from(body.toString('utf8').replace(CSP_META, `<meta http-equiv="Content-Security-Policy" content="${csp}">`));
    }
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length, 'Content-Security-Policy': csp });
    res.end(req.method === 'HEAD' ? undefined : body);
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
    if (!sameToken(url.searchParams.get('token'), token)) return refuse(socket, 401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws));
  });

  const send = (ws: WebSocket, frame: ServerFrame) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  };

  function accept(ws: WebSocket) {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.on('error', () => ws.terminate());
    ws.on('message', (data: RawData, isBinary: boolean) => {
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
    for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(text);
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
  const origin = `http://${LOOPBACK}:${port}`;

  let closed: Promise<void> | null = null;
  return {
    url: `${origin}/#token=${token}`,
    origin,
    port,
    token,
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
