// OTR bookkeeping in the profile's SQLCipher database (DESIGN.md 4: "fingerprints and trust" live
// there, encrypted at rest): fingerprints seen per contact with their trust, policies per account
// and per contact, messages waiting for a private session (no silent downgrade, DESIGN.md 6), and
// which conversations are private by the user's intent, and each account's OTR keys, sealed with
// the data key from the keychain (otr/identity.ts; the keychain itself holds only small keys).
// The tables are this module's own (prefix otr_), created if missing, so the module can share the
// core's database without touching its migrations.
import type { Database } from '@signalapp/sqlcipher';
import { otrPolicyNames, type OtrFingerprintInfo, type OtrPolicyName } from '../../../src-shared/ipc/otr-contract';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS otr_fingerprints (
    account_id TEXT NOT NULL,
    peer TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version IN (3, 4)),
    verified INTEGER NOT NULL DEFAULT 0,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    PRIMARY KEY (account_id, peer, fingerprint)
  );
  CREATE TABLE IF NOT EXISTS otr_policies (
    account_id TEXT NOT NULL,
    peer TEXT NOT NULL DEFAULT '',
    policy TEXT NOT NULL CHECK (policy IN ('manual', 'opportunistic', 'always')),
    PRIMARY KEY (account_id, peer)
  );
  CREATE TABLE IF NOT EXISTS otr_queue (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    peer TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS otr_queue_peer ON otr_queue(account_id, peer, seq);
  CREATE TABLE IF NOT EXISTS otr_private (
    account_id TEXT NOT NULL,
    peer TEXT NOT NULL,
    PRIMARY KEY (account_id, peer)
  );
  CREATE TABLE IF NOT EXISTS otr_identity (
    account_id TEXT PRIMARY KEY,
    sealed TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );
`;

interface FingerprintRow {
  fingerprint: string;
  version: number;
  verified: number;
  first_seen: number;
  last_seen: number;
}

export interface QueuedMessage {
  messageId: string;
  peer: string;
  body: string;
  createdAt: number;
}

const toInfo = (r: FingerprintRow): OtrFingerprintInfo => ({ fingerprint: r.fingerprint, version: r.version === 3 ? 3 : 4, verified: r.verified === 1, firstSeen: r.first_seen, lastSeen: r.last_seen });

export class OtrStore {
  constructor(private readonly db: Database) {
    db.exec(SCHEMA);
  }

  // ---- fingerprints and trust ----------------------------------------------------------------

  fingerprints(accountId: string, peer: string): OtrFingerprintInfo[] {
    return (this.db.prepare('SELECT * FROM otr_fingerprints WHERE account_id = ? AND peer = ? ORDER BY first_seen, fingerprint').all([accountId, peer]) as unknown as FingerprintRow[]).map(toInfo);
  }

  fingerprint(accountId: string, peer: string, fp: string): OtrFingerprintInfo | undefined {
    const r = this.db.prepare('SELECT * FROM otr_fingerprints WHERE account_id = ? AND peer = ? AND fingerprint = ?').get([accountId, peer, fp]) as unknown as FingerprintRow | undefined;
    return r && toInfo(r);
  }

  /**
   * Records that `fp` was used in a session. Returns whether it is new, and whether the contact
   * had other keys of the same version before (the "fingerprint changed" warning).
   */
  seen(accountId: string, peer: string, fp: string, version: 3 | 4, now: number): { isNew: boolean; hadOthers: boolean } {
    return this.db.transaction(() => {
      const known = this.fingerprint(accountId, peer, fp);
      if (known) {
        this.db.prepare('UPDATE otr_fingerprints SET last_seen = ? WHERE account_id = ? AND peer = ? AND fingerprint = ?').run([now, accountId, peer, fp]);
        return { isNew: false, hadOthers: false };
      }
      const others = Number(this.db.prepare('SELECT count(*) FROM otr_fingerprints WHERE account_id = ? AND peer = ? AND version = ?', { pluck: true }).get([accountId, peer, version]) ?? 0);
      this.db.prepare('INSERT INTO otr_fingerprints (account_id, peer, fingerprint, version, verified, first_seen, last_seen) VALUES (?, ?, ?, ?, 0, ?, ?)').run([accountId, peer, fp, version, now, now]);
      return { isNew: true, hadOthers: others > 0 };
    })();
  }

  /** false when the fingerprint was never seen for this contact */
  setVerified(accountId: string, peer: string, fp: string, verified: boolean): boolean {
    const r = this.db.prepare('UPDATE otr_fingerprints SET verified = ? WHERE account_id = ? AND peer = ? AND fingerprint = ?').run([verified ? 1 : 0, accountId, peer, fp]);
    return r.changes === 1;
  }

  isVerified(accountId: string, peer: string, fp: string): boolean {
    return this.fingerprint(accountId, peer, fp)?.verified === true;
  }

  // ---- policies ------------------------------------------------------------------------------

  /** the contact's own policy, else the account's, else `fallback` */
  policy(accountId: string, peer: string | undefined, fallback: OtrPolicyName): { policy: OtrPolicyName; overridden: boolean } {
    const rows = this.db.prepare("SELECT peer, policy FROM otr_policies WHERE account_id = ? AND peer IN ('', ?)").all([accountId, peer ?? '']) as unknown as Array<{ peer: string; policy: string }>;
    const own = peer ? rows.find((r) => r.peer === peer) : undefined;
    const acct = rows.find((r) => r.peer === '');
    const pick = (s: string | undefined): OtrPolicyName | undefined => (otrPolicyNames as readonly string[]).includes(s ?? '') ? (s as OtrPolicyName) : undefined;
    const p = pick(own?.policy);
    if (p) return { policy: p, overridden: true };
    return { policy: pick(acct?.policy) ?? fallback, overridden: false };
  }

  /** peer undefined: the account's policy; policy null: remove the contact's own policy */
  setPolicy(accountId: string, peer: string | undefined, policy: OtrPolicyName | null): void {
    if (policy === null) {
      this.db.prepare('DELETE FROM otr_policies WHERE account_id = ? AND peer = ?').run([accountId, peer ?? '']);
      return;
    }
    this.db.prepare('INSERT INTO otr_policies (account_id, peer, policy) VALUES (?, ?, ?) ON CONFLICT (account_id, peer) DO UPDATE SET policy = excluded.policy').run([accountId, peer ?? '', policy]);
  }

  // ---- private intent and the queue ----------------------------------------------------------

  isPrivate(accountId: string, peer: string): boolean {
    return this.db.prepare('SELECT 1 FROM otr_private WHERE account_id = ? AND peer = ?', { pluck: true }).get([accountId, peer]) !== undefined;
  }

  setPrivate(accountId: string, peer: string, on: boolean): void {
    if (on) this.db.prepare('INSERT INTO otr_private (account_id, peer) VALUES (?, ?) ON CONFLICT DO NOTHING').run([accountId, peer]);
    else this.db.prepare('DELETE FROM otr_private WHERE account_id = ? AND peer = ?').run([accountId, peer]);
  }

  enqueue(accountId: string, m: QueuedMessage): void {
    this.db.prepare('INSERT INTO otr_queue (message_id, account_id, peer, body, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING').run([m.messageId, accountId, m.peer, m.body, m.createdAt]);
  }

  queued(accountId: string, peer: string): QueuedMessage[] {
    const rows = this.db.prepare('SELECT message_id, peer, body, created_at FROM otr_queue WHERE account_id = ? AND peer = ? ORDER BY seq').all([accountId, peer]) as unknown as Array<{ message_id: string; peer: string; body: string; created_at: number }>;
    return rows.map((r) => ({ messageId: r.message_id, peer: r.peer, body: r.body, createdAt: r.created_at }));
  }

  queuedCount(accountId: string, peer: string): number {
    return Number(this.db.prepare('SELECT count(*) FROM otr_queue WHERE account_id = ? AND peer = ?', { pluck: true }).get([accountId, peer]) ?? 0);
  }

  /** contacts with messages waiting */
  queuedPeers(accountId: string): string[] {
    return (this.db.prepare('SELECT DISTINCT peer FROM otr_queue WHERE account_id = ? ORDER BY peer').all([accountId]) as unknown as Array<{ peer: string }>).map((r) => r.peer);
  }

  dequeue(accountId: string, messageId: string): void {
    this.db.prepare('DELETE FROM otr_queue WHERE account_id = ? AND message_id = ?').run([accountId, messageId]);
  }

  // ---- the account's OTR keys (sealed; otr/identity.ts) -------------------------------------

  sealedIdentity(accountId: string): string | undefined {
    const v = this.db.prepare('SELECT sealed FROM otr_identity WHERE account_id = ?', { pluck: true }).get([accountId]);
    return typeof v === 'string' ? v : undefined;
  }

  setSealedIdentity(accountId: string, sealed: string, now: number): void {
    this.db.prepare('INSERT INTO otr_identity (account_id, sealed, updated_at) VALUES (?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at').run([accountId, sealed, now]);
  }

  deleteSealedIdentity(accountId: string): void {
    this.db.prepare('DELETE FROM otr_identity WHERE account_id = ?').run([accountId]);
  }

  /** whether any account's keys are sealed here (then the data key must exist) */
  hasSealedIdentities(): boolean {
    return this.db.prepare('SELECT 1 FROM otr_identity LIMIT 1', { pluck: true }).get() !== undefined;
  }

  /** everything of an account (account removal) */
  removeAccount(accountId: string): void {
    this.db.transaction(() => {
      for (const t of ['otr_fingerprints', 'otr_policies', 'otr_queue', 'otr_private', 'otr_identity']) this.db.prepare(`DELETE FROM ${t} WHERE account_id = ?`).run([accountId]);
    })();
  }
}
