// SqliteStorage's queue tables (sqlite.ts): the durable outbox and the replay ids (seen_ids)
// that gate it. Writes go through the connection's group commit (sqlite-connection.ts); inserted
// entries are announced to 'queued' listeners once committed.
import { toEntry } from './rows';
import { OUTBOX_COLUMNS } from './schema';
import type { SqliteConnection } from './sqlite-connection';
import type { KnockLogin, KnockWrite, OutboxEntry, SeenId } from './types';

/** rows per multi-row statement (issue 17, fewer statements per knock: a statement costs
 * ≈ 10–20 µs of binding and stepping whatever its rows); few shapes, so few cached statements */
const CHUNK = 32;
const chunks = <T>(xs: ReadonlyArray<T>): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK));
  return out;
};
const marks = (n: number, one: string) => Array.from({ length: n }, () => one).join(', ');
const insertEntries = (n: number) => `INSERT INTO outbox (${OUTBOX_COLUMNS}) VALUES ${marks(n, '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')}`;
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

export class SqliteQueue {
  readonly #c: SqliteConnection;

  constructor(c: SqliteConnection) {
    this.#c = c;
  }

  /** inserts entries (inside a write op); they are announced once committed */
  #insertEntries(entries: ReadonlyArray<OutboxEntry>): void {
    if (entries.length === 0) return;
    // a savepoint when nested in the group commit: a failing insert takes none of its siblings
    this.#c.transaction(() => {
      for (const part of chunks(entries)) {
        this.#c.run(
          insertEntries(part.length),
          part.flatMap((e) => [e.id, e.target, e.targetId, e.accountId, e.kind, e.payload, e.createdAt, e.expiresAt, e.attempts, e.nextAttemptAt]),
        );
      }
    });
    this.#c.committed(entries);
  }
  async enqueue(entries: OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#c.write(() => this.#insertEntries(entries));
  }
  enqueueBatchOnce(gate: SeenId, items: ReadonlyArray<{ seen: SeenId; entries: OutboxEntry[] }>): Promise<boolean[] | null> {
    return this.#c.write(() =>
      this.#c.transaction(() => {
        if (!this.#rememberNow(gate.scope, gate.id, gate.expiresAt)) return null;
        return items.map((it) => {
          if (!this.#rememberNow(it.seen.scope, it.seen.id, it.seen.expiresAt)) return false;
          this.#insertEntries(it.entries);
          return true;
        });
      }),
    );
  }
  enqueueKnockOnce(login: KnockLogin, seen: SeenId, entries: OutboxEntry[]): Promise<KnockWrite> {
    return this.#c.write(() =>
      this.#c.transaction((): KnockWrite => {
        // the login checked inside the write: nothing stored for a revoked or expired token
        if (!this.#c.get('SELECT 1 AS ok FROM auth_tokens WHERE hash = ? AND expires_at > ?', [login.tokenHash, login.now])) return 'unauthorized';
        if (!this.#rememberNow(seen.scope, seen.id, seen.expiresAt)) return 'replay';
        this.#insertEntries(entries);
        return 'stored';
      }),
    );
  }
  enqueueOnce(seen: SeenId, entries: OutboxEntry[]): Promise<boolean> {
    return this.#c.write(() =>
      this.#c.transaction(() => {
        if (!this.#rememberNow(seen.scope, seen.id, seen.expiresAt)) return false;
        this.#insertEntries(entries);
        return true;
      }),
    );
  }
  pendingForDevice(deviceId: string, now: number, limit: number): OutboxEntry[] {
    return this.#c
      .all("SELECT * FROM outbox WHERE target = 'device' AND target_id = ? AND expires_at > ? ORDER BY created_at, id LIMIT ?", [deviceId, now, limit])
      .map(toEntry);
  }
  #ack(deviceId: string, entryId: string): boolean {
    return this.#c.run("DELETE FROM outbox WHERE id = ? AND target = 'device' AND target_id = ?", [entryId, deviceId]) === 1;
  }
  ackDelivery(deviceId: string, entryId: string): Promise<boolean> {
    return this.#c.write(() => this.#ack(deviceId, entryId));
  }
  async ackDeliveries(acks: ReadonlyArray<{ deviceId: string; entryId: string }>): Promise<boolean[]> {
    if (acks.length === 0) return [];
    return this.#c.write(() => {
      // an entry is removed only by its own device: the pair (id, device) is matched
      const removed = new Set<string>();
      for (const part of chunks(acks)) {
        const sql = `DELETE FROM outbox WHERE target = 'device' AND (id, target_id) IN (VALUES ${marks(part.length, '(?, ?)')}) RETURNING id, target_id`;
        for (const r of this.#c.all(
          sql,
          part.flatMap((a) => [a.entryId, a.deviceId]),
        ))
          removed.add(`${String(r.id)} ${String(r.target_id)}`);
      }
      // as one delete after another: the first of repeated acks removed the entry, not the others
      return acks.map((a) => removed.delete(`${a.entryId} ${a.deviceId}`));
    });
  }
  claimDue(kinds: ReadonlyArray<OutboxEntry['kind']>, now: number, leaseMs: number, limit: number): Promise<OutboxEntry[]> {
    if (kinds.length === 0) return Promise.resolve([]);
    const marks = kinds.map(() => '?').join(', ');
    return this.#c.write(() =>
      this.#c.transaction(() => {
        const rows = this.#c
          .all(`SELECT * FROM outbox WHERE kind IN (${marks}) AND next_attempt_at <= ? AND expires_at > ? ORDER BY next_attempt_at LIMIT ?`, [
            ...kinds,
            now,
            now,
            limit,
          ])
          .map(toEntry);
        for (const r of rows) this.#c.run('UPDATE outbox SET next_attempt_at = ? WHERE id = ?', [now + leaseMs, r.id]);
        return rows;
      }),
    );
  }
  async releaseLeases(now: number): Promise<void> {
    await this.#c.write(() => this.#c.run("UPDATE outbox SET next_attempt_at = ? WHERE kind <> 'desktop' AND next_attempt_at > ?", [now, now]));
  }
  async reschedule(id: string, attempts: number, nextAttemptAt: number): Promise<void> {
    await this.#c.write(() => this.#c.run('UPDATE outbox SET attempts = ?, next_attempt_at = ? WHERE id = ?', [attempts, nextAttemptAt, id]));
  }
  async removeEntry(id: string): Promise<void> {
    await this.#c.write(() => this.#c.run('DELETE FROM outbox WHERE id = ?', [id]));
  }
  async removeEntries(ids: ReadonlyArray<string>): Promise<void> {
    if (ids.length === 0) return;
    await this.#c.write(() => {
      for (const part of chunks(ids)) this.#c.run(`DELETE FROM outbox WHERE id IN (${marks(part.length, '?')})`, part);
    });
  }
  purgeExpired(now: number): Promise<number> {
    return this.#c.write(() =>
      this.#c.transaction(() => {
        const n = this.#c.run('DELETE FROM outbox WHERE expires_at <= ?', [now]);
        this.#c.run('DELETE FROM seen_ids WHERE expires_at <= ?', [now]);
        this.#c.run('DELETE FROM auth_tokens WHERE expires_at <= ?', [now]);
        return n;
      }),
    );
  }
  countQueued(): number {
    return num(this.#c.get('SELECT count(*) AS n FROM outbox')?.n ?? 0);
  }

  #rememberNow(scope: string, id: string, expiresAt: number): boolean {
    return this.#c.run('INSERT INTO seen_ids (scope, id, expires_at) VALUES (?, ?, ?) ON CONFLICT (scope, id) DO NOTHING', [scope, id, expiresAt]) === 1;
  }
  rememberOnce(scope: string, id: string, expiresAt: number): Promise<boolean> {
    return this.#c.write(() => this.#rememberNow(scope, id, expiresAt));
  }
}
