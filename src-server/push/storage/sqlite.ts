// Embedded storage: SQLite, the default of docs/architecture.md §4 for servers. One process owns
// the file. The connection, its group commit and its checkpoints are in sqlite-connection.ts;
// the tables, by group, in sqlite-accounts.ts (accounts, login tokens, devices, whitelist
// tokens) and sqlite-queue.ts (outbox, replay ids); peers and settings are here. Reads are
// synchronous underneath and answered as promises, so that a bad row rejects like a write.
import type { DeviceKind } from '../../../src-shared/push/wire';
import { toPeer } from './rows';
import { SqliteAccounts } from './sqlite-accounts';
import { SqliteConnection } from './sqlite-connection';
import { SqliteQueue } from './sqlite-queue';
import type {
  AccountRow,
  DevicePatch,
  DeviceRow,
  FanOutItem,
  FanOutResult,
  FanOutShape,
  KnockLogin,
  KnockWrite,
  NewDevice,
  OutboxEntry,
  PeerRow,
  PushStorage,
  QueuedListener,
  SeenId,
  WhitelistTokenRow,
} from './types';
import { fanOutEntries } from './fan-out';

const str = (v: unknown): string => (typeof v === 'string' ? v : v == null ? '' : String(v));

export class SqliteStorage implements PushStorage {
  readonly engine = 'sqlite' as const;
  readonly #c: SqliteConnection;
  readonly #a: SqliteAccounts;
  readonly #q: SqliteQueue;

  constructor(path: string, sync: 'normal' | 'full' = 'normal') {
    this.#c = new SqliteConnection(path, sync);
    this.#a = new SqliteAccounts(this.#c);
    this.#q = new SqliteQueue(this.#c);
  }

  /** Copies the WAL into the database file now (the bulk on the checkpoint thread, where there
   * is one); resolves once done. Checkpoints otherwise start by themselves as the WAL grows. */
  checkpoint(): Promise<void> {
    return this.#c.checkpoint();
  }
  close(): Promise<void> {
    return this.#c.close();
  }

  // accounts, login tokens, devices, whitelist tokens (sqlite-accounts.ts)
  createAccount(a: AccountRow): Promise<boolean> {
    return this.#a.createAccount(a);
  }
  async accountByName(pushName: string): Promise<AccountRow | null> {
    return this.#a.accountByName(pushName);
  }
  async accountById(id: string): Promise<AccountRow | null> {
    return this.#a.accountById(id);
  }
  deleteAccount(id: string): Promise<void> {
    return this.#a.deleteAccount(id);
  }
  putAuthToken(hash: string, accountId: string, createdAt: number, expiresAt: number): Promise<void> {
    return this.#a.putAuthToken(hash, accountId, createdAt, expiresAt);
  }
  async accountByAuthToken(hash: string, now: number): Promise<AccountRow | null> {
    return this.#a.accountByAuthToken(hash, now);
  }
  deleteAuthToken(hash: string): Promise<void> {
    return this.#a.deleteAuthToken(hash);
  }
  createDevice(d: NewDevice, max: number): Promise<boolean> {
    return this.#a.createDevice(d, max);
  }
  async devices(accountId: string, kind?: DeviceKind): Promise<DeviceRow[]> {
    return this.#a.devices(accountId, kind);
  }
  async devicesByName(pushName: string): Promise<ReadonlyArray<DeviceRow>> {
    return this.#a.devicesByName(pushName);
  }
  async device(id: string): Promise<DeviceRow | null> {
    return this.#a.device(id);
  }
  async deviceByChannelHash(hash: string): Promise<DeviceRow | null> {
    return this.#a.deviceByChannelHash(hash);
  }
  updateDevice(id: string, p: DevicePatch): Promise<void> {
    return this.#a.updateDevice(id, p);
  }
  deleteDevice(id: string): Promise<void> {
    return this.#a.deleteDevice(id);
  }
  createWhitelistToken(t: WhitelistTokenRow, max: number): Promise<boolean> {
    return this.#a.createWhitelistToken(t, max);
  }
  async whitelistTokens(accountId: string): Promise<WhitelistTokenRow[]> {
    return this.#a.whitelistTokens(accountId);
  }
  async whitelistTokenByHash(hash: string): Promise<WhitelistTokenRow | null> {
    return this.#a.whitelistTokenByHash(hash);
  }
  deleteWhitelistToken(id: string): Promise<void> {
    return this.#a.deleteWhitelistToken(id);
  }

  // the durable queue and replay ids (sqlite-queue.ts)
  enqueue(entries: OutboxEntry[]): Promise<void> {
    return this.#q.enqueue(entries);
  }
  enqueueOnce(seen: SeenId, entries: OutboxEntry[]): Promise<boolean> {
    return this.#q.enqueueOnce(seen, entries);
  }
  enqueueKnockOnce(login: KnockLogin, seen: SeenId, entries: OutboxEntry[]): Promise<KnockWrite> {
    return this.#q.enqueueKnockOnce(login, seen, entries);
  }
  enqueueBatchOnce(gate: SeenId, items: ReadonlyArray<{ seen: SeenId; entries: OutboxEntry[] }>): Promise<boolean[] | null> {
    return this.#q.enqueueBatchOnce(gate, items);
  }
  async enqueueFanOutOnce(gate: SeenId, items: ReadonlyArray<FanOutItem>, shape: FanOutShape): Promise<FanOutResult[] | null> {
    // the devices come from the cache (sqlite-accounts.ts), the writes share one transaction
    const built = items.map((it) => fanOutEntries(this.#a.devicesByName(it.pushName), it.payload, shape));
    const flags = await this.#q.enqueueBatchOnce(
      gate,
      items.map((it, i) => ({ seen: it.seen, entries: built[i]!.entries })),
    );
    return flags && flags.map((fresh, i) => ({ fresh, entries: fresh ? built[i]!.entries : [], skipped: built[i]!.skipped }));
  }
  async pendingForDevice(deviceId: string, now: number, limit: number): Promise<OutboxEntry[]> {
    return this.#q.pendingForDevice(deviceId, now, limit);
  }
  ackDelivery(deviceId: string, entryId: string): Promise<boolean> {
    return this.#q.ackDelivery(deviceId, entryId);
  }
  ackDeliveries(acks: ReadonlyArray<{ deviceId: string; entryId: string }>): Promise<boolean[]> {
    return this.#q.ackDeliveries(acks);
  }
  claimDue(kinds: ReadonlyArray<OutboxEntry['kind']>, now: number, leaseMs: number, limit: number): Promise<OutboxEntry[]> {
    return this.#q.claimDue(kinds, now, leaseMs, limit);
  }
  releaseLeases(now: number): Promise<void> {
    return this.#q.releaseLeases(now);
  }
  reschedule(id: string, attempts: number, nextAttemptAt: number): Promise<void> {
    return this.#q.reschedule(id, attempts, nextAttemptAt);
  }
  removeEntry(id: string): Promise<void> {
    return this.#q.removeEntry(id);
  }
  removeEntries(ids: ReadonlyArray<string>): Promise<void> {
    return this.#q.removeEntries(ids);
  }
  purgeExpired(now: number): Promise<number> {
    return this.#q.purgeExpired(now);
  }
  async countQueued(): Promise<number> {
    return this.#q.countQueued();
  }
  rememberOnce(scope: string, id: string, expiresAt: number): Promise<boolean> {
    return this.#q.rememberOnce(scope, id, expiresAt);
  }
  onQueued(listener: QueuedListener): () => void {
    return this.#c.onQueued(listener);
  }

  // federation peers
  async upsertPeer(p: { endpoint: string; publicKey: string; inbound?: boolean; outbound?: boolean; now: number }): Promise<void> {
    await this.#c.write(() =>
      this.#c.run(
        `INSERT INTO peers (endpoint, public_key, inbound, outbound, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (endpoint) DO UPDATE SET public_key = excluded.public_key,
         inbound = max(peers.inbound, excluded.inbound), outbound = max(peers.outbound, excluded.outbound),
         updated_at = excluded.updated_at`,
        [p.endpoint, p.publicKey, p.inbound ? 1 : 0, p.outbound ? 1 : 0, p.now],
      ),
    );
  }
  async peer(endpoint: string): Promise<PeerRow | null> {
    const r = this.#c.get('SELECT * FROM peers WHERE endpoint = ?', [endpoint]);
    return r ? toPeer(r) : null;
  }

  // server identity and other settings
  async getMeta(key: string): Promise<string | null> {
    const r = this.#c.get('SELECT value FROM meta WHERE key = ?', [key]);
    return r ? str(r.value) : null;
  }
  async setMetaOnce(key: string, value: string): Promise<string> {
    await this.#c.write(() => this.#c.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [key, value]));
    return (await this.getMeta(key)) ?? value;
  }
}
