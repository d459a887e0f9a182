// Assembles the group service: storage (SQLite or PostgreSQL), the service state machine, the
// XMPP component, the vouch timeout tick and the periodic purge of expired log entries.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GroupService, type ServiceEvent } from '../../src-shared/groups/service';
import type { ServiceStore } from '../../src-shared/groups/service-store';
import { type RunningGroupComponent, startGroupComponent } from './component';
import { SqliteGroupStore } from './storage';
import type { ComponentSettings } from '../xmpp-component';

/** domain: groups are <id>@domain; dataDir holds groups.sqlite */
export interface GroupServerConfig extends ComponentSettings {
  /** how long relayed messages wait for offline members (default 14 days) */
  retentionMs?: number;
  /** how long a member may take to vouch before the next one is asked (default 60 s) */
  vouchTimeoutMs?: number;
  purgeIntervalMs?: number;
  onEvent?: (e: ServiceEvent) => void;
  log?: (line: string) => void;
  clock?: () => number;
}

export interface RunningGroupServer {
  domain: string;
  service: GroupService;
  store: ServiceStore;
  stop(): Promise<void>;
}

export async function openGroupStore(config: Pick<GroupServerConfig, 'dataDir' | 'postgresUrl'>): Promise<ServiceStore> {
  if (config.postgresUrl) {
    const { PostgresGroupStore } = await import('./storage-pg');
    return PostgresGroupStore.connect(config.postgresUrl);
  }
  await mkdir(config.dataDir, { recursive: true });
  return new SqliteGroupStore(join(config.dataDir, 'groups.sqlite'));
}

export async function startGroupServer(config: GroupServerConfig): Promise<RunningGroupServer> {
  const log = config.log ?? (() => undefined);
  const store = await openGroupStore(config);
  const clock = config.clock ?? Date.now;
  const service = new GroupService({
    store,
    clock,
    random: (n) => new Uint8Array(randomBytes(n)),
    ...(config.retentionMs ? { retentionMs: config.retentionMs } : {}),
    ...(config.vouchTimeoutMs ? { vouchTimeoutMs: config.vouchTimeoutMs } : {}),
    ...(config.onEvent ? { onEvent: config.onEvent } : {}),
  });
  let comp: RunningGroupComponent;
  try {
    comp = await startGroupComponent({ service: `xmpp://${config.host}:${config.port}`, domain: config.domain, password: config.secret, groups: service, log });
  } catch (e) {
    await store.close();
    throw e;
  }
  const fail = (what: string) => (e: Error) => log(`${what} failed: ${e.message}`);
  const purge = (): Promise<void> => store.purgeExpired(clock()).then((n) => void (n > 0 && log(`purged ${n} expired log entries`)));
  await purge();
  const purgeTimer = setInterval(() => void purge().catch(fail('purge')), config.purgeIntervalMs ?? 3600_000);
  const tickTimer = setInterval(() => void service.tick().then(comp.send).catch(fail('tick')), Math.min(5000, config.vouchTimeoutMs ?? 5000));
  purgeTimer.unref();
  tickTimer.unref();
  return {
    domain: config.domain,
    service,
    store,
    async stop() {
      clearInterval(purgeTimer);
      clearInterval(tickTimer);
      await comp.stop();
      await store.close();
    },
  };
}
