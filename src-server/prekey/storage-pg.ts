// PostgreSQL storage for the prekey server (docs/architecture.md §4: the engine for several replicas; the
// spec's XMPP section: "All prekey servers exposed by an XMPP server have to share the same
// storage"). Same contract as SqlitePrekeyStorage; the once-only hand-out across replicas uses
// DELETE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED) RETURNING, so two concurrent retrievals
// can never both obtain one prekey message.
import pg from 'pg';
import { isLegacyClientProfile, isLegacyPrekeyProfile } from './legacy-order';
import type { PrekeyStorage, PublicationRecord, StorageLimits, StoreResult, StoredEnsemble } from './storage';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS client_profiles (
  identity TEXT NOT NULL,
  instance_tag BIGINT NOT NULL,
  long_term_key BYTEA NOT NULL,
  expires BIGINT NOT NULL,
  encoded BYTEA NOT NULL,
  PRIMARY KEY (identity, instance_tag)
);
CREATE TABLE IF NOT EXISTS prekey_profiles (
  identity TEXT NOT NULL,
  instance_tag BIGINT NOT NULL,
  long_term_key BYTEA NOT NULL,
  expires BIGINT NOT NULL,
  encoded BYTEA NOT NULL,
  PRIMARY KEY (identity, instance_tag)
);
CREATE TABLE IF NOT EXISTS prekey_messages (
  id BIGSERIAL PRIMARY KEY,
  identity TEXT NOT NULL,
  instance_tag BIGINT NOT NULL,
  long_term_key BYTEA NOT NULL,
  prekey_id BIGINT NOT NULL,
  encoded BYTEA NOT NULL,
  stored_at BIGINT NOT NULL,
  UNIQUE (identity, instance_tag, prekey_id)
);
DROP INDEX IF EXISTS prekey_messages_owner;
CREATE INDEX IF NOT EXISTS prekey_messages_next ON prekey_messages (identity, instance_tag, long_term_key, id);
CREATE INDEX IF NOT EXISTS prekey_messages_age ON prekey_messages (stored_at);
`;
// the indexes as in storage.ts: a device's oldest prekey message is an index seek; purge by age

/** the caps' inputs in one round trip (see storage.ts CAPS_SQL) */
const CAPS_SQL = `
SELECT
  (SELECT COUNT(*) FROM (SELECT instance_tag FROM client_profiles WHERE identity = $1
     UNION SELECT instance_tag FROM prekey_profiles WHERE identity = $1
     UNION SELECT instance_tag FROM prekey_messages WHERE identity = $1) t) AS devices,
  EXISTS (SELECT 1 FROM client_profiles WHERE identity = $1 AND instance_tag = $2)
    OR EXISTS (SELECT 1 FROM prekey_profiles WHERE identity = $1 AND instance_tag = $2)
    OR EXISTS (SELECT 1 FROM prekey_messages WHERE identity = $1 AND instance_tag = $2) AS known,
  (SELECT COUNT(*) FROM prekey_messages WHERE identity = $1) AS stored`;

/** a new client profile: the device's values under another key go, the profile is upserted */
const CLIENT_PROFILE_SQL = `
WITH gone_messages AS (
  DELETE FROM prekey_messages WHERE identity = $1 AND instance_tag = $2 AND long_term_key <> $3 RETURNING 1
), gone_profile AS (
  DELETE FROM prekey_profiles WHERE identity = $1 AND instance_tag = $2 AND long_term_key <> $3
), upsert AS (
  INSERT INTO client_profiles (identity, instance_tag, long_term_key, expires, encoded) VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (identity, instance_tag) DO UPDATE SET long_term_key = EXCLUDED.long_term_key, expires = EXCLUDED.expires, encoded = EXCLUDED.encoded
)
SELECT COUNT(*) AS dropped FROM gone_messages`;

const PREKEY_PROFILE_SQL = `
INSERT INTO prekey_profiles (identity, instance_tag, long_term_key, expires, encoded) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (identity, instance_tag) DO UPDATE SET long_term_key = EXCLUDED.long_term_key, expires = EXCLUDED.expires, encoded = EXCLUDED.encoded`;

/** all prekey messages of a publication in one statement */
const MESSAGES_SQL = `
INSERT INTO prekey_messages (identity, instance_tag, long_term_key, prekey_id, encoded, stored_at)
SELECT $1, $2, $3, m.prekey_id, m.encoded, $6 FROM unnest($4::bigint[], $5::bytea[]) AS m(prekey_id, encoded)
ON CONFLICT DO NOTHING`;

/**
 * A retrieval in one statement (no BEGIN/COMMIT round trips): each device with unexpired profiles
 * of one key, its oldest prekey message locked (SKIP LOCKED: a concurrent retrieval on another
 * replica takes the next one) and deleted, the ensembles returned. The stored bytes are served
 * as they were validated at publication; only expiry is checked.
 */
const TAKE_SQL = `
WITH devices AS (
  SELECT c.instance_tag AS tag, c.encoded AS cp, p.encoded AS pp, c.long_term_key AS k
  FROM client_profiles c JOIN prekey_profiles p
    ON p.identity = c.identity AND p.instance_tag = c.instance_tag AND p.long_term_key = c.long_term_key
  WHERE c.identity = $1 AND c.expires > $2 AND p.expires > $2
), picked AS (
  SELECT d.tag, d.cp, d.pp, m.id FROM devices d CROSS JOIN LATERAL (
    SELECT id FROM prekey_messages
    WHERE identity = $1 AND instance_tag = d.tag AND long_term_key = d.k
    ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) m
), gone AS (
  DELETE FROM prekey_messages x USING picked WHERE x.id = picked.id RETURNING x.id, x.encoded
)
SELECT picked.tag, picked.cp, picked.pp, gone.encoded FROM picked JOIN gone ON gone.id = picked.id ORDER BY picked.tag`;

const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const bytes = (v: unknown): Uint8Array => {
  if (!(v instanceof Uint8Array)) throw new Error('storage returned a non-bytea value');
  return Uint8Array.from(v);
};

export class PostgresPrekeyStorage implements PrekeyStorage {
  private constructor(private readonly pool: pg.Pool) {}

  static async connect(url: string): Promise<PostgresPrekeyStorage> {
    const pool = new pg.Pool({ connectionString: url, max: 8 });
    const client = await pool.connect();
    try {
      // several replicas may start together: serialise the schema creation
      await client.query('SELECT pg_advisory_lock(424242)');
      await client.query(SCHEMA);
      await client.query('SELECT pg_advisory_unlock(424242)');
    } finally {
      client.release();
    }
    return new PostgresPrekeyStorage(pool);
  }

  private async tx<T>(f: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const out = await f(c);
      await c.query('COMMIT');
      return out;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  async storePublication(p: PublicationRecord, limits: StorageLimits, nowSec: number): Promise<StoreResult> {
    const full = Symbol('full');
    try {
      return await this.tx(async (c) => {
        // one publisher at a time per identity, so the caps hold across replicas
        await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [p.identity]);
        const caps = (await c.query(CAPS_SQL, [p.identity, p.instanceTag])).rows[0] as { devices: string; known: boolean; stored: string };
        if (!caps.known && Number(caps.devices) >= limits.maxInstanceTagsPerIdentity) return { ok: false, reason: 'too-many-devices' } as const;
        let current = Number(caps.stored);
        const key = buf(p.longTermKey);
        if (p.clientProfile) {
          // a new long-term key for this device makes its older prekey values unusable
          const r = await c.query(CLIENT_PROFILE_SQL, [p.identity, p.instanceTag, key, p.clientProfile.expires, buf(p.clientProfile.encoded)]);
          current -= Number((r.rows[0] as { dropped: string }).dropped);
        }
        if (p.prekeyProfile) await c.query(PREKEY_PROFILE_SQL, [p.identity, p.instanceTag, key, p.prekeyProfile.expires, buf(p.prekeyProfile.encoded)]);
        if (current + p.prekeyMessages.length > limits.maxPrekeyMessagesPerIdentity) throw full;
        if (p.prekeyMessages.length === 0) return { ok: true, stored: 0 } as const;
        const r = await c.query(MESSAGES_SQL, [
          p.identity,
          p.instanceTag,
          key,
          p.prekeyMessages.map((m) => m.id),
          p.prekeyMessages.map((m) => buf(m.encoded)),
          nowSec,
        ]);
        return { ok: true, stored: r.rowCount ?? 0 } as const;
      });
    } catch (e) {
      if (e === full) return { ok: false, reason: 'storage-full' };
      throw e;
    }
  }

  async countPrekeyMessages(identity: string, instanceTag: number, longTermKey: Uint8Array): Promise<number> {
    const r = await this.pool.query('SELECT COUNT(*) AS n FROM prekey_messages WHERE identity = $1 AND instance_tag = $2 AND long_term_key = $3', [
      identity,
      instanceTag,
      buf(longTermKey),
    ]);
    return Number(r.rows[0].n);
  }

  async takeEnsembles(identity: string, nowSec: number): Promise<StoredEnsemble[]> {
    const r = await this.pool.query(TAKE_SQL, [identity, nowSec]);
    return (r.rows as { tag: string; cp: Buffer; pp: Buffer; encoded: Buffer }[]).map((d) => ({
      instanceTag: Number(d.tag),
      clientProfile: bytes(d.cp),
      prekeyProfile: bytes(d.pp),
      prekeyMessage: bytes(d.encoded),
    }));
  }

  async purgeExpired(nowSec: number, prekeyMaxAgeSec: number): Promise<number> {
    return this.tx(async (c) => {
      let n = 0;
      n += (await c.query('DELETE FROM client_profiles WHERE expires <= $1', [nowSec])).rowCount ?? 0;
      n += (await c.query('DELETE FROM prekey_profiles WHERE expires <= $1', [nowSec])).rowCount ?? 0;
      n += (await c.query('DELETE FROM prekey_messages WHERE stored_at < $1', [nowSec - prekeyMaxAgeSec])).rowCount ?? 0;
      return n;
    });
  }

  async purgeLegacyKeyTypeOrder(): Promise<number> {
    return this.tx(async (c) => {
      let n = 0;
      for (const [table, legacy] of [
        ['client_profiles', isLegacyClientProfile],
        ['prekey_profiles', isLegacyPrekeyProfile],
      ] as const) {
        const rows = (await c.query(`SELECT identity, instance_tag, encoded FROM ${table} FOR UPDATE`)).rows as {
          identity: string;
          instance_tag: string;
          encoded: Buffer;
        }[];
        for (const r of rows) {
          if (!legacy(bytes(r.encoded))) continue;
          n += (await c.query(`DELETE FROM ${table} WHERE identity = $1 AND instance_tag = $2`, [r.identity, r.instance_tag])).rowCount ?? 0;
        }
      }
      return n;
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
