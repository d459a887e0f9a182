// Embedded storage: SQLite through @signalapp/sqlcipher used unencrypted (no key pragma), the
// default of DESIGN.md 4 for servers. One process owns the file, in WAL mode. With
// synchronous=NORMAL (default) a committed knock survives a crash or SIGKILL of the process (the
// WAL is written before the answer is sent); synchronous=FULL also survives power loss, at one
// fsync per commit (~4 ms on a typical VM disk, which caps throughput far below the budget of
// DESIGN.md 10). Chosen with --sqlite-sync.
import { Database } from '@signalapp/sqlcipher';
import { EventEmitter } from 'node:events';
import type {
  AccountRow,
  DevicePatch,
  DeviceRow,
  NewDevice,
  OutboxEntry,
  PeerRow,
  PushStorage,
  WhitelistTokenRow,
} from './types';
import type { DeviceKind } from '../../../src-shared/push/wire';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
  id TEXT PRIMARY KEY, push_name TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
  email TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS auth_tokens (
  hash TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS auth_tokens_account ON auth_tokens(account_id);
CREATE TABLE IF NOT EXISTS devices (
  id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  kind TEXT NOT NULL, registration_id TEXT NOT NULL, channel_hash TEXT NOT NULL, name TEXT NOT NULL,
  device_id TEXT NOT NULL, active INTEGER NOT NULL, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS devices_account ON devices(account_id);
CREATE INDEX IF NOT EXISTS devices_channel ON devices(channel_hash) WHERE channel_hash <> '';
CREATE TABLE IF NOT EXISTS whitelist_tokens (
  id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE,
  account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  device_id TEXT REFERENCES devices(id) ON DELETE CASCADE, name TEXT NOT NULL,
  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS whitelist_tokens_account ON whitelist_tokens(account_id);
CREATE TABLE IF NOT EXISTS outbox (
  id TEXT PRIMARY KEY, target TEXT NOT NULL, target_id TEXT NOT NULL, account_id TEXT NOT NULL,
  kind TEXT NOT NULL, payload TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS outbox_target ON outbox(target_id, created_at);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(kind, next_attempt_at);
CREATE INDEX IF NOT EXISTS outbox_account ON outbox(account_id);
CREATE TABLE IF NOT EXISTS seen_ids (
  scope TEXT NOT NULL, id TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (scope, id));
CREATE INDEX IF NOT EXISTS seen_ids_expiry ON seen_ids(expires_at);
CREATE TABLE IF NOT EXISTS peers (
  endpoint TEXT PRIMARY KEY, public_key TEXT NOT NULL, inbound INTEGER NOT NULL,
  outbound INTEGER NOT NULL, updated_at INTEGER NOT NULL);
`;

type Row = Record<string, string | number | null | Uint8Array>;

const str = (v: Row[string]): string => (typeof v === 'string' ? v : v == null ? '' : String(v));
const num = (v: Row[string]): number => (typeof v === 'number' ? v : Number(v));

function toAccount(r: Row): AccountRow {
  return { id: str(r.id), pushName: str(r.push_name), passwordHash: str(r.password_hash), email: str(r.email), createdAt: num(r.created_at) };
}
export function toDevice(r: Record<string, unknown>): DeviceRow {
  return {
    id: String(r.id),
    accountId: String(r.account_id),
    kind: String(r.kind) as DeviceKind,
    registrationId: String(r.registration_id),
    channelHash: String(r.channel_hash),
    name: String(r.name),
    deviceId: String(r.device_id),
    active: r.active === true || Number(r.active) === 1,
    createdAt: Number(r.created_at),
  };
}
export function toToken(r: Record<string, unknown>): WhitelistTokenRow {
  return {
    id: String(r.id),
    hash: String(r.hash),
    accountId: String(r.account_id),
    deviceId: r.device_id == null ? null : String(r.device_id),
    name: String(r.name),
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
  };
}
export function toEntry(r: Record<string, unknown>): OutboxEntry {
  return {
    id: String(r.id),
    target: String(r.target) as OutboxEntry['target'],
    targetId: String(r.target_id),
    accountId: String(r.account_id),
    kind: String(r.kind) as OutboxEntry['kind'],
    payload: String(r.payload),
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
  };
}
export function toPeer(r: Record<string, unknown>): PeerRow {
  return {
    endpoint: String(r.endpoint),
    publicKey: String(r.public_key),
    inbound: r.inbound === true || Number(r.inbound) === 1,
    outbound: r.outbound === true || Number(r.outbound) === 1,
    updatedAt: Number(r.updated_at),
  };
}

export class SqliteStorage implements PushStorage {
  readonly engine = 'sqlite' as const;
  readonly #db: Database;
  readonly #events = new EventEmitter();

  constructor(path: string, sync: 'normal' | 'full' = 'normal') {
    this.#db = new Database(path, { cacheStatements: true });
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma(sync === 'full' ? 'synchronous = FULL' : 'synchronous = NORMAL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(SCHEMA);
    this.#events.setMaxListeners(0);
  }

  #run(sql: string, params: ReadonlyArray<string | number | null> = []): number {
    return this.#db.prepare(sql).run(params).changes;
  }
  #get(sql: string, params: ReadonlyArray<string | number | null> = []): Row | undefined {
    return this.#db.prepare(sql).get(params) as Row | undefined;
  }
  #all(sql: string, params: ReadonlyArray<string | number | null> = []): Row[] {
    return this.#db.prepare(sql).all(params) as Row[];
  }

  async close(): Promise<void> {
    this.#events.removeAllListeners();
    this.#db.close();
  }

  async createAccount(a: AccountRow): Promise<boolean> {
    const changes = this.#run(
      'INSERT INTO accounts (id, push_name, password_hash, email, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (push_name) DO NOTHING',
      [a.id, a.pushName, a.passwordHash, a.email, a.createdAt],
    );
    return changes === 1;
  }
  async accountByName(pushName: string): Promise<AccountRow | null> {
    const r = this.#get('SELECT * FROM accounts WHERE push_name = ?', [pushName]);
    return r ? toAccount(r) : null;
  }
  async accountById(id: string): Promise<AccountRow | null> {
    const r = this.#get('SELECT * FROM accounts WHERE id = ?', [id]);
    return r ? toAccount(r) : null;
  }
  async deleteAccount(id: string): Promise<void> {
    this.#db.transaction(() => {
      this.#run('DELETE FROM outbox WHERE account_id = ?', [id]);
      // foreign keys cascade to auth tokens, devices and whitelist tokens
      this.#run('DELETE FROM accounts WHERE id = ?', [id]);
    })();
  }

  async putAuthToken(hash: string, accountId: string, createdAt: number, expiresAt: number): Promise<void> {
    this.#run('INSERT INTO auth_tokens (hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)', [hash, accountId, createdAt, expiresAt]);
  }
  async authTokenAccount(hash: string, now: number): Promise<string | null> {
    const r = this.#get('SELECT account_id FROM auth_tokens WHERE hash = ? AND expires_at > ?', [hash, now]);
    return r ? str(r.account_id) : null;
  }
  async deleteAuthToken(hash: string): Promise<void> {
    this.#run('DELETE FROM auth_tokens WHERE hash = ?', [hash]);
  }

  async createDevice(d: NewDevice): Promise<void> {
    this.#run(
      'INSERT INTO devices (id, account_id, kind, registration_id, channel_hash, name, device_id, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [d.id, d.accountId, d.kind, d.registrationId, d.channelHash, d.name, d.deviceId, d.active ? 1 : 0, d.createdAt],
    );
  }
  async devices(accountId: string, kind?: DeviceKind): Promise<DeviceRow[]> {
    const rows = kind
      ? this.#all('SELECT * FROM devices WHERE account_id = ? AND kind = ? ORDER BY created_at, id', [accountId, kind])
      : this.#all('SELECT * FROM devices WHERE account_id = ? ORDER BY created_at, id', [accountId]);
    return rows.map(toDevice);
  }
  async device(id: string): Promise<DeviceRow | null> {
    const r = this.#get('SELECT * FROM devices WHERE id = ?', [id]);
    return r ? toDevice(r) : null;
  }
  async deviceByChannelHash(hash: string): Promise<DeviceRow | null> {
    if (!hash) return null;
    const r = this.#get("SELECT * FROM devices WHERE channel_hash = ? AND kind = 'desktop'", [hash]);
    return r ? toDevice(r) : null;
  }
  async updateDevice(id: string, p: DevicePatch): Promise<void> {
    const cur = await this.device(id);
    if (!cur) return;
    this.#run('UPDATE devices SET registration_id = ?, name = ?, device_id = ?, active = ? WHERE id = ?', [
      p.registrationId ?? cur.registrationId,
      p.name ?? cur.name,
      p.deviceId ?? cur.deviceId,
      (p.active ?? cur.active) ? 1 : 0,
      id,
    ]);
  }
  async deleteDevice(id: string): Promise<void> {
    this.#db.transaction(() => {
      this.#run("DELETE FROM outbox WHERE target = 'device' AND target_id = ?", [id]);
      this.#run('DELETE FROM devices WHERE id = ?', [id]);
    })();
  }

  async createWhitelistToken(t: WhitelistTokenRow): Promise<void> {
    this.#run('INSERT INTO whitelist_tokens (id, hash, account_id, device_id, name, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      t.id, t.hash, t.accountId, t.deviceId, t.name, t.createdAt, t.expiresAt,
    ]);
  }
  async whitelistTokens(accountId: string): Promise<WhitelistTokenRow[]> {
    return this.#all('SELECT * FROM whitelist_tokens WHERE account_id = ? ORDER BY created_at, id', [accountId]).map(toToken);
  }
  async whitelistTokenByHash(hash: string): Promise<WhitelistTokenRow | null> {
    const r = this.#get('SELECT * FROM whitelist_tokens WHERE hash = ?', [hash]);
    return r ? toToken(r) : null;
  }
  async deleteWhitelistToken(id: string): Promise<void> {
    this.#run('DELETE FROM whitelist_tokens WHERE id = ?', [id]);
  }

  async enqueue(entries: OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    this.#db.transaction(() => {
      for (const e of entries) {
        this.#run(
          'INSERT INTO outbox (id, target, target_id, account_id, kind, payload, created_at, expires_at, attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
          [e.id, e.target, e.targetId, e.accountId, e.kind, e.payload, e.createdAt, e.expiresAt, e.attempts, e.nextAttemptAt],
        );
      }
    })();
    const ids = [...new Set(entries.filter((e) => e.target === 'device').map((e) => e.targetId))];
    if (ids.length) this.#events.emit('queued', ids);
  }
  async pendingForDevice(deviceId: string, now: number, limit: number): Promise<OutboxEntry[]> {
    return this.#all(
      "SELECT * FROM outbox WHERE target = 'device' AND target_id = ? AND expires_at > ? ORDER BY created_at, id LIMIT ?",
      [deviceId, now, limit],
    ).map(toEntry);
  }
  async ackDelivery(deviceId: string, entryId: string): Promise<boolean> {
    return this.#run("DELETE FROM outbox WHERE id = ? AND target = 'device' AND target_id = ?", [entryId, deviceId]) === 1;
  }
  async claimDue(kinds: ReadonlyArray<OutboxEntry['kind']>, now: number, leaseMs: number, limit: number): Promise<OutboxEntry[]> {
    if (kinds.length === 0) return [];
    const marks = kinds.map(() => '?').join(', ');
    return this.#db.transaction(() => {
      const rows = this.#all(
        `SELECT * FROM outbox WHERE kind IN (${marks}) AND next_attempt_at <= ? AND expires_at > ? ORDER BY next_attempt_at LIMIT ?`,
        [...kinds, now, now, limit],
      ).map(toEntry);
      for (const r of rows) this.#run('UPDATE outbox SET next_attempt_at = ? WHERE id = ?', [now + leaseMs, r.id]);
      return rows;
    })();
  }
  async releaseLeases(now: number): Promise<void> {
    this.#run("UPDATE outbox SET next_attempt_at = ? WHERE kind <> 'desktop' AND next_attempt_at > ?", [now, now]);
  }
  async reschedule(id: string, attempts: number, nextAttemptAt: number): Promise<void> {
    this.#run('UPDATE outbox SET attempts = ?, next_attempt_at = ? WHERE id = ?', [attempts, nextAttemptAt, id]);
  }
  async removeEntry(id: string): Promise<void> {
    this.#run('DELETE FROM outbox WHERE id = ?', [id]);
  }
  async purgeExpired(now: number): Promise<number> {
    return this.#db.transaction(() => {
      const n = this.#run('DELETE FROM outbox WHERE expires_at <= ?', [now]);
      this.#run('DELETE FROM seen_ids WHERE expires_at <= ?', [now]);
      this.#run('DELETE FROM auth_tokens WHERE expires_at <= ?', [now]);
      return n;
    })();
  }
  async countQueued(): Promise<number> {
    return num(this.#get('SELECT count(*) AS n FROM outbox')?.n ?? 0);
  }

  async rememberOnce(scope: string, id: string, expiresAt: number): Promise<boolean> {
    return this.#db.transaction(() => {
      const cur = this.#get('SELECT expires_at FROM seen_ids WHERE scope = ? AND id = ?', [scope, id]);
      if (cur) return false;
      this.#run('INSERT INTO seen_ids (scope, id, expires_at) VALUES (?, ?, ?)', [scope, id, expiresAt]);
      return true;
    })();
  }

  async upsertPeer(p: { endpoint: string; publicKey: string; inbound?: boolean; outbound?: boolean; now: number }): Promise<void> {
    this.#run(
      `INSERT INTO peers (endpoint, public_key, inbound, outbound, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (endpoint) DO UPDATE SET public_key = excluded.public_key,
         inbound = max(peers.inbound, excluded.inbound), outbound = max(peers.outbound, excluded.outbound),
         updated_at = excluded.updated_at`,
      [p.endpoint, p.publicKey, p.inbound ? 1 : 0, p.outbound ? 1 : 0, p.now],
    );
  }
  async peer(endpoint: string): Promise<PeerRow | null> {
    const r = this.#get('SELECT * FROM peers WHERE endpoint = ?', [endpoint]);
    return r ? toPeer(r) : null;
  }

  async getMeta(key: string): Promise<string | null> {
    const r = this.#get('SELECT value FROM meta WHERE key = ?', [key]);
    return r ? str(r.value) : null;
  }
  async setMetaOnce(key: string, value: string): Promise<string> {
    this.#run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [key, value]);
    return (await this.getMeta(key)) ?? value;
  }

  onQueued(listener: (deviceIds: string[]) => void): () => void {
    this.#events.on('queued', listener);
    return () => this.#events.off('queued', listener);
  }
}
