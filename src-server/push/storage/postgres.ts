// PostgreSQL storage (docs/architecture.md §4: "PostgreSQL is the engine for running several replicas of a
// server"). Every replica connects to the same database by connection string. New queue entries
// are announced with NOTIFY in the inserting transaction (delivered at commit), and each replica
// LISTENs, so a desktop device connected to any replica hears of what any replica accepted.
// A NOTIFY payload starts with the sending instance's id: the sender has already announced its
// own entries in-process, with the entries themselves (no read back), and skips its echo.
// Queue claiming uses FOR UPDATE SKIP LOCKED so two replicas never hand one entry to two workers.
// Statements per knock (issue 17, round four): the knock path's calls of one turn share one
// statement (postgres-batch.ts): enqueueOnce, devicesByName, accountByAuthToken; a batched
// relay is one statement; the hot statements are named (parsed and planned once per connection).
import pg from 'pg';
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { announceQueued } from './announce';
import type {
  AccountRow,
  DevicePatch,
  DeviceRow,
  FanOutItem,
  FanOutResult,
  FanOutShape,
  KnockLogin,
  KnockWrite,
  NewDevice,
  OutboxEntry,
  PeerRow,
  PushStorage,
  QueuedListener,
  SeenId,
  WhitelistTokenRow,
} from './types';
import { DEVICES_BY_NAME_SQL, INSERT_TOKEN_SQL, OUTBOX_COLUMNS, numbered, schemaSql } from './schema';
import { toAccount, toDevice, toEntry, toPeer, toToken, tokenParams } from './rows';
import { CHANNEL, FAN_OUT_ONCE_SQL, TurnBatch, fanOutParams, fanOutResults, freshFlags, insertOnceSql, onceParams, type OnceItem } from './postgres-batch';
import type { DeviceKind } from '../../../src-shared/push/wire';

type Param = string | number | boolean | null;

const INSERT_TOKEN = numbered(INSERT_TOKEN_SQL);
/** the devices of several push names at once (devicesByName's calls of one turn) */
const DEVICES_BY_NAMES = DEVICES_BY_NAME_SQL.replace('SELECT d.*', 'SELECT a.push_name AS by_name, d.*').replace(
  'a.push_name = ?',
  'a.push_name = ANY($1::text[])',
);
/** the accounts of several login tokens at once, each checked against its own `now` */
const ACCOUNTS_BY_TOKENS = `SELECT q.i AS by_index, a.* FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS q(hash, now, i)
  JOIN auth_tokens t ON t.hash = q.hash AND t.expires_at > q.now JOIN accounts a ON a.id = t.account_id`;
const INSERT_ONCE = insertOnceSql('plain');
const INSERT_BATCH_ONCE = insertOnceSql('gated');
const INSERT_KNOCK_ONCE = insertOnceSql('login');

export class PostgresStorage implements PushStorage {
  readonly engine = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #listener: pg.Client;
  readonly #events = new EventEmitter();
  /** tags this process's NOTIFY payloads (see the header) */
  readonly #instance = randomBytes(12).toString('base64url');
  #closed = false;
  /** calls of one turn that share a statement (postgres-batch.ts) */
  readonly #once = new TurnBatch<OnceItem, boolean>((items) => this.#insertOnce(items));
  readonly #knocks = new TurnBatch<OnceItem & { login: KnockLogin }, KnockWrite>((items) => this.#insertKnocks(items));
  readonly #devicesByName = new TurnBatch<string, DeviceRow[]>((names) => this.#devicesByNames(names));
  readonly #byToken = new TurnBatch<{ hash: string; now: number }, AccountRow | null>((qs) => this.#accountsByTokens(qs));

  private constructor(pool: pg.Pool, listener: pg.Client) {
    this.#pool = pool;
    this.#listener = listener;
    this.#events.setMaxListeners(0);
  }

  static async open(connectionString: string): Promise<PostgresStorage> {
    const pool = new pg.Pool({ connectionString, max: 10 });
    // Schema creation may race between replicas starting together: serialise on an advisory lock.
    const c = await pool.connect();
    try {
      await c.query('SELECT pg_advisory_lock(74201)');
      await c.query(schemaSql('postgres'));
      await c.query('SELECT pg_advisory_unlock(74201)');
    } finally {
      c.release();
    }
    const listener = new pg.Client({ connectionString });
    await listener.connect();
    const s = new PostgresStorage(pool, listener);
    listener.on('notification', (n) => {
      if (n.channel !== CHANNEL || !n.payload) return;
      // "<instance> <id>,<id>…"; a payload without an instance tag (an older replica) counts as
      // another replica's
      const space = n.payload.indexOf(' ');
      if (space >= 0 && n.payload.slice(0, space) === s.#instance) return;
      s.#events.emit(
        'queued',
        n.payload
          .slice(space + 1)
          .split(',')
          .filter(Boolean),
      );
    });
    // A lost listener connection would silently stop wake-ups; the desktop channel also polls,
    // but report it so the operator sees it.
    listener.on('error', (e) => {
      if (!s.#closed) console.error(JSON.stringify({ level: 'error', msg: 'postgres listener failed', error: e.message }));
    });
    pool.on('error', (e) => console.error(JSON.stringify({ level: 'error', msg: 'postgres pool error', error: e.message })));
    await listener.query(`LISTEN ${CHANNEL}`);
    return s;
  }

  async #q(sql: string, params: Param[] = []): Promise<pg.QueryResult<Record<string, unknown>>> {
    return this.#pool.query(sql, params);
  }
  /** a statement the backend parses and plans once per connection (the hot path's) */
  async #named(name: string, text: string, values: Param[]): Promise<pg.QueryResult<Record<string, unknown>>> {
    return this.#pool.query({ name, text, values });
  }
  async #tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.#pool.connect();
    try {
      await c.query('BEGIN');
      const r = await fn(c);
      await c.query('COMMIT');
      return r;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#events.removeAllListeners();
    await this.#listener.end().catch(() => undefined);
    await this.#pool.end();
  }

  async createAccount(a: AccountRow): Promise<boolean> {
    const r = await this.#q(
      'INSERT INTO accounts (id, push_name, password_hash, email, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (push_name) DO NOTHING',
      [a.id, a.pushName, a.passwordHash, a.email, a.createdAt],
    );
    return r.rowCount === 1;
  }
  async accountByName(pushName: string): Promise<AccountRow | null> {
    const r = await this.#q('SELECT * FROM accounts WHERE push_name = $1', [pushName]);
    return r.rows[0] ? toAccount(r.rows[0]) : null;
  }
  async accountById(id: string): Promise<AccountRow | null> {
    const r = await this.#q('SELECT * FROM accounts WHERE id = $1', [id]);
    return r.rows[0] ? toAccount(r.rows[0]) : null;
  }
  async deleteAccount(id: string): Promise<void> {
    await this.#tx(async (c) => {
      await c.query('DELETE FROM outbox WHERE account_id = $1', [id]);
      await c.query('DELETE FROM accounts WHERE id = $1', [id]);
    });
  }

  async putAuthToken(hash: string, accountId: string, createdAt: number, expiresAt: number): Promise<void> {
    await this.#q('INSERT INTO auth_tokens (hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)', [hash, accountId, createdAt, expiresAt]);
  }
  accountByAuthToken(hash: string, now: number): Promise<AccountRow | null> {
    // every authenticated request: the requests of one turn share one read
    return this.#byToken.add({ hash, now });
  }
  async #accountsByTokens(qs: Array<{ hash: string; now: number }>): Promise<Array<AccountRow | null>> {
    const r = await this.#named('accounts_by_tokens', ACCOUNTS_BY_TOKENS, [qs.map((q) => q.hash), qs.map((q) => q.now)] as unknown as Param[]);
    // by position: one token may be asked twice in a turn, at different times
    const found = new Map(r.rows.map((x) => [Number(x.by_index) - 1, toAccount(x)]));
    return qs.map((_, i) => found.get(i) ?? null);
  }
  async deleteAuthToken(hash: string): Promise<void> {
    await this.#q('DELETE FROM auth_tokens WHERE hash = $1', [hash]);
  }

  /** Locks the account row for the rest of the transaction: requests of one account that
   * count and insert (device and token caps) run one after another, on every replica. At READ
   * COMMITTED two transactions would otherwise both count 49 and both insert. */
  async #lockAccount(c: pg.PoolClient, accountId: string): Promise<void> {
    await c.query('SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE', [accountId]);
  }

  createDevice(d: NewDevice, max: number): Promise<boolean> {
    return this.#tx(async (c) => {
      await this.#lockAccount(c, d.accountId);
      const n = await c.query('SELECT count(*) AS n FROM devices WHERE account_id = $1', [d.accountId]);
      if (Number(n.rows[0]?.n) >= max) return false;
      await c.query(
        'INSERT INTO devices (id, account_id, kind, registration_id, channel_hash, name, device_id, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
        [d.id, d.accountId, d.kind, d.registrationId, d.channelHash, d.name, d.deviceId, d.active, d.createdAt],
      );
      return true;
    });
  }
  async devices(accountId: string, kind?: DeviceKind): Promise<DeviceRow[]> {
    const r = kind
      ? await this.#q('SELECT * FROM devices WHERE account_id = $1 AND kind = $2 ORDER BY created_at, id', [accountId, kind])
      : await this.#q('SELECT * FROM devices WHERE account_id = $1 ORDER BY created_at, id', [accountId]);
    return r.rows.map(toDevice);
  }
  devicesByName(pushName: string): Promise<ReadonlyArray<DeviceRow>> {
    // one join instead of the account's and then its devices' reads, shared by the calls of one
    // turn (the knocks of one relayed batch) (issue 17)
    return this.#devicesByName.add(pushName);
  }
  async #devicesByNames(names: string[]): Promise<DeviceRow[][]> {
    const r = await this.#named('devices_by_names', DEVICES_BY_NAMES, [names] as unknown as Param[]);
    const by = new Map<string, DeviceRow[]>();
    for (const x of r.rows) {
      const name = String(x.by_name);
      let list = by.get(name);
      if (!list) by.set(name, (list = []));
      list.push(toDevice(x));
    }
    // a fresh array per call: callers of one name must not share one
    return names.map((n) => [...(by.get(n) ?? [])]);
  }
  async device(id: string): Promise<DeviceRow | null> {
    const r = await this.#q('SELECT * FROM devices WHERE id = $1', [id]);
    return r.rows[0] ? toDevice(r.rows[0]) : null;
  }
  async deviceByChannelHash(hash: string): Promise<DeviceRow | null> {
    if (!hash) return null;
    const r = await this.#q("SELECT * FROM devices WHERE channel_hash = $1 AND kind = 'desktop'", [hash]);
    return r.rows[0] ? toDevice(r.rows[0]) : null;
  }
  async updateDevice(id: string, p: DevicePatch): Promise<void> {
    await this.#q(
      `UPDATE devices SET registration_id = COALESCE($2, registration_id), name = COALESCE($3, name),
         device_id = COALESCE($4, device_id), active = COALESCE($5, active) WHERE id = $1`,
      [id, p.registrationId ?? null, p.name ?? null, p.deviceId ?? null, p.active ?? null],
    );
  }
  async deleteDevice(id: string): Promise<void> {
    await this.#tx(async (c) => {
      await c.query("DELETE FROM outbox WHERE target = 'device' AND target_id = $1", [id]);
      await c.query('DELETE FROM devices WHERE id = $1', [id]);
    });
  }

  createWhitelistToken(t: WhitelistTokenRow, max: number): Promise<boolean> {
    return this.#tx(async (c) => {
      await this.#lockAccount(c, t.accountId);
      const n = await c.query('SELECT count(*) AS n FROM whitelist_tokens WHERE account_id = $1', [t.accountId]);
      if (Number(n.rows[0]?.n) >= max) return false;
      await c.query(INSERT_TOKEN, tokenParams(t));
      return true;
    });
  }
  async whitelistTokens(accountId: string): Promise<WhitelistTokenRow[]> {
    return (await this.#q('SELECT * FROM whitelist_tokens WHERE account_id = $1 ORDER BY created_at, id', [accountId])).rows.map(toToken);
  }
  async whitelistTokenByHash(hash: string): Promise<WhitelistTokenRow | null> {
    const r = await this.#q('SELECT * FROM whitelist_tokens WHERE hash = $1', [hash]);
    return r.rows[0] ? toToken(r.rows[0]) : null;
  }
  async deleteWhitelistToken(id: string): Promise<void> {
    await this.#q('DELETE FROM whitelist_tokens WHERE id = $1', [id]);
  }

  /** the NOTIFY payloads announcing new entries for these device ids (payloads are limited to
   * 8000 bytes: 100 ids at most each), tagged with this instance */
  #notifications(entries: ReadonlyArray<OutboxEntry>): string[] {
    const ids = [...new Set(entries.filter((e) => e.target === 'device').map((e) => e.targetId))];
    const out: string[] = [];
    for (let i = 0; i < ids.length; i += 100) out.push(`${this.#instance} ${ids.slice(i, i + 100).join(',')}`);
    return out;
  }
  /** in-process announcement of committed entries (this replica skips its own NOTIFY echo) */
  #announce(entries: ReadonlyArray<OutboxEntry>): void {
    announceQueued(this.#events, entries);
  }

  /** Inserts the entries and notifies the other replicas in one statement (one round trip, one
   * implicit transaction). $1..$10: the entries' columns; $11: the NOTIFY payloads. */
  async #insert(entries: ReadonlyArray<OutboxEntry>): Promise<void> {
    const col = <K extends keyof OutboxEntry>(k: K) => entries.map((e) => e[k]);
    // pg serialises JS arrays as Postgres array literals
    const params = [
      col('id'),
      col('target'),
      col('targetId'),
      col('accountId'),
      col('kind'),
      col('payload'),
      col('createdAt'),
      col('expiresAt'),
      col('attempts'),
      col('nextAttemptAt'),
      this.#notifications(entries),
    ] as unknown as Param[];
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
    const { params, first } = onceParams(items, this.#instance);
    const r = await this.#named('insert_once', INSERT_ONCE, params);
    const flags = freshFlags(items, first, r.rows[0]);
    this.#announce(items.flatMap((it, i) => (flags[i] ? it.entries : [])));
    return flags;
  }
  async enqueueBatchOnce(gate: SeenId, items: ReadonlyArray<{ seen: SeenId; entries: OutboxEntry[] }>): Promise<boolean[] | null> {
    // the gate, the items' ids and their entries in one statement (was five round trips)
    const { params, first } = onceParams(items, this.#instance, { gate });
    const r = await this.#named('insert_batch_once', INSERT_BATCH_ONCE, params);
    if (Number(r.rows[0]?.gate) !== 1) return null;
    const flags = freshFlags(items, first, r.rows[0]);
    this.#announce(items.flatMap((it, i) => (flags[i] ? it.entries : [])));
    return flags;
  }
  async enqueueFanOutOnce(gate: SeenId, items: ReadonlyArray<FanOutItem>, shape: FanOutShape): Promise<FanOutResult[] | null> {
    const { params, used } = fanOutParams(gate, items, shape, this.#instance);
    const r = await this.#named('fan_out_once', FAN_OUT_ONCE_SQL, params);
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
    const { params, first } = onceParams(items, this.#instance, { logins: items.map((it) => it.login) });
    const r = await this.#named('insert_knock_once', INSERT_KNOCK_ONCE, params);
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
    const r = await this.#named(
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
    const r = await this.#named(
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
    await this.#named('remove_entries', 'DELETE FROM outbox WHERE id = ANY($1::text[])', [ids as unknown as string]);
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

  async upsertPeer(p: { endpoint: string; publicKey: string; inbound?: boolean; outbound?: boolean; now: number }): Promise<void> {
    await this.#q(
      `INSERT INTO peers (endpoint, public_key, inbound, outbound, updated_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (endpoint) DO UPDATE SET public_key = excluded.public_key,
         inbound = peers.inbound OR excluded.inbound, outbound = peers.outbound OR excluded.outbound,
         updated_at = excluded.updated_at`,
      [p.endpoint, p.publicKey, p.inbound ?? false, p.outbound ?? false, p.now],
    );
  }
  async peer(endpoint: string): Promise<PeerRow | null> {
    const r = await this.#q('SELECT * FROM peers WHERE endpoint = $1', [endpoint]);
    return r.rows[0] ? toPeer(r.rows[0]) : null;
  }

  async getMeta(key: string): Promise<string | null> {
    const r = await this.#q('SELECT value FROM meta WHERE key = $1', [key]);
    return r.rows[0] ? String(r.rows[0].value) : null;
  }
  async setMetaOnce(key: string, value: string): Promise<string> {
    await this.#q('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, value]);
    return (await this.getMeta(key)) ?? value;
  }

  onQueued(listener: QueuedListener): () => void {
    this.#events.on('queued', listener);
    return () => this.#events.off('queued', listener);
  }
}
