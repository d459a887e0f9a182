// Storage of the group service (docs/groups.md §"The service"): groups and their members by
// identity (fingerprint and public key bundle), and the relay log with expiry from which offline
// members fetch what they missed. Only public keys and ciphertext are ever stored.
// SQLite (@signalapp/sqlcipher, unencrypted: nothing secret is stored) is the embedded engine;
// storage-pg.ts is the PostgreSQL one for several replicas (docs/architecture.md §4).
import Database from '@signalapp/sqlcipher';
import type { KeyBundle } from '../../src-shared/groups/keys';
import type { LogEntry, ServiceStore, StoredGroup } from '../../src-shared/groups/service-store';

/**
 * The schema, written once for both engines (storage-pg.ts): only the column types differ —
 * SQLite's INTEGER, BLOB and AUTOINCREMENT rowid; PostgreSQL's BIGINT, BYTEA and BIGSERIAL.
 */
export const schemaSql = (t: { int: string; bytes: string; seq: string }): string => `
CREATE TABLE IF NOT EXISTS groups (
  id TEXT PRIMARY KEY,
  creator TEXT NOT NULL,
  admins TEXT NOT NULL,
  created_at ${t.int} NOT NULL
);
CREATE TABLE IF NOT EXISTS members (
  group_id TEXT NOT NULL REFERENCES groups(id),
  fp TEXT NOT NULL,
  h ${t.bytes} NOT NULL, f ${t.bytes} NOT NULL, x ${t.bytes} NOT NULL, sig ${t.bytes} NOT NULL,
  PRIMARY KEY (group_id, fp)
);
CREATE TABLE IF NOT EXISTS relay_log (
  seq ${t.seq},
  group_id TEXT NOT NULL,
  to_fp TEXT,
  body TEXT NOT NULL,
  created_at ${t.int} NOT NULL,
  expires_at ${t.int} NOT NULL
);
CREATE INDEX IF NOT EXISTS relay_log_group ON relay_log (group_id, seq);
CREATE INDEX IF NOT EXISTS relay_log_expiry ON relay_log (expires_at);
`;

const SCHEMA = schemaSql({ int: 'INTEGER', bytes: 'BLOB', seq: 'INTEGER PRIMARY KEY AUTOINCREMENT' });

type Row = Record<string, unknown>;
const blob = (b: Uint8Array): Uint8Array<ArrayBuffer> => Uint8Array.from(b);
const bytes = (v: unknown): Uint8Array => {
  if (!(v instanceof Uint8Array)) throw new Error('storage returned a non-blob value');
  return Uint8Array.from(v);
};
export const rowToBundle = (r: Row): KeyBundle => ({ h: bytes(r.h), f: bytes(r.f), x: bytes(r.x), sig: bytes(r.sig) });

/**
 * The admins column is JSON: `{"admins":[…],"ver":n,"epoch":e}` — the admin list, its version
 * and the group's key epoch (docs/groups.md §"Rekeys: ordering and races"); a bare array
 * (version 0) or an object without epoch in databases written before, which read alike (the epoch
 * then unknown, learnt from the next add_user), so no migration.
 */
export function parseAdmins(text: unknown): { admins: string[]; adminVer: number; epoch?: number } {
  const v: unknown = JSON.parse(String(text));
  const list = (a: unknown): string[] => (Array.isArray(a) ? a.filter((x): x is string => typeof x === 'string') : []);
  if (Array.isArray(v)) return { admins: list(v), adminVer: 0 };
  const o = (v ?? {}) as { admins?: unknown; ver?: unknown; epoch?: unknown };
  const int = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  return { admins: list(o.admins), adminVer: int(o.ver) ? o.ver : 0, ...(int(o.epoch) && o.epoch > 0 ? { epoch: o.epoch } : {}) };
}

export const adminsText = (admins: string[], ver: number, epoch?: number): string => JSON.stringify({ admins, ver, ...(epoch !== undefined ? { epoch } : {}) });

export class SqliteGroupStore implements ServiceStore {
  private readonly db: Database;

  constructor(path: string) {
    this.db = new Database(path, { cacheStatements: true });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  async getGroup(id: string): Promise<StoredGroup | null> {
    const g = this.db.prepare('SELECT id, creator, admins FROM groups WHERE id = ?').get([id]);
    if (!g) return null;
    const members = new Map<string, KeyBundle>();
    for (const r of this.db.prepare('SELECT fp, h, f, x, sig FROM members WHERE group_id = ? ORDER BY fp').all([id])) members.set(String(r.fp), rowToBundle(r));
    return { id, creator: String(g.creator), ...parseAdmins(g.admins), members };
  }

  async createGroup(id: string, creator: string, key: KeyBundle, nowMs: number): Promise<boolean> {
    return this.db.transaction((): boolean => {
      if (
        this.db
          .prepare('INSERT OR IGNORE INTO groups (id, creator, admins, created_at) VALUES (?, ?, ?, ?)')
          .run([id, creator, adminsText([creator], 0, 1), nowMs]).changes !== 1
      )
        return false;
      this.insertMember(id, creator, key);
      return true;
    })();
  }

  private insertMember(id: string, fp: string, k: KeyBundle): void {
    this.db
      .prepare(
        'INSERT INTO members (group_id, fp, h, f, x, sig) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (group_id, fp) DO UPDATE SET h = excluded.h, f = excluded.f, x = excluded.x, sig = excluded.sig',
      )
      .run([id, fp, blob(k.h), blob(k.f), blob(k.x), blob(k.sig)]);
  }

  async addMember(id: string, fp: string, key: KeyBundle): Promise<void> {
    this.insertMember(id, fp, key);
  }

  async removeMember(id: string, fp: string): Promise<void> {
    this.db.prepare('DELETE FROM members WHERE group_id = ? AND fp = ?').run([id, fp]);
  }

  async setAdmins(id: string, admins: string[], ver: number, epoch: number | undefined): Promise<void> {
    this.db.prepare('UPDATE groups SET admins = ? WHERE id = ?').run([adminsText(admins, ver, epoch), id]);
  }

  async append(id: string, to: string | null, body: string, nowMs: number, expiresAtMs: number): Promise<number> {
    const r = this.db
      .prepare('INSERT INTO relay_log (group_id, to_fp, body, created_at, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run([id, to, body, nowMs, expiresAtMs]);
    return Number(r.lastInsertRowid);
  }

  async since(id: string, fp: string, afterSeq: number, nowMs: number, limit: number): Promise<LogEntry[]> {
    return this.db
      .prepare('SELECT seq, body FROM relay_log WHERE group_id = ? AND seq > ? AND expires_at > ? AND (to_fp IS NULL OR to_fp = ?) ORDER BY seq LIMIT ?')
      .all([id, afterSeq, nowMs, fp, limit])
      .map((r: Row) => ({ seq: Number(r.seq), body: String(r.body) }));
  }

  async head(id: string): Promise<number> {
    return Number(this.db.prepare('SELECT MAX(seq) AS s FROM relay_log WHERE group_id = ?').get([id])?.s ?? 0);
  }

  async purgeExpired(nowMs: number): Promise<number> {
    return this.db.prepare('DELETE FROM relay_log WHERE expires_at <= ?').run([nowMs]).changes;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
