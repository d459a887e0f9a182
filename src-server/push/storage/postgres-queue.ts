// The queue and the replay ids of PostgresStorage (postgres.ts), which extends this class: the
// outbox, NOTIFY to the other replicas, and the turn-batched and one-statement writes of the knock
// path (postgres-batch.ts; issue 17, round four).
import pg from 'pg';
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { announceQueued } from './announce';
import type { FanOutItem, FanOutResult, FanOutShape, KnockLogin, KnockWrite, OutboxEntry, SeenId } from './types';
import { OUTBOX_COLUMNS } from './schema';
import { toEntry } from './rows';
import {
  CHANNEL,
  FAN_OUT_ONCE_SQL,
  TurnBatch,
  fanOutParams,
  fanOutResults,
  freshFlags,
  insertOnceSql,
  onceParams,
  outboxColumnArrays,
  type OnceItem,
} from './postgres-batch';

type Param = string | number | boolean | null;

const INSERT_ONCE = insertOnceSql('plain');
const INSERT_BATCH_ONCE = insertOnceSql('gated');
const INSERT_KNOCK_ONCE = insertOnceSql('login');

export class PgQueue {
  readonly #pool: pg.Pool;
  /** 'queued' wake-ups (onQueued in postgres.ts) */
  protected readonly events = new EventEmitter();
  /** tags this process's NOTIFY payloads (postgres.ts header) */
  protected readonly instance = randomBytes(12).toString('base64url');
  /** calls of one turn that share a statement (postgres-batch.ts) */
  readonly #once = new TurnBatch<OnceItem, boolean>((items) => this.#insertOnce(items));
  readonly #knocks = new TurnBatch<OnceItem & { login: KnockLogin }, KnockWrite>((items) => this.#insertKnocks(items));

  protected constructor(pool: pg.Pool) {
    this.#pool = pool;
    this.events.setMaxListeners(0);
  }

  async #q(sql: string, params: Param[] = []): Promise<pg.QueryResult<Record<string, unknown>>> {
    return this.#pool.query(sql, params);
  }
  /** a statement the backend parses and plans once per connection (the hot path's) */
  protected async named(name: string, text: string, values: Param[]): Promise<pg.QueryResult<Record<string, unknown>>> {
    return this.#pool.query({ name, text, values });
  }

  /** the NOTIFY payloads announcing new entries for these device ids (payloads are limited to
   * 8000 bytes: 100 ids at most each), tagged with this instance */
  #notifications(entries: ReadonlyArray<OutboxEntry>): string[] {
    const ids = [...new Set(entries.filter((e) => e.target === 'device').map((e) => e.targetId))];
    const out: string[] = [];
    for (let i = 0; i < ids.length; i += 100) out.push(`${this.instance} ${ids.slice(i, i + 100).join(',')}`);
    return out;
  }
  /** in-process announcement of committed entries (this replica skips its own NOTIFY echo) */
  #announce(entries: ReadonlyArray<OutboxEntry>): void {
    announceQueued(this.events, entries);
  }

  /** Inserts the entries and notifies the other replicas in one statement (one round trip, one
   * implicit transaction). $1..$10: the entries' columns; $11: the NOTIFY payloads. */
  async #insert(entries: ReadonlyArray<OutboxEntry>): Promise<void> {
    // pg serialises JS arrays as Postgres array literals
    const params = [...outboxColumnArrays(entries), this.#notifications(entries)] as unknown as Param[];
    const rows = `SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::int[], $10::bigint[])`;
    await this.#q(`WITH ins AS (INSERT INTO outbox (${OUTBOX_COLUMNS}) ${rows}) SELECT pg_notify('${CHANNEL}', p) FROM unnest($11::text[]) AS p`, params);
  }
  async enqueue(entries: OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#insert(entries);
    this.#announce(entries);
  }
  /** the enqueueOnce calls of one turn: one statement (postgres-batch.ts) */
  async #insertOnce(items: OnceItem[]): Promise<boolean[]> {
    const { params, first } = onceParams(items, this.instance);
    const r = await this.named('insert_once', INSERT_ONCE, params);
    const flags = freshFlags(items, first, r.rows[0]);
    this.#announce(items.flatMap((it, i) => (flags[i] ? it.entries : [])));
    return flags;
  }
  async enqueueBatchOnce(gate: SeenId, items: ReadonlyArray<{ seen: SeenId; entries: OutboxEntry[] }>): Promise<boolean[] | null> {
    // the gate, the items' ids and their entries in one statement (was five round trips)
    const { params, first } = onceParams(items, this.instance, { gate });
    const r = await this.named('insert_batch_once', INSERT_BATCH_ONCE, params);
    if (Number(r.rows[0]?.gate) !== 1) return null;
    const flags = freshFlags(items, first, r.rows[0]);
    this.#announce(items.flatMap((it, i) => (flags[i] ? it.entries : [])));
    return flags;
  }
  async enqueueFanOutOnce(gate: SeenId, items: ReadonlyArray<FanOutItem>, shape: FanOutShape): Promise<FanOutResult[] | null> {
    const { params, used } = fanOutParams(gate, items, shape, this.instance);
    const r = await this.named('fan_out_once', FAN_OUT_ONCE_SQL, params);
    const results = fanOutResults(items, used, shape, r.rows[0]);
    if (results) this.#announce(results.flatMap((x) => x.entries));
    return results;
  }
  enqueueKnockOnce(login: KnockLogin, seen: SeenId, entries: OutboxEntry[]): Promise<KnockWrite> {
    return this.#knocks.add({ login, seen, entries });
  }
  /** the enqueueKnockOnce calls of one turn: one statement, each knock under its own login */
  async #insertKnocks(items: Array<OnceItem & { login: KnockLogin }>): Promise<KnockWrite[]> {
    const keys = new Set(items.map((it) => `${it.seen.scope}\n${it.seen.id}`));
    if (keys.size < items.length && items.length > 1) {
      // one id twice (rare): one after another, so that each sees the one before it
      const out: KnockWrite[] = [];
      for (const it of items) out.push((await this.#insertKnocks([it]))[0]!);
      return out;
    }
    const { params, first } = onceParams(items, this.instance, { logins: items.map((it) => it.login) });
    const r = await this.named('insert_knock_once', INSERT_KNOCK_ONCE, params);
    const row = r.rows[0];
    const okScopes = (row?.ok_scopes ?? []) as string[];
    const okIds = (row?.ok_ids ?? []) as string[];
    const ok = new Set(okScopes.map((sc, i) => `${sc}\n${okIds[i]!}`));
    const flags = freshFlags(items, first, row);
    this.#announce(items.flatMap((it, i) => (flags[i] ? it.entries : [])));
    return items.map((it, i) => (flags[i] ? 'stored' : ok.has(`${it.seen.scope}\n${it.seen.id}`) ? 'replay' : 'unauthorized'));
  }
  enqueueOnce(seen: SeenId, entries: OutboxEntry[]): Promise<boolean> {
    return this.#once.add({ seen, entries });
  }
  async pendingForDevice(deviceId: string, now: number, limit: number): Promise<OutboxEntry[]> {
    const r = await this.named(
      'pending',
      "SELECT * FROM outbox WHERE target = 'device' AND target_id = $1 AND expires_at > $2 ORDER BY created_at, id LIMIT $3",
      [deviceId, now, limit],
    );
    return r.rows.map(toEntry);
  }
  async ackDelivery(deviceId: string, entryId: string): Promise<boolean> {
    const r = await this.#q("DELETE FROM outbox WHERE id = $1 AND target = 'device' AND target_id = $2", [entryId, deviceId]);
    return r.rowCount === 1;
  }
  async ackDeliveries(acks: ReadonlyArray<{ deviceId: string; entryId: string }>): Promise<boolean[]> {
    if (acks.length === 0) return [];
    const r = await this.named(
      'ack_deliveries',
      `DELETE FROM outbox o USING unnest($1::text[], $2::text[]) AS a(id, device)
       WHERE o.id = a.id AND o.target = 'device' AND o.target_id = a.device RETURNING o.id, o.target_id`,
      [acks.map((a) => a.entryId), acks.map((a) => a.deviceId)] as unknown as Param[],
    );
    const gone = new Set(r.rows.map((x) => `${String(x.target_id)} ${String(x.id)}`));
    // an entry acknowledged twice in one batch was removed once: only its first ack says so
    return acks.map((a) => gone.delete(`${a.deviceId} ${a.entryId}`));
  }
  async claimDue(kinds: ReadonlyArray<OutboxEntry['kind']>, now: number, leaseMs: number, limit: number): Promise<OutboxEntry[]> {
    if (kinds.length === 0) return [];
    const r = await this.#q(
      `UPDATE outbox SET next_attempt_at = $3 WHERE id IN (
         SELECT id FROM outbox WHERE kind = ANY($1::text[]) AND next_attempt_at <= $2 AND expires_at > $2
         ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      // pg serialises a JS array as a Postgres array literal
      [kinds as unknown as string, now, now + leaseMs, limit],
    );
    // RETURNING shows the new lease time; callers want the attempt count and payload only.
    return r.rows.map(toEntry);
  }
  async releaseLeases(now: number): Promise<void> {
    // Other replicas may hold leases: they expire by themselves (WorkerDeps.leaseMs).
    void now;
  }
  async reschedule(id: string, attempts: number, nextAttemptAt: number): Promise<void> {
    await this.#q('UPDATE outbox SET attempts = $2, next_attempt_at = $3 WHERE id = $1', [id, attempts, nextAttemptAt]);
  }
  async removeEntry(id: string): Promise<void> {
    await this.#q('DELETE FROM outbox WHERE id = $1', [id]);
  }
  async removeEntries(ids: ReadonlyArray<string>): Promise<void> {
    if (ids.length === 0) return;
    await this.named('remove_entries', 'DELETE FROM outbox WHERE id = ANY($1::text[])', [ids as unknown as string]);
  }
  async purgeExpired(now: number): Promise<number> {
    const r = await this.#q('DELETE FROM outbox WHERE expires_at <= $1', [now]);
    await this.#q('DELETE FROM seen_ids WHERE expires_at <= $1', [now]);
    await this.#q('DELETE FROM auth_tokens WHERE expires_at <= $1', [now]);
    return r.rowCount ?? 0;
  }
  async countQueued(): Promise<number> {
    return Number((await this.#q('SELECT count(*) AS n FROM outbox')).rows[0]?.n ?? 0);
  }

  async rememberOnce(scope: string, id: string, expiresAt: number): Promise<boolean> {
    const r = await this.#q('INSERT INTO seen_ids (scope, id, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [scope, id, expiresAt]);
    return r.rowCount === 1;
  }
}
