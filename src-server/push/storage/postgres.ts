// PostgreSQL storage (docs/architecture.md §4: "PostgreSQL is the engine for running several replicas of a
// server"). Every replica connects to the same database by connection string. New queue entries
// are announced with NOTIFY in the inserting transaction (delivered at commit), and each replica
// LISTENs, so a desktop device connected to any replica hears of what any replica accepted.
// A NOTIFY payload starts with the sending instance's id: the sender has already announced its
// own entries in-process, with the entries themselves (no read back), and skips its echo.
// Queue claiming uses FOR UPDATE SKIP LOCKED so two replicas never hand one entry to two workers.
// The queue and the replay ids are in postgres-queue.ts (PgQueue, which this class extends).
// Statements per knock (issue 17, round four): the knock path's calls of one turn share one
// statement (postgres-batch.ts): the knocks' writes (enqueueKnockOnce, enqueueOnce), devicesByName,
// accountByAuthToken; a relay is one statement (enqueueFanOutOnce); the hot statements are named
// (parsed and planned once per connection).
import pg from 'pg';
import type { AccountRow, DevicePatch, DeviceRow, NewDevice, PeerRow, PushStorage, QueuedListener, WhitelistTokenRow } from './types';
import { DEVICES_BY_NAME_SQL, INSERT_TOKEN_SQL, numbered, schemaSql } from './schema';
import { toAccount, toDevice, toPeer, toToken, tokenParams } from './rows';
import { CHANNEL, TurnBatch } from './postgres-batch';
import { PgQueue } from './postgres-queue';
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

/** the queue and replay ids are PgQueue's (postgres-queue.ts); accounts, devices, tokens, peers
 * and settings are here */
export class PostgresStorage extends PgQueue implements PushStorage {
  readonly engine = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #listener: pg.Client;
  #closed = false;
  /** calls of one turn that share a statement (postgres-batch.ts) */
  readonly #devicesByName = new TurnBatch<string, DeviceRow[]>((names) => this.#devicesByNames(names));
  readonly #byToken = new TurnBatch<{ hash: string; now: number }, AccountRow | null>((qs) => this.#accountsByTokens(qs));

  private constructor(pool: pg.Pool, listener: pg.Client) {
    super(pool);
    this.#pool = pool;
    this.#listener = listener;
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
      if (space >= 0 && n.payload.slice(0, space) === s.instance) return;
      s.events.emit(
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
    this.events.removeAllListeners();
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
    const r = await this.named('accounts_by_tokens', ACCOUNTS_BY_TOKENS, [qs.map((q) => q.hash), qs.map((q) => q.now)] as unknown as Param[]);
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
    const r = await this.named('devices_by_names', DEVICES_BY_NAMES, [names] as unknown as Param[]);
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
    this.events.on('queued', listener);
    return () => this.events.off('queued', listener);
  }
}
