// PostgreSQL storage of the group service (docs/architecture.md §4: the engine for several replicas). Same
// contract as SqliteGroupStore; the relay log's BIGSERIAL gives one order across replicas.
import pg from 'pg';
import type { KeyBundle } from '../../src-shared/groups/keys';
import type { LogEntry, ServiceStore, StoredGroup } from '../../src-shared/groups/service-store';
import { adminsText, parseAdmins, rowToBundle, schemaSql } from './storage';

const SCHEMA = schemaSql({ int: 'BIGINT', bytes: 'BYTEA', seq: 'BIGSERIAL PRIMARY KEY' });

const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

export class PostgresGroupStore implements ServiceStore {
  private constructor(private readonly pool: pg.Pool) {}

  static async connect(url: string): Promise<PostgresGroupStore> {
    const pool = new pg.Pool({ connectionString: url, max: 8 });
    const client = await pool.connect();
    try {
      // several replicas may start together: serialise the schema creation
      await client.query('SELECT pg_advisory_lock(161616)');
      await client.query(SCHEMA);
      await client.query('SELECT pg_advisory_unlock(161616)');
    } finally {
      client.release();
    }
    return new PostgresGroupStore(pool);
  }

  async getGroup(id: string): Promise<StoredGroup | null> {
    const g = await this.pool.query('SELECT id, creator, admins FROM groups WHERE id = $1', [id]);
    const row = g.rows[0] as Record<string, unknown> | undefined;
    if (!row) return null;
    const m = await this.pool.query('SELECT fp, h, f, x, sig FROM members WHERE group_id = $1 ORDER BY fp', [id]);
    const members = new Map<string, KeyBundle>();
    for (const r of m.rows as Record<string, unknown>[]) members.set(String(r.fp), rowToBundle(r));
    return { id, creator: String(row.creator), ...parseAdmins(row.admins), members };
  }

  async createGroup(id: string, creator: string, key: KeyBundle, nowMs: number): Promise<boolean> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const r = await c.query('INSERT INTO groups (id, creator, admins, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
        id,
        creator,
        adminsText([creator], 0, 1),
        nowMs,
      ]);
      if (r.rowCount !== 1) {
        await c.query('ROLLBACK');
        return false;
      }
      await c.query('INSERT INTO members (group_id, fp, h, f, x, sig) VALUES ($1, $2, $3, $4, $5, $6)', [
        id,
        creator,
        buf(key.h),
        buf(key.f),
        buf(key.x),
        buf(key.sig),
      ]);
      await c.query('COMMIT');
      return true;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  async addMember(id: string, fp: string, k: KeyBundle): Promise<void> {
    await this.pool.query(
      'INSERT INTO members (group_id, fp, h, f, x, sig) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (group_id, fp) DO UPDATE SET h = excluded.h, f = excluded.f, x = excluded.x, sig = excluded.sig',
      [id, fp, buf(k.h), buf(k.f), buf(k.x), buf(k.sig)],
    );
  }

  async setAdmins(id: string, admins: string[], ver: number, epoch: number | undefined): Promise<void> {
    await this.pool.query('UPDATE groups SET admins = $1 WHERE id = $2', [adminsText(admins, ver, epoch), id]);
  }

  async removeMember(id: string, fp: string): Promise<void> {
    await this.pool.query('DELETE FROM members WHERE group_id = $1 AND fp = $2', [id, fp]);
  }

  async append(id: string, to: string | null, body: string, nowMs: number, expiresAtMs: number): Promise<number> {
    const r = await this.pool.query('INSERT INTO relay_log (group_id, to_fp, body, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING seq', [
      id,
      to,
      body,
      nowMs,
      expiresAtMs,
    ]);
    return Number((r.rows[0] as { seq: string }).seq);
  }

  async since(id: string, fp: string, afterSeq: number, nowMs: number, limit: number): Promise<LogEntry[]> {
    const r = await this.pool.query(
      'SELECT seq, body FROM relay_log WHERE group_id = $1 AND seq > $2 AND expires_at > $3 AND (to_fp IS NULL OR to_fp = $4) ORDER BY seq LIMIT $5',
      [id, afterSeq, nowMs, fp, limit],
    );
    return (r.rows as { seq: string; body: string }[]).map((x) => ({ seq: Number(x.seq), body: x.body }));
  }

  async head(id: string): Promise<number> {
    const r = await this.pool.query('SELECT COALESCE(MAX(seq), 0) AS s FROM relay_log WHERE group_id = $1', [id]);
    return Number((r.rows[0] as { s: string }).s);
  }

  async purgeExpired(nowMs: number): Promise<number> {
    return (await this.pool.query('DELETE FROM relay_log WHERE expires_at <= $1', [nowMs])).rowCount ?? 0;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
