// The SQLite connection under SqliteStorage (sqlite.ts): @signalapp/sqlcipher used unencrypted
// (no key pragma), the default of docs/architecture.md §4 for servers. One process owns the file,
// in WAL mode. With synchronous=NORMAL (default) a committed knock survives a crash or SIGKILL of
// the process (the WAL is written before the answer is sent); synchronous=FULL also survives
// power loss, at one fsync per commit. Chosen with --sqlite-sync.
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
import type { OutboxEntry, QueuedListener } from './types';
import { schemaSql } from './schema';
import type { DbRow } from './rows';

/** WAL pages after which a checkpoint is started (SQLite's own autocheckpoint default) */
const CHECKPOINT_PAGES = 1000;
/** a WAL this long when a checkpoint starts is checkpointed on the event loop: the thread has
 * fallen behind */
const CHECKPOINT_PAGES_MAX = 50_000;

/** the checkpoint thread: a real file next to this one */
const CHECKPOINTER = new URL('./checkpointer.worker.mjs', import.meta.url);

type Params = ReadonlyArray<string | number | null>;

/** a write waiting for the next group commit */
interface PendingWrite {
  op: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export class SqliteConnection {
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

  run(sql: string, params: Params = []): number {
    return this.#db.prepare(sql).run(params).changes;
  }
  get(sql: string, params: Params = []): DbRow | undefined {
    return this.#db.prepare(sql).get(params) as DbRow | undefined;
  }
  all(sql: string, params: Params = []): DbRow[] {
    return this.#db.prepare(sql).all(params) as DbRow[];
  }
  /** runs fn in a transaction (a savepoint when nested in the group commit) */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn)();
  }

  /** queues a write for the next group commit; resolves with its result once committed */
  write<T>(op: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ op, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  /** inside a write op: these entries are announced to listeners once the write is committed */
  committed(entries: ReadonlyArray<OutboxEntry>): void {
    this.#committed.push(...entries);
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

  onQueued(listener: QueuedListener): () => void {
    this.#events.on('queued', listener);
    return () => this.#events.off('queued', listener);
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
}
