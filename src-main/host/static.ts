// The browser host's static files: the built renderer (out/renderer) and nothing else, with a
// Content-Security-Policy whose only network permissions are the host itself (the tab's session
// exchange, tabs.ts) and its WebSocket.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFile, realpath } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

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

/** The page may talk to nothing but its own host and WebSocket; everything else as strict as in Electron. */
export function hostCsp(port: number): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ws://${LOOPBACK}:${port} ws://localhost:${port}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const CSP_META = /<meta\s+http-equiv=["']Content-Security-Policy["'][^>]*>/i;

/** GET/HEAD of a file inside `rendererRoot` (a realpath); no escapes by `..`, encodings or links */
export async function serveStatic(rendererRoot: string, port: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
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
    // The built page carries Electron's policy (no network at all); here it needs its host. The
    // meta copy leaves out frame-ancestors: browsers ignore it in a meta element and log an error
    // (CSP3 §"frame-ancestors": not supported in <meta>); the header above enforces it.
    const metaCsp = csp
      .split('; ')
      .filter((d) => !d.startsWith('frame-ancestors'))
      .join('; ');
    body = Buffer.from(body.toString('utf8').replace(CSP_META, `<meta http-equiv="Content-Security-Policy" content="${metaCsp}">`));
  }
  res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length, 'Content-Security-Policy': csp });
  res.end(req.method === 'HEAD' ? undefined : body);
}
