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
DROP INDEX IF EXISTS prekey_messages_owner;
CREATE INDEX IF NOT EXISTS prekey_messages_next ON prekey_messages (identity, instance_tag, long_term_key, id);
CREATE INDEX IF NOT EXISTS prekey_messages_age ON prekey_messages (stored_at);
`;
// prekey_messages_next serves the count per device and the pick of a device's oldest prekey
// message (ORDER BY id LIMIT 1 is then an index seek); the UNIQUE index's prefix serves the count
// per identity; prekey_messages_age serves the purge.

/** devices of an identity and the prekey messages stored for it: the caps' inputs, one statement */
const CAPS_SQL = `
SELECT
  (SELECT COUNT(*) FROM (SELECT instance_tag FROM client_profiles WHERE identity = $id
     UNION SELECT instance_tag FROM prekey_profiles WHERE identity = $id
     UNION SELECT instance_tag FROM prekey_messages WHERE identity = $id)) AS devices,
  EXISTS (SELECT 1 FROM client_profiles WHERE identity = $id AND instance_tag = $tag)
    OR EXISTS (SELECT 1 FROM prekey_profiles WHERE identity = $id AND instance_tag = $tag)
    OR EXISTS (SELECT 1 FROM prekey_messages WHERE identity = $id AND instance_tag = $tag) AS known,
  (SELECT COUNT(*) FROM prekey_messages WHERE identity = $id) AS stored`;

/** the devices with an unexpired client and prekey profile of the same key */
const DEVICES_SQL = `
SELECT c.instance_tag AS tag, c.encoded AS cp, p.encoded AS pp
FROM client_profiles c JOIN prekey_profiles p
  ON p.identity = c.identity AND p.instance_tag = c.instance_tag AND p.long_term_key = c.long_term_key
WHERE c.identity = $id AND c.expires > $now AND p.expires > $now`;

/** removes and returns the oldest prekey message of each such device */
const TAKE_SQL = `
DELETE FROM prekey_messages WHERE id IN (
  SELECT (SELECT m.id FROM prekey_messages m
          WHERE m.identity = c.identity AND m.instance_tag = c.instance_tag AND m.long_term_key = c.long_term_key
          ORDER BY m.id LIMIT 1)
  FROM client_profiles c JOIN prekey_profiles p
    ON p.identity = c.identity AND p.instance_tag = c.instance_tag AND p.long_term_key = c.long_term_key
  WHERE c.identity = $id AND c.expires > $now AND p.expires > $now)
RETURNING instance_tag AS tag, encoded`;

const UPSERT = (table: string) => `INSERT INTO ${table} (identity, instance_tag, long_term_key, expires, encoded) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (identity, instance_tag) DO UPDATE SET long_term_key = excluded.long_term_key, expires = excluded.expires, encoded = excluded.encoded`;

type Row = Record<string, unknown>;
const blob = (b: Uint8Array): Uint8Array<ArrayBuffer> => Uint8Array.from(b);
const asBytes = (v: unknown): Uint8Array => {
  if (!(v instanceof Uint8Array)) throw new Error('storage returned a non-blob value');
  return Uint8Array.from(v);
};

/** joins the devices with the prekey messages taken for them, in instance tag order */
export function joinEnsembles<D extends { tag: number; cp: Uint8Array; pp: Uint8Array }>(
  devices: D[],
  taken: { tag: number; encoded: Uint8Array }[],
): StoredEnsemble[] {
  const byTag = new Map(taken.map((t) => [t.tag, t.encoded]));
  const out: StoredEnsemble[] = [];
  for (const d of [...devices].sort((x, y) => x.tag - y.tag)) {
    const pm = byTag.get(d.tag);
    if (pm) out.push({ instanceTag: d.tag, clientProfile: d.cp, prekeyProfile: d.pp, prekeyMessage: pm });
  }
  return out;
}

export class SqlitePrekeyStorage implements PrekeyStorage {
  private readonly db: Database;
  // prepared once: a publication and a retrieval run only these
  private readonly s;

  constructor(path: string) {
    this.db = new Database(path, { cacheStatements: true });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    const db = this.db;
    this.s = {
      caps: db.prepare(CAPS_SQL),
      dropOtherKeyMessages: db.prepare('DELETE FROM prekey_messages WHERE identity = ? AND instance_tag = ? AND long_term_key <> ?'),
      dropOtherKeyProfile: db.prepare('DELETE FROM prekey_profiles WHERE identity = ? AND instance_tag = ? AND long_term_key <> ?'),
      upsertClientProfile: db.prepare(UPSERT('client_profiles')),
      upsertPrekeyProfile: db.prepare(UPSERT('prekey_profiles')),
      insertMessage: db.prepare(
        'INSERT OR IGNORE INTO prekey_messages (identity, instance_tag, long_term_key, prekey_id, encoded, stored_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      count: db.prepare('SELECT COUNT(*) AS n FROM prekey_messages WHERE identity = ? AND instance_tag = ? AND long_term_key = ?'),
      devices: db.prepare(DEVICES_SQL),
      take: db.prepare(TAKE_SQL),
    };
  }

  async storePublication(p: PublicationRecord, limits: StorageLimits, nowSec: number): Promise<StoreResult> {
    // one transaction: the caps are read and the values written without another writer between
    const run = this.db.transaction((): StoreResult => {
      const caps = this.s.caps.get({ id: p.identity, tag: p.instanceTag }) ?? {};
      if (!Number(caps.known) && Number(caps.devices) >= limits.maxInstanceTagsPerIdentity) return { ok: false, reason: 'too-many-devices' };
      let current = Number(caps.stored ?? 0);
      const key = blob(p.longTermKey);
      if (p.clientProfile) {
        // a new long-term key for this device makes its older prekey values unusable
        current -= this.s.dropOtherKeyMessages.run([p.identity, p.instanceTag, key]).changes;
        this.s.dropOtherKeyProfile.run([p.identity, p.instanceTag, key]);
        this.s.upsertClientProfile.run([p.identity, p.instanceTag, key, p.clientProfile.expires, blob(p.clientProfile.encoded)]);
      }
      if (p.prekeyProfile) this.s.upsertPrekeyProfile.run([p.identity, p.instanceTag, key, p.prekeyProfile.expires, blob(p.prekeyProfile.encoded)]);
      // nothing of this publication is kept: the transaction is rolled back by the throw
      if (current + p.prekeyMessages.length > limits.maxPrekeyMessagesPerIdentity) throw new StorageFull();
      let stored = 0;
      for (const m of p.prekeyMessages) stored += this.s.insertMessage.run([p.identity, p.instanceTag, key, m.id, blob(m.encoded), nowSec]).changes;
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
    return Number(this.s.count.get([identity, instanceTag, blob(longTermKey)])?.n ?? 0);
  }

  async takeEnsembles(identity: string, nowSec: number): Promise<StoredEnsemble[]> {
    // Two statements in one transaction: the devices with their profiles, then DELETE … RETURNING
    // of each device's oldest prekey message. JavaScript runs the transaction without yielding and
    // SQLite serialises writers across processes, so a prekey message is handed out only once.
    // The stored bytes are served as they were validated at publication; only expiry is checked.
    const run = this.db.transaction((): StoredEnsemble[] => {
      const devices = this.s.devices.all({ id: identity, now: nowSec }).map((d: Row) => ({ tag: Number(d.tag), cp: asBytes(d.cp), pp: asBytes(d.pp) }));
      if (devices.length === 0) return [];
      const taken = this.s.take.all({ id: identity, now: nowSec }).map((t: Row) => ({ tag: Number(t.tag), encoded: asBytes(t.encoded) }));
      return joinEnsembles(devices, taken);
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
