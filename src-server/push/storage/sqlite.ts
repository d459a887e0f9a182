// Embedded storage: SQLite through @signalapp/sqlcipher used unencrypted (no key pragma), the
// default of docs/architecture.md §4 for servers. One process owns the file, in WAL mode. With
// synchronous=NORMAL (default) a committed knock survives a crash or SIGKILL of the process (the
// WAL is written before the answer is sent); synchronous=FULL also survives power loss, at one
// fsync per commit. Chosen with --sqlite-sync.
//
// Group commit: every write is queued and all writes issued in one turn of the event loop are
// committed together in one transaction (at setImmediate), and only then do their promises
// resolve. A commit costs ≈ 120 µs of WAL writing whatever it holds, against ≈ 20 µs per row
// inside a transaction (docs/performance.md, "Push"), and a relayed knock used to cost ten
// commits. Durability is unchanged: nothing is answered before its write is committed. Reads
// run at once; a caller that awaited its write reads it back.
//
// Checkpoints (copying the WAL into the database file, with an fsync of each under
// synchronous=NORMAL) would stall the event loop for milliseconds to tens of milliseconds once
// per thousand WAL pages, the fsyncs growing with what they flush. So a worker thread with its
// own connection copies the bulk; then the main connection checkpoints the few pages committed
// meanwhile (sub-millisecond fsyncs), which lets the next write start the WAL over. If the thread
// is unavailable, the main connection checkpoints everything itself, as SQLite would.
import { Database } from '@signalapp/sqlcipher';
import { EventEmitter, once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { announceQueued } from './announce';
import type { AccountRow, DevicePatch, DeviceRow, NewDevice, OutboxEntry, PeerRow, PushStorage, QueuedListener, SeenId, WhitelistTokenRow } from './types';
import type { DeviceKind } from '../../../src-shared/push/wire';
import { OUTBOX_COLUMNS, schemaSql } from './schema';
import { toAccount, toDevice, toEntry, toPeer, toToken, type DbRow } from './rows';

/** WAL pages after which a checkpoint is started (SQLite's own autocheckpoint default) */
const CHECKPOINT_PAGES = 1000;
/** a WAL this long when a checkpoint starts is checkpointed on the event loop: the thread has
 * fallen behind */
const CHECKPOINT_PAGES_MAX = 50_000;

/** the checkpoint thread: a real file next to this one */
const CHECKPOINTER = new URL('./checkpointer.worker.mjs', import.meta.url);

type Row = DbRow;

/** a write waiting for the next group commit */
interface PendingWrite {
  op: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

const INSERT_ENTRY = `INSERT INTO outbox (${OUTBOX_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const str = (v: unknown): string => (typeof v === 'string' ? v : v == null ? '' : String(v));
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

export class SqliteStorage implements PushStorage {
  readonly engine = 'sqlite' as const;
  readonly #db: Database;
  readonly #events = new EventEmitter();
  #pending: PendingWrite[] = [];
  #flushScheduled = false;
  /** entries committed by the current flush, announced to listeners after the commit */
  #committed: OutboxEntry[] = [];
  readonly #path: string;
  readonly #sync: 'normal' | 'full';
  #checkpointer: Worker | null = null;
  /** the thread failed: checkpoints run on the main connection */
  #checkpointerFailed = false;
  #checkpointing = false;
  #checkpointWaiters: Array<() => void> = [];
  #closed = false;

  constructor(path: string, sync: 'normal' | 'full' = 'normal') {
    this.#db = new Database(path, { cacheStatements: true });
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma(sync === 'full' ? 'synchronous = FULL' : 'synchronous = NORMAL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(schemaSql('sqlite'));
    this.#events.setMaxListeners(0);
    this.#path = path;
    this.#sync = sync;
    // replaces SQLite's autocheckpoint, which would run in the committing call
    this.#db.setWalHook((_name, pages) => this.#walGrew(pages));
  }

  #walGrew(pages: number): void {
    if (pages < CHECKPOINT_PAGES || this.#checkpointing || this.#closed) return;
    this.#startCheckpoint(pages >= CHECKPOINT_PAGES_MAX);
  }

  /** Copies the WAL into the database file now (the bulk on the checkpoint thread, where there
   * is one); resolves once done. Checkpoints otherwise start by themselves as the WAL grows. */
  checkpoint(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#closed) return resolve();
      this.#checkpointWaiters.push(resolve);
      if (!this.#checkpointing) this.#startCheckpoint(false);
    });
  }

  #startCheckpoint(onMainThread: boolean): void {
    this.#checkpointing = true;
    const worker = onMainThread || this.#checkpointerFailed ? null : this.#startCheckpointer();
    if (worker) {
      worker.postMessage('checkpoint');
      return;
    }
    // not inside the commit that called the WAL hook
    setImmediate(() => this.#finishCheckpoint());
  }

  /** The main connection's part: everything without the thread; after it, the tail committed
   * while the thread worked (small, sub-millisecond fsyncs), which completes the checkpoint so
   * that the next write starts the WAL over instead of growing it. */
  #finishCheckpoint(): void {
    try {
      if (!this.#closed) this.#db.pragma('wal_checkpoint(PASSIVE)');
    } catch (e) {
      console.error(JSON.stringify({ level: 'error', msg: 'sqlite checkpoint failed', error: (e as Error).message }));
    } finally {
      this.#checkpointing = false;
      for (const w of this.#checkpointWaiters.splice(0)) w();
    }
  }

  #startCheckpointer(): Worker | null {
    if (this.#checkpointer) return this.#checkpointer;
    try {
      const w = new Worker(CHECKPOINTER, { workerData: { file: this.#path, full: this.#sync === 'full' } });
      w.unref();
      w.on('message', (m: { error: string | null }) => {
        if (m.error) console.error(JSON.stringify({ level: 'error', msg: 'sqlite checkpoint failed', error: m.error }));
        this.#finishCheckpoint();
      });
      w.on('error', (e) => {
        console.error(JSON.stringify({ level: 'warn', msg: 'sqlite checkpoint thread failed; checkpointing on the main thread', error: e.message }));
        this.#checkpointerFailed = true;
        this.#checkpointer = null;
        this.#finishCheckpoint();
      });
      this.#checkpointer = w;
      return w;
    } catch (e) {
      console.error(JSON.stringify({ level: 'warn', msg: 'sqlite checkpoint thread unavailable', error: (e as Error).message }));
      this.#checkpointerFailed = true;
      return null;
    }
  }

  #run(sql: string, params: ReadonlyArray<string | number | null> = []): number {
    return this.#db.prepare(sql).run(params).changes;
  }
  #get(sql: string, params: ReadonlyArray<string | number | null> = []): Row | undefined {
    return this.#db.prepare(sql).get(params) as Row | undefined;
  }
  #all(sql: string, params: ReadonlyArray<string | number | null> = []): Row[] {
    return this.#db.prepare(sql).all(params) as Row[];
  }

  /** queues a write for the next group commit; resolves with its result once committed */
  #write<T>(op: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ op, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    let results: unknown[];
    try {
      results = this.#db.transaction(() => batch.map((w) => w.op()))();
    } catch {
      // One write failed and the whole transaction was rolled back: run each write alone, so that
      // only the failing one fails (none of them had any effect yet, and ops have no side
      // effects outside the database until the commit is announced below).
      this.#committed = [];
      for (const w of batch) {
        try {
          const r = this.#db.transaction(w.op)();
          this.#announce();
          w.resolve(r);
        } catch (e) {
          this.#committed = [];
          w.reject(e);
        }
      }
      return;
    }
    this.#announce();
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]);
  }

  /** tells listeners about the entries of the last commit (with the entries: same process) */
  #announce(): void {
    const entries = this.#committed;
    this.#committed = [];
    announceQueued(this.#events, entries);
  }

  async close(): Promise<void> {
    // commit what is queued before closing: those writes' callers are waiting for them
    this.#flush();
    this.#closed = true;
    for (const w of this.#checkpointWaiters.splice(0)) w();
    this.#events.removeAllListeners();
    const w = this.#checkpointer;
    this.#checkpointer = null;
    if (w) {
      const exited = once(w, 'exit');
      w.postMessage('close');
      await exited;
    }
    // the last connection to close checkpoints what is left and removes the WAL
    this.#db.close();
  }

  createAccount(a: AccountRow): Promise<boolean> {
    return this.#write(
      () =>
        this.#run('INSERT INTO accounts (id, push_name, password_hash, email, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (push_name) DO NOTHING', [
          a.id,
          a.pushName,
          a.passwordHash,
          a.email,
          a.createdAt,
        ]) === 1,
    );
  }
  async accountByName(pushName: string): Promise<AccountRow | null> {
    const r = this.#get('SELECT * FROM accounts WHERE push_name = ?', [pushName]);
    return r ? toAccount(r) : null;
  }
  async accountById(id: string): Promise<AccountRow | null> {
    const r = this.#get('SELECT * FROM accounts WHERE id = ?', [id]);
    return r ? toAccount(r) : null;
  }
  deleteAccount(id: string): Promise<void> {
    return this.#write(() =>
      this.#db.transaction(() => {
        this.#run('DELETE FROM outbox WHERE account_id = ?', [id]);
        // foreign keys cascade to auth tokens, devices and whitelist tokens
        this.#run('DELETE FROM accounts WHERE id = ?', [id]);
      })(),
    );
  }

  async putAuthToken(hash: string, accountId: string, createdAt: number, expiresAt: number): Promise<void> {
    await this.#write(() =>
      this.#run('INSERT INTO auth_tokens (hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)', [hash, accountId, createdAt, expiresAt]),
    );
  }
  async accountByAuthToken(hash: string, now: number): Promise<AccountRow | null> {
    const r = this.#get('SELECT a.* FROM auth_tokens t JOIN accounts a ON a.id = t.account_id WHERE t.hash = ? AND t.expires_at > ?', [hash, now]);
    return r ? toAccount(r) : null;
  }
  async deleteAuthToken(hash: string): Promise<void> {
    await this.#write(() => this.#run('DELETE FROM auth_tokens WHERE hash = ?', [hash]));
  }

  createDevice(d: NewDevice, max: number): Promise<boolean> {
    // counted inside the write: the group commit runs writes one after another in one
    // transaction, so each count sees the devices the writes before it added
    return this.#write(() => {
      if (num(this.#get('SELECT count(*) AS n FROM devices WHERE account_id = ?', [d.accountId])?.n) >= max) return false;
      this.#run(
        'INSERT INTO devices (id, account_id, kind, registration_id, channel_hash, name, device_id, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [d.id, d.accountId, d.kind, d.registrationId, d.channelHash, d.name, d.deviceId, d.active ? 1 : 0, d.createdAt],
      );
      return true;
    });
  }
  async devices(accountId: string, kind?: DeviceKind): Promise<DeviceRow[]> {
    const rows = kind
      ? this.#all('SELECT * FROM devices WHERE account_id = ? AND kind = ? ORDER BY created_at, id', [accountId, kind])
      : this.#all('SELECT * FROM devices WHERE account_id = ? ORDER BY created_at, id', [accountId]);
    return rows.map(toDevice);
  }
  async device(id: string): Promise<DeviceRow | null> {
    const r = this.#get('SELECT * FROM devices WHERE id = ?', [id]);
    return r ? toDevice(r) : null;
  }
  async deviceByChannelHash(hash: string): Promise<DeviceRow | null> {
    if (!hash) return null;
    const r = this.#get("SELECT * FROM devices WHERE channel_hash = ? AND kind = 'desktop'", [hash]);
    return r ? toDevice(r) : null;
  }
  async updateDevice(id: string, p: DevicePatch): Promise<void> {
    await this.#write(() => {
      this.#run(
        `UPDATE devices SET registration_id = coalesce(?, registration_id), name = coalesce(?, name),
           device_id = coalesce(?, device_id), active = coalesce(?, active) WHERE id = ?`,
        [p.registrationId ?? null, p.name ?? null, p.deviceId ?? null, p.active === undefined ? null : p.active ? 1 : 0, id],
      );
    });
  }
  deleteDevice(id: string): Promise<void> {
    return this.#write(() =>
      this.#db.transaction(() => {
        this.#run("DELETE FROM outbox WHERE target = 'device' AND target_id = ?", [id]);
        this.#run('DELETE FROM devices WHERE id = ?', [id]);
      })(),
    );
  }

  createWhitelistToken(t: WhitelistTokenRow, max: number): Promise<boolean> {
    return this.#write(() => {
      if (num(this.#get('SELECT count(*) AS n FROM whitelist_tokens WHERE account_id = ?', [t.accountId])?.n) >= max) return false;
      this.#run('INSERT INTO whitelist_tokens (id, hash, account_id, device_id, name, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        t.id,
        t.hash,
        t.accountId,
        t.deviceId,
        t.name,
        t.createdAt,
        t.expiresAt,
      ]);
      return true;
    });
  }
  async whitelistTokens(accountId: string): Promise<WhitelistTokenRow[]> {
    return this.#all('SELECT * FROM whitelist_tokens WHERE account_id = ? ORDER BY created_at, id', [accountId]).map(toToken);
  }
  async whitelistTokenByHash(hash: string): Promise<WhitelistTokenRow | null> {
    const r = this.#get('SELECT * FROM whitelist_tokens WHERE hash = ?', [hash]);
    return r ? toToken(r) : null;
  }
  async deleteWhitelistToken(id: string): Promise<void> {
    await this.#write(() => this.#run('DELETE FROM whitelist_tokens WHERE id = ?', [id]));
  }

  /** inserts entries (inside a write op); they are announced once committed */
  #insertEntries(entries: ReadonlyArray<OutboxEntry>): void {
    if (entries.length === 0) return;
    // a savepoint when nested in the group commit: a failing insert takes none of its siblings
    this.#db.transaction(() => {
      for (const e of entries) {
        this.#run(INSERT_ENTRY, [e.id, e.target, e.targetId, e.accountId, e.kind, e.payload, e.createdAt, e.expiresAt, e.attempts, e.nextAttemptAt]);
      }
    })();
    this.#committed.push(...entries);
  }
  async enqueue(entries: OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#write(() => this.#insertEntries(entries));
  }
  enqueueBatchOnce(gate: SeenId, items: ReadonlyArray<{ seen: SeenId; entries: OutboxEntry[] }>): Promise<boolean[] | null> {
    return this.#write(() =>
      this.#db.transaction(() => {
        if (!this.#rememberNow(gate.scope, gate.id, gate.expiresAt)) return null;
        return items.map((it) => {
          if (!this.#rememberNow(it.seen.scope, it.seen.id, it.seen.expiresAt)) return false;
          this.#insertEntries(it.entries);
          return true;
        });
      })(),
    );
  }
  enqueueOnce(seen: SeenId, entries: OutboxEntry[]): Promise<boolean> {
    return this.#write(() =>
      this.#db.transaction(() => {
        if (!this.#rememberNow(seen.scope, seen.id, seen.expiresAt)) return false;
        this.#insertEntries(entries);
        return true;
      })(),
    );
  }
  async pendingForDevice(deviceId: string, now: number, limit: number): Promise<OutboxEntry[]> {
    return this.#all("SELECT * FROM outbox WHERE target = 'device' AND target_id = ? AND expires_at > ? ORDER BY created_at, id LIMIT ?", [
      deviceId,
      now,
      limit,
    ]).map(toEntry);
  }
  #ack(deviceId: string, entryId: string): boolean {
    return this.#run("DELETE FROM outbox WHERE id = ? AND target = 'device' AND target_id = ?", [entryId, deviceId]) === 1;
  }
  ackDelivery(deviceId: string, entryId: string): Promise<boolean> {
    return this.#write(() => this.#ack(deviceId, entryId));
  }
  async ackDeliveries(acks: ReadonlyArray<{ deviceId: string; entryId: string }>): Promise<boolean[]> {
    if (acks.length === 0) return [];
    return this.#write(() => acks.map((a) => this.#ack(a.deviceId, a.entryId)));
  }
  claimDue(kinds: ReadonlyArray<OutboxEntry['kind']>, now: number, leaseMs: number, limit: number): Promise<OutboxEntry[]> {
    if (kinds.length === 0) return Promise.resolve([]);
    const marks = kinds.map(() => '?').join(', ');
    return this.#write(() =>
      this.#db.transaction(() => {
        const rows = this.#all(`SELECT * FROM outbox WHERE kind IN (${marks}) AND next_attempt_at <= ? AND expires_at > ? ORDER BY next_attempt_at LIMIT ?`, [
          ...kinds,
          now,
          now,
          limit,
        ]).map(toEntry);
        for (const r of rows) this.#run('UPDATE outbox SET next_attempt_at = ? WHERE id = ?', [now + leaseMs, r.id]);
        return rows;
      })(),
    );
  }
  async releaseLeases(now: number): Promise<void> {
    await this.#write(() => this.#run("UPDATE outbox SET next_attempt_at = ? WHERE kind <> 'desktop' AND next_attempt_at > ?", [now, now]));
  }
  async reschedule(id: string, attempts: number, nextAttemptAt: number): Promise<void> {
    await this.#write(() => this.#run('UPDATE outbox SET attempts = ?, next_attempt_at = ? WHERE id = ?', [attempts, nextAttemptAt, id]));
  }
  async removeEntry(id: string): Promise<void> {
    await this.#write(() => this.#run('DELETE FROM outbox WHERE id = ?', [id]));
  }
  async removeEntries(ids: ReadonlyArray<string>): Promise<void> {
    if (ids.length === 0) return;
    await this.#write(() => {
      for (const id of ids) this.#run('DELETE FROM outbox WHERE id = ?', [id]);
    });
  }
  purgeExpired(now: number): Promise<number> {
    return this.#write(() =>
      this.#db.transaction(() => {
        const n = this.#run('DELETE FROM outbox WHERE expires_at <= ?', [now]);
        this.#run('DELETE FROM seen_ids WHERE expires_at <= ?', [now]);
        this.#run('DELETE FROM auth_tokens WHERE expires_at <= ?', [now]);
        return n;
      })(),
    );
  }
  async countQueued(): Promise<number> {
    return num(this.#get('SELECT count(*) AS n FROM outbox')?.n ?? 0);
  }

  #rememberNow(scope: string, id: string, expiresAt: number): boolean {
    return this.#run('INSERT INTO seen_ids (scope, id, expires_at) VALUES (?, ?, ?) ON CONFLICT (scope, id) DO NOTHING', [scope, id, expiresAt]) === 1;
  }
  rememberOnce(scope: string, id: string, expiresAt: number): Promise<boolean> {
    return this.#write(() => this.#rememberNow(scope, id, expiresAt));
  }

  async upsertPeer(p: { endpoint: string; publicKey: string; inbound?: boolean; outbound?: boolean; now: number }): Promise<void> {
    await this.#write(() =>
      this.#run(
        `INSERT INTO peers (endpoint, public_key, inbound, outbound, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (endpoint) DO UPDATE SET public_key = excluded.public_key,
         inbound = max(peers.inbound, excluded.inbound), outbound = max(peers.outbound, excluded.outbound),
         updated_at = excluded.updated_at`,
        [p.endpoint, p.publicKey, p.inbound ? 1 : 0, p.outbound ? 1 : 0, p.now],
      ),
    );
  }
  async peer(endpoint: string): Promise<PeerRow | null> {
    const r = this.#get('SELECT * FROM peers WHERE endpoint = ?', [endpoint]);
    return r ? toPeer(r) : null;
  }

  async getMeta(key: string): Promise<string | null> {
    const r = this.#get('SELECT value FROM meta WHERE key = ?', [key]);
    return r ? str(r.value) : null;
  }
  async setMetaOnce(key: string, value: string): Promise<string> {
    await this.#write(() => this.#run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [key, value]));
    return (await this.getMeta(key)) ?? value;
  }

  onQueued(listener: QueuedListener): () => void {
    this.#events.on('queued', listener);
    return () => this.#events.off('queued', listener);
  }
}
