// Storage of the prekey server (otrv4-prekey-server.md §"Storage of Prekeys Ensembles for XMPP":
// keyed by bare JID and instance tag; §"Retrieving Prekey Ensembles": profiles are kept, each
// handed-out prekey message is removed). Values are stored already validated and in their encoded
// form. Every prekey message row is bound to the long-term key H that authenticated its
// publication, so ensembles never mix a prekey message with another key's profiles.
// SQLite (@signalapp/sqlcipher, unencrypted: the data are public values) is the embedded engine;
// storage-pg.ts is the PostgreSQL one for several replicas (docs/architecture.md §4).
import Database from '@signalapp/sqlcipher';
import { isLegacyClientProfile, isLegacyPrekeyProfile } from './legacy-order';

export interface StoredEnsemble {
  instanceTag: number;
  clientProfile: Uint8Array;
  prekeyProfile: Uint8Array;
  prekeyMessage: Uint8Array;
}

export interface PublicationRecord {
  identity: string;
  instanceTag: number;
  /** POINT H of the DAKE's client profile */
  longTermKey: Uint8Array;
  clientProfile?: { encoded: Uint8Array; expires: number };
  prekeyProfile?: { encoded: Uint8Array; expires: number };
  prekeyMessages: { id: number; encoded: Uint8Array }[];
}

export interface StorageLimits {
  /** prekey messages stored for one identity, all its devices together */
  maxPrekeyMessagesPerIdentity: number;
  /** devices (instance tags) per identity */
  maxInstanceTagsPerIdentity: number;
}

export type StoreResult = { ok: true; stored: number } | { ok: false; reason: 'storage-full' | 'too-many-devices' };

export interface PrekeyStorage {
  storePublication(p: PublicationRecord, limits: StorageLimits, nowSec: number): Promise<StoreResult>;
  /** prekey messages stored for (identity, instance tag, long-term key): the Storage Status number */
  countPrekeyMessages(identity: string, instanceTag: number, longTermKey: Uint8Array): Promise<number>;
  /**
   * One ensemble per instance tag whose client and prekey profiles are unexpired and belong to
   * the same key, each with a prekey message that is removed in the same transaction, so that
   * no prekey message is ever handed out twice, even to concurrent requests.
   */
  takeEnsembles(identity: string, nowSec: number): Promise<StoredEnsemble[]>;
  /** removes expired profiles and prekey messages older than maxAgeSec; returns rows removed */
  purgeExpired(nowSec: number, prekeyMaxAgeSec: number): Promise<number>;
  /**
   * removes client and prekey profiles stored with the old big-endian key types (legacy-order.ts);
   * run at start; returns the rows removed
   */
  purgeLegacyKeyTypeOrder(): Promise<number>;
  close(): Promise<void>;
}

/** CLIENT-PROF-EXP is a signed 64-bit; clamp to what a JS number and both SQL engines hold exactly */
export function clampExpiry(expires: bigint): number {
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  return Number(expires > max ? max : expires < -max ? -max : expires);
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS client_profiles (
  identity TEXT NOT NULL,
  instance_tag INTEGER NOT NULL,
  long_term_key BLOB NOT NULL,
  expires INTEGER NOT NULL,
  encoded BLOB NOT NULL,
  PRIMARY KEY (identity, instance_tag)
);
CREATE TABLE IF NOT EXISTS prekey_profiles (
  identity TEXT NOT NULL,
  instance_tag INTEGER NOT NULL,
  long_term_key BLOB NOT NULL,
  expires INTEGER NOT NULL,
  encoded BLOB NOT NULL,
  PRIMARY KEY (identity, instance_tag)
);
CREATE TABLE IF NOT EXISTS prekey_messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  identity TEXT NOT NULL,
  instance_tag INTEGER NOT NULL,
  long_term_key BLOB NOT NULL,
  prekey_id INTEGER NOT NULL,
  encoded BLOB NOT NULL,
  stored_at INTEGER NOT NULL,
  UNIQUE (identity, instance_tag, prekey_id)
);
CREATE INDEX IF NOT EXISTS prekey_messages_owner ON prekey_messages (identity, instance_tag, long_term_key);
`;

type Row = Record<string, unknown>;
const blob = (b: Uint8Array): Uint8Array<ArrayBuffer> => Uint8Array.from(b);
const asBytes = (v: unknown): Uint8Array => {
  if (!(v instanceof Uint8Array)) throw new Error('storage returned a non-blob value');
  return Uint8Array.from(v);
};

export class SqlitePrekeyStorage implements PrekeyStorage {
  private readonly db: Database;

  constructor(path: string) {
    this.db = new Database(path, { cacheStatements: true });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  async storePublication(p: PublicationRecord, limits: StorageLimits, nowSec: number): Promise<StoreResult> {
    const run = this.db.transaction((): StoreResult => {
      const tags = this.db
        .prepare(
          `SELECT instance_tag FROM client_profiles WHERE identity = ?
           UNION SELECT instance_tag FROM prekey_profiles WHERE identity = ?
           UNION SELECT instance_tag FROM prekey_messages WHERE identity = ?`,
        )
        .all([p.identity, p.identity, p.identity])
        .map((r: Row) => Number(r.instance_tag));
      if (!tags.includes(p.instanceTag) && tags.length >= limits.maxInstanceTagsPerIdentity) return { ok: false, reason: 'too-many-devices' };
      const key = blob(p.longTermKey);
      if (p.clientProfile) {
        // a new long-term key for this device makes its older prekey values unusable
        this.db.prepare('DELETE FROM prekey_messages WHERE identity = ? AND instance_tag = ? AND long_term_key <> ?').run([p.identity, p.instanceTag, key]);
        this.db.prepare('DELETE FROM prekey_profiles WHERE identity = ? AND instance_tag = ? AND long_term_key <> ?').run([p.identity, p.instanceTag, key]);
        this.db
          .prepare(
            `INSERT INTO client_profiles (identity, instance_tag, long_term_key, expires, encoded) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (identity, instance_tag) DO UPDATE SET long_term_key = excluded.long_term_key, expires = excluded.expires, encoded = excluded.encoded`,
          )
          .run([p.identity, p.instanceTag, key, p.clientProfile.expires, blob(p.clientProfile.encoded)]);
      }
      if (p.prekeyProfile) {
        this.db
          .prepare(
            `INSERT INTO prekey_profiles (identity, instance_tag, long_term_key, expires, encoded) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (identity, instance_tag) DO UPDATE SET long_term_key = excluded.long_term_key, expires = excluded.expires, encoded = excluded.encoded`,
          )
          .run([p.identity, p.instanceTag, key, p.prekeyProfile.expires, blob(p.prekeyProfile.encoded)]);
      }
      const current = Number(this.db.prepare('SELECT COUNT(*) AS n FROM prekey_messages WHERE identity = ?').get([p.identity])?.n ?? 0);
      if (current + p.prekeyMessages.length > limits.maxPrekeyMessagesPerIdentity) {
        // nothing of this publication is kept: the transaction is rolled back by the throw below
        throw new StorageFull();
      }
      const insert = this.db.prepare(
        'INSERT OR IGNORE INTO prekey_messages (identity, instance_tag, long_term_key, prekey_id, encoded, stored_at) VALUES (?, ?, ?, ?, ?, ?)',
      );
      let stored = 0;
      for (const m of p.prekeyMessages) stored += insert.run([p.identity, p.instanceTag, key, m.id, blob(m.encoded), nowSec]).changes;
      return { ok: true, stored };
    });
    try {
      return run();
    } catch (e) {
      if (e instanceof StorageFull) return { ok: false, reason: 'storage-full' };
      throw e;
    }
  }

  async countPrekeyMessages(identity: string, instanceTag: number, longTermKey: Uint8Array): Promise<number> {
    const row = this.db
      .prepare('SELECT COUNT(*) AS n FROM prekey_messages WHERE identity = ? AND instance_tag = ? AND long_term_key = ?')
      .get([identity, instanceTag, blob(longTermKey)]);
    return Number(row?.n ?? 0);
  }

  async takeEnsembles(identity: string, nowSec: number): Promise<StoredEnsemble[]> {
    // JavaScript runs this whole transaction without yielding, and SQLite serialises writers
    // across processes (BEGIN IMMEDIATE semantics via the write lock), so a prekey message
    // selected here is deleted before anyone else can select it.
    const run = this.db.transaction((): StoredEnsemble[] => {
      const devices = this.db
        .prepare(
          `SELECT c.instance_tag AS tag, c.encoded AS cp, p.encoded AS pp, c.long_term_key AS k
           FROM client_profiles c JOIN prekey_profiles p
             ON p.identity = c.identity AND p.instance_tag = c.instance_tag AND p.long_term_key = c.long_term_key
           WHERE c.identity = ? AND c.expires > ? AND p.expires > ?
           ORDER BY c.instance_tag`,
        )
        .all([identity, nowSec, nowSec]);
      const pick = this.db.prepare('SELECT id, encoded FROM prekey_messages WHERE identity = ? AND instance_tag = ? AND long_term_key = ? ORDER BY id LIMIT 1');
      const remove = this.db.prepare('DELETE FROM prekey_messages WHERE id = ?');
      const out: StoredEnsemble[] = [];
      for (const d of devices) {
        const pm = pick.get([identity, Number(d.tag), blob(asBytes(d.k))]);
        if (!pm) continue;
        if (remove.run([Number(pm.id)]).changes !== 1) continue;
        out.push({ instanceTag: Number(d.tag), clientProfile: asBytes(d.cp), prekeyProfile: asBytes(d.pp), prekeyMessage: asBytes(pm.encoded) });
      }
      return out;
    });
    return run();
  }

  async purgeExpired(nowSec: number, prekeyMaxAgeSec: number): Promise<number> {
    const run = this.db.transaction((): number => {
      let n = 0;
      n += this.db.prepare('DELETE FROM client_profiles WHERE expires <= ?').run([nowSec]).changes;
      n += this.db.prepare('DELETE FROM prekey_profiles WHERE expires <= ?').run([nowSec]).changes;
      n += this.db.prepare('DELETE FROM prekey_messages WHERE stored_at < ?').run([nowSec - prekeyMaxAgeSec]).changes;
      return n;
    });
    return run();
  }

  async purgeLegacyKeyTypeOrder(): Promise<number> {
    const run = this.db.transaction((): number => {
      let n = 0;
      for (const [table, legacy] of [
        ['client_profiles', isLegacyClientProfile],
        ['prekey_profiles', isLegacyPrekeyProfile],
      ] as const) {
        const remove = this.db.prepare(`DELETE FROM ${table} WHERE identity = ? AND instance_tag = ?`);
        for (const r of this.db.prepare(`SELECT identity, instance_tag, encoded FROM ${table}`).all([])) {
          if (legacy(asBytes(r.encoded))) n += remove.run([String(r.identity), Number(r.instance_tag)]).changes;
        }
      }
      return n;
    });
    return run();
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

class StorageFull extends Error {}
