// Wiring of the push server: storage, identity, HTTP(S) API, desktop channel, outbox worker,
// federation registrations and periodic purging. Used by cli.ts (the real process) only; tests
// run the CLI as a child process.
import http from 'node:http';
import https from 'node:https';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { PushServerConfig } from './config';
import type { PushStorage } from './storage/types';
import { SqliteStorage } from './storage/sqlite';
import { PostgresStorage } from './storage/postgres';
import { createLogger } from './log';
import { createOutbound } from './outbound';
import { loadIdentity, registerWith, type ServerIdentity } from './federation';
import { OutboxWorker } from './worker';
import { DesktopChannel } from './desktop';
import { Api } from './api';
import { RateLimiter } from './ratelimit';
import { clientAddress } from './http-util';
import { createAdapters } from './adapters/index';

export interface RunningServer {
  endpoint: string;
  port: number;
  identity: ServerIdentity;
  storage: PushStorage;
  close(): Promise<void>;
}

export async function openStorage(config: PushServerConfig): Promise<PushStorage> {
  if (config.database) {
    if (!/^postgres(ql)?:\/\//.test(config.database)) throw new Error('--database must be a postgres:// connection string');
    return PostgresStorage.open(config.database);
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  return new SqliteStorage(join(config.dataDir, 'push.sqlite'), config.sqliteSync);
}

export async function startServer(config: PushServerConfig, opts: { now?: () => number } = {}): Promise<RunningServer> {
  const log = createLogger(config.logLevel);
  // injectable for tests of expiry (a fake clock); the CLI always uses the real one
  const now = opts.now ?? (() => Date.now());
  const storage = await openStorage(config);
  const tls = config.tlsCert && config.tlsKey ? { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) } : null;
  const ca = config.caFile ? readFileSync(config.caFile, 'utf8') : undefined;
  const outbound = createOutbound(ca);

  // Listen first: with --port 0 the endpoint is known only once bound.
  let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_q, res) => res.writeHead(503).end();
  const server = tls ? https.createServer({ ...tls, minVersion: 'TLSv1.2' }, (q, r) => handler(q, r)) : http.createServer((q, r) => handler(q, r));
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  const endpoint = config.publicUrl ?? `${tls ? 'https' : 'http'}://${hostForUrl}:${port}/api/v1/`;

  const identity = await loadIdentity(storage, endpoint);
  const adapters = await createAdapters(config, outbound.ca);
  const worker = new OutboxWorker({ storage, identity, outbound, adapters, log, now });
  const wsLimiter = new RateLimiter(config.rate.ip, now);
  const desktop = new DesktopChannel({ storage, log, now, authLimiter: wsLimiter, pollMs: config.pollMs });
  const api = new Api({ config, storage, identity, outbound, worker, desktop, log, now });
  handler = (req, res) => void api.handle(req, res);

  server.on('upgrade', (req, socket, head) => {
    const path = api.relativePath(new URL(req.url ?? '/', 'http://localhost').pathname);
    if (!path || path.length !== 1 || path[0] !== 'desktop') {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    desktop.handleUpgrade(req, socket, head, clientAddress(req, config.trustedProxyHops));
  });
  server.on('clientError', (_e, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });

  // A single SQLite process owns every lease: after a crash, retry at once what it had claimed.
  if (storage.engine === 'sqlite') await storage.releaseLeases(now());
  worker.start();

  const purge = setInterval(() => {
    storage.purgeExpired(now()).then(
      (n) => n > 0 && log.info('expired queue entries removed', { count: n }),
      (e: Error) => log.error('purge failed', { error: e.message }),
    );
  }, 60_000);
  purge.unref();

  // Federation registrations, retried with backoff until they succeed.
  const timers = new Set<NodeJS.Timeout>();
  let closing = false;
  const regDeps = { storage, identity, outbound, windowMs: config.relayWindowS * 1000, now };
  for (const target of config.registerWith) {
    let delay = 1000;
    const attempt = () => {
      if (closing) return;
      registerWith(regDeps, target).then(
        () => log.info('registered with peer', { peer: target }),
        (e: Error) => {
          log.warn('peer registration failed, will retry', { peer: target, error: e.message });
          const t = setTimeout(() => {
            timers.delete(t);
            attempt();
          }, delay);
          timers.add(t);
          delay = Math.min(delay * 2, 5 * 60_000);
        },
      );
    };
    attempt();
  }

  log.info('push server listening', { endpoint, engine: storage.engine, tls: Boolean(tls) });
  return {
    endpoint,
    port,
    identity,
    storage,
    async close() {
      closing = true;
      for (const t of timers) clearTimeout(t);
      clearInterval(purge);
      desktop.close();
      await worker.stop();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      outbound.close();
      for (const a of Object.values(adapters)) a?.close();
      await storage.close();
    },
  };
}
