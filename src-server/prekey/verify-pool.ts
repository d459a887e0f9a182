// Worker threads that verify publications (verify-attached.ts) so that a prekey server uses every
// core: decoding and validating the points of the prekey messages and checking the proofs is
// nearly all of a publication's CPU time (docs/performance.md, "Prekey server"), and it would
// otherwise hold the one event loop that also runs the DAKEs and the retrievals. Jobs wait in one
// queue and go to whichever thread is free. If a thread fails (a bug, or the host cannot start
// one), the pool stops using threads and verifies inline from then on: slower, never wrong.
import { Worker } from 'node:worker_threads';
import type { VerifyJob, VerifyOutcome } from './verify-attached';

const BOOT = new URL('./verify-worker-boot.mjs', import.meta.url);
const ENTRY = new URL('./verify-worker.ts', import.meta.url);

export interface VerifyPoolOptions {
  log?: (line: string) => void;
  /** test hook: another worker module (loaded by verify-worker-boot.mjs) */
  entry?: URL;
}

interface Task {
  job: VerifyJob;
  resolve(o: VerifyOutcome): void;
  reject(e: Error): void;
}

export class VerifyPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Task>();
  private readonly queue: Task[] = [];
  private broken = false;
  private closed = false;

  /** `inline` verifies on the calling thread: used once a thread failed */
  constructor(
    readonly threads: number,
    private readonly inline: (job: VerifyJob) => VerifyOutcome,
    private readonly options: VerifyPoolOptions = {},
  ) {
    for (let i = 0; i < threads; i++) this.spawn();
  }

  run(job: VerifyJob): Promise<VerifyOutcome> {
    if (this.broken || this.closed) return Promise.resolve().then(() => this.inline(job));
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = [...this.idle, ...this.busy.keys()];
    this.idle.length = 0;
    for (const t of [...this.busy.values(), ...this.queue.splice(0)]) t.reject(new Error('verification pool closed'));
    this.busy.clear();
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private spawn(): void {
    const entry = this.options.entry ?? ENTRY;
    const w = new Worker(BOOT, { workerData: { entry: entry.href } });
    w.unref();
    w.on('message', (m: { outcome?: VerifyOutcome; error?: string }) => {
      const t = this.busy.get(w);
      this.busy.delete(w);
      if (t) {
        if (m.outcome) t.resolve(m.outcome);
        else t.reject(new Error(m.error ?? 'verification failed'));
      }
      if (!this.closed && !this.broken) this.idle.push(w);
      this.pump();
    });
    const fail = (why: string) => {
      if (this.closed || this.broken) return;
      this.broken = true;
      this.options.log?.(`verification threads stopped (${why}); verifying on the main thread from now on`);
      const waiting = [...this.busy.values(), ...this.queue.splice(0)];
      this.busy.clear();
      const workers = this.idle.splice(0);
      for (const x of [w, ...workers]) void x.terminate();
      for (const t of waiting)
        void Promise.resolve()
          .then(() => this.inline(t.job))
          .then(t.resolve, t.reject);
    };
    w.on('error', (e) => fail(e.message));
    w.on('exit', (code) => fail(`a thread exited with code ${code}`));
    this.idle.push(w);
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop()!;
      const t = this.queue.shift()!;
      this.busy.set(w, t);
      w.postMessage({ job: t.job });
    }
  }
}
