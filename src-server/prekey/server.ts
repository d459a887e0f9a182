// Assembles the prekey server: key file, storage, protocol engine, XMPP component, and the
// periodic purge of expired material (issue 5 "Expired material is purged").
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { nativeDh3072Engine } from '../../src-shared/node-crypto/dh-engines';
import { type RunningComponent, startComponent } from './component';
import { loadOrCreateServerKey } from './keys';
import { PrekeyServerProtocol, type ProtocolLimits, type ServerEvent } from './protocol';
import { type PrekeyStorage, SqlitePrekeyStorage } from './storage';
import { verifyAttached } from './verify-attached';
import { VerifyPool } from './verify-pool';
import type { ComponentSettings } from '../xmpp-component';

/** dataDir holds prekeys.sqlite (and the key file by default) */
export interface PrekeyServerConfig extends ComponentSettings {
  /** default <dataDir>/server-key */
  keyFile?: string;
  limits?: Partial<ProtocolLimits>;
  /** worker threads that verify publications (verify-pool.ts); 0 = on the event loop; default
   * one per core, at most 4 */
  verifyThreads?: number;
  /** prekey messages older than this are purged (default 30 days) */
  prekeyMaxAgeSec?: number;
  purgeIntervalMs?: number;
  onEvent?: (e: ServerEvent) => void;
  log?: (line: string) => void;
  /** test hook: a fake clock */
  clock?: () => number;
}

export interface RunningPrekeyServer {
  domain: string;
  fingerprint: string;
  protocol: PrekeyServerProtocol;
  storage: PrekeyStorage;
  stop(): Promise<void>;
}

export async function openStorage(config: Pick<PrekeyServerConfig, 'dataDir' | 'postgresUrl'>): Promise<PrekeyStorage> {
  if (config.postgresUrl) {
    const { PostgresPrekeyStorage } = await import('./storage-pg');
    return PostgresPrekeyStorage.connect(config.postgresUrl);
  }
  await mkdir(config.dataDir, { recursive: true });
  return new SqlitePrekeyStorage(join(config.dataDir, 'prekeys.sqlite'));
}

export async function startPrekeyServer(config: PrekeyServerConfig): Promise<RunningPrekeyServer> {
  const log = config.log ?? (() => undefined);
  await mkdir(config.dataDir, { recursive: true });
  const { keyPair, created } = await loadOrCreateServerKey(config.keyFile ?? join(config.dataDir, 'server-key'));
  const storage = await openStorage(config);
  const clock = config.clock ?? Date.now;
  const engine = nativeDh3072Engine();
  const threads = config.verifyThreads ?? Math.min(4, availableParallelism());
  const pool = threads > 0 ? new VerifyPool(threads, (job) => verifyAttached(job, engine), { log }) : undefined;
  const protocol = new PrekeyServerProtocol({
    serverJid: config.domain,
    keyPair,
    storage,
    random: (n) => new Uint8Array(randomBytes(n)),
    clock,
    engine,
    ...(pool ? { verify: (job) => pool.run(job) } : {}),
    ...(config.limits ? { limits: config.limits } : {}),
    ...(config.onEvent ? { onEvent: config.onEvent } : {}),
  });
  log(`${created ? 'generated a new' : 'loaded the'} server key; fingerprint ${protocol.fingerprint}`);
  log(pool ? `publications are verified on ${threads} worker threads` : 'publications are verified on the event loop');
  const maxAge = config.prekeyMaxAgeSec ?? 30 * 24 * 3600;
  const purge = async (): Promise<void> => {
    const n = await storage.purgeExpired(Math.floor(clock() / 1000), maxAge);
    if (n > 0) log(`purged ${n} expired rows`);
  };
  // profiles stored before the key-type byte order was corrected: their owners publish again
  const legacy = await storage.purgeLegacyKeyTypeOrder();
  if (legacy > 0) log(`dropped ${legacy} profiles stored with the old key-type byte order; clients publish them again at login`);
  await purge();
  const timer = setInterval(() => void purge().catch((e: Error) => log(`purge failed: ${e.message}`)), config.purgeIntervalMs ?? 3600_000);
  timer.unref();
  let comp: RunningComponent;
  try {
    comp = await startComponent({ service: `xmpp://${config.host}:${config.port}`, domain: config.domain, password: config.secret, protocol, log });
  } catch (e) {
    clearInterval(timer);
    await pool?.close();
    await storage.close();
    throw e;
  }
  return {
    domain: config.domain,
    fingerprint: protocol.fingerprint,
    protocol,
    storage,
    async stop() {
      clearInterval(timer);
      await comp.stop();
      await pool?.close();
      await storage.close();
    },
  };
}
