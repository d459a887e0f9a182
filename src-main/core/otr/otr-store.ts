// OTR bookkeeping in the profile's SQLCipher database (docs/architecture.md §4: "fingerprints and trust" live
// there, encrypted at rest): fingerprints seen per contact with their trust, policies per account
// and per contact, messages waiting for a private session (no silent downgrade, docs/architecture.md §6), and
// which conversations are private by the user's intent, the established sessions (session-store.ts,
// so that restarts lose nothing), and each account's OTR keys, sealed with
// the data key from the keychain (otr/identity.ts; the keychain itself holds only small keys).
// The tables (prefix otr_) are created by the profile database's one migration runner
// (store/migrations.ts); this module expects a migrated database. Rows are read through the typed
// decoders of store/rows.ts.
import type { Database } from '@signalapp/sqlcipher';
import { otrPolicyNames, type OtrFingerprintInfo, type OtrPolicyName } from '../../../src-shared/ipc/otr-contract';
import { every, int, maybe, text, type Row } from '../store/rows';
import { OtrDeviceStore } from './devices';
import { OtrSessionStore } from './session-store';

export interface QueuedMessage {
  messageId: string;
  peer: string;
  body: string;
  createdAt: number;
}

const toInfo = (r: Row): OtrFingerprintInfo => ({
  fingerprint: text(r, 'fingerprint'),
  version: int(r, 'version') === 3 ? 3 : 4,
  verified: int(r, 'verified') === 1,
  firstSeen: int(r, 'first_seen'),
  lastSeen: int(r, 'last_seen'),
});

const toQueued = (r: Row): QueuedMessage => ({
  messageId: text(r, 'message_id'),
  peer: text(r, 'peer'),
  body: text(r, 'body'),
  createdAt: int(r, 'created_at'),
});

export class OtrStore {
  /** each contact's devices (instance tags), for the devices page */
  readonly devices: OtrDeviceStore;
  /** the established sessions, kept across restarts (session-store.ts) */
  readonly sessions: OtrSessionStore;

  /** `db`: the profile database, migrated (store/migrations.ts) */
  constructor(private readonly db: Database) {
    this.devices = new OtrDeviceStore(db);
    this.sessions = new OtrSessionStore(db);
  }

  // ---- fingerprints and trust ----------------------------------------------------------------

  fingerprints(accountId: string, peer: string): OtrFingerprintInfo[] {
    return every(
      this.db.prepare('SELECT * FROM otr_fingerprints WHERE account_id = ? AND peer = ? ORDER BY first_seen, fingerprint').all([accountId, peer]),
      toInfo,
    );
  }

  fingerprint(accountId: string, peer: string, fp: string): OtrFingerprintInfo | undefined {
    return maybe(this.db.prepare('SELECT * FROM otr_fingerprints WHERE account_id = ? AND peer = ? AND fingerprint = ?').get([accountId, peer, fp]), toInfo);
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
      const others = Number(
        this.db
          .prepare('SELECT count(*) FROM otr_fingerprints WHERE account_id = ? AND peer = ? AND version = ?', { pluck: true })
          .get([accountId, peer, version]) ?? 0,
      );
      this.db
        .prepare('INSERT INTO otr_fingerprints (account_id, peer, fingerprint, version, verified, first_seen, last_seen) VALUES (?, ?, ?, ?, 0, ?, ?)')
        .run([accountId, peer, fp, version, now, now]);
      return { isNew: true, hadOthers: others > 0 };
    })();
  }

  /** false when the fingerprint was never seen for this contact */
  setVerified(accountId: string, peer: string, fp: string, verified: boolean): boolean {
    const r = this.db
      .prepare('UPDATE otr_fingerprints SET verified = ? WHERE account_id = ? AND peer = ? AND fingerprint = ?')
      .run([verified ? 1 : 0, accountId, peer, fp]);
    return r.changes === 1;
  }

  isVerified(accountId: string, peer: string, fp: string): boolean {
    return this.fingerprint(accountId, peer, fp)?.verified === true;
  }

  // ---- policies ------------------------------------------------------------------------------

  /** the contact's own policy, else the account's, else `fallback` */
  policy(accountId: string, peer: string | undefined, fallback: OtrPolicyName): { policy: OtrPolicyName; overridden: boolean } {
    const rows = every(this.db.prepare("SELECT peer, policy FROM otr_policies WHERE account_id = ? AND peer IN ('', ?)").all([accountId, peer ?? '']), (r) => ({
      peer: text(r, 'peer'),
      policy: text(r, 'policy'),
    }));
    const own = peer ? rows.find((r) => r.peer === peer) : undefined;
    const acct = rows.find((r) => r.peer === '');
    const pick = (s: string | undefined): OtrPolicyName | undefined =>
      (otrPolicyNames as readonly string[]).includes(s ?? '') ? (s as OtrPolicyName) : undefined;
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
    this.db
      .prepare('INSERT INTO otr_policies (account_id, peer, policy) VALUES (?, ?, ?) ON CONFLICT (account_id, peer) DO UPDATE SET policy = excluded.policy')
      .run([accountId, peer ?? '', policy]);
  }

  /** ALLOW_V2 for the contact: its own setting, else the account's, else allowed (NULL: not set) */
  allowV2(accountId: string, peer: string | undefined): boolean {
    const rows = every(
      this.db.prepare("SELECT peer, allow_v2 FROM otr_policies WHERE account_id = ? AND peer IN ('', ?) AND allow_v2 IS NOT NULL").all([accountId, peer ?? '']),
      (r) => ({ peer: text(r, 'peer'), allow: int(r, 'allow_v2') === 1 }),
    );
    const own = peer ? rows.find((r) => r.peer === peer) : undefined;
    return (own ?? rows.find((r) => r.peer === ''))?.allow ?? true;
  }

  /**
   * Stores ALLOW_V2 in the account's row (peer undefined) or the contact's. A row needs a policy:
   * a missing account row is made with `accountPolicy` (the one in effect); a contact without a
   * policy of its own has no row, and its setting is the account's (false returned).
   */
  setAllowV2(accountId: string, peer: string | undefined, allow: boolean, accountPolicy: OtrPolicyName): boolean {
    if (peer !== undefined) {
      return this.db.prepare('UPDATE otr_policies SET allow_v2 = ? WHERE account_id = ? AND peer = ?').run([allow ? 1 : 0, accountId, peer]).changes === 1;
    }
    this.db
      .prepare(
        "INSERT INTO otr_policies (account_id, peer, policy, allow_v2) VALUES (?, '', ?, ?) ON CONFLICT (account_id, peer) DO UPDATE SET allow_v2 = excluded.allow_v2",
      )
      .run([accountId, accountPolicy, allow ? 1 : 0]);
    return true;
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
    this.db
      .prepare('INSERT INTO otr_queue (message_id, account_id, peer, body, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING')
      .run([m.messageId, accountId, m.peer, m.body, m.createdAt]);
  }

  queued(accountId: string, peer: string): QueuedMessage[] {
    return every(
      this.db.prepare('SELECT message_id, peer, body, created_at FROM otr_queue WHERE account_id = ? AND peer = ? ORDER BY seq').all([accountId, peer]),
      toQueued,
    );
  }

  queuedCount(accountId: string, peer: string): number {
    return Number(this.db.prepare('SELECT count(*) FROM otr_queue WHERE account_id = ? AND peer = ?', { pluck: true }).get([accountId, peer]) ?? 0);
  }

  /** contacts with messages waiting */
  queuedPeers(accountId: string): string[] {
    return every(this.db.prepare('SELECT DISTINCT peer FROM otr_queue WHERE account_id = ? ORDER BY peer').all([accountId]), (r) => text(r, 'peer'));
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
    this.db
      .prepare(
        'INSERT INTO otr_identity (account_id, sealed, updated_at) VALUES (?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at',
      )
      .run([accountId, sealed, now]);
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
      for (const t of ['otr_fingerprints', 'otr_devices', 'otr_policies', 'otr_queue', 'otr_private', 'otr_identity', 'otr_sessions'])
        this.db.prepare(`DELETE FROM ${t} WHERE account_id = ?`).run([accountId]);
    })();
  }
}
