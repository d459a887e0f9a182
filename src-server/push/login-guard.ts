// Guards around password logins (issue 12, finding 3). Each attempt costs one scrypt hash
// (32 MiB with the default --scrypt-log-n 15), and the per-address limit does not stop guesses
// spread over many addresses:
//  - failures are counted per push_name (a token bucket, --login-failures): once it is empty the
//    name is locked, correct password or not, until it refills (429 login_locked, Retry-After).
//    Locking on the right password too is what makes the lock a limit on guessing; the cost is
//    that anyone can keep a name locked, which the owner's existing login tokens survive.
//  - concurrent hashes are capped (--scrypt-concurrency) with a short queue (--scrypt-queue):
//    beyond it a request is answered 503 busy with Retry-After at once, so a flood of logins
//    cannot hold hundreds of 32 MiB buffers or starve the thread pool.
import { HttpError } from './http-util';
import { RateLimiter, type RateRule } from './ratelimit';

export const LOGIN_LOCKED = (retryAfterS: number) =>
  new HttpError(429, 'login_locked', 'Too many failed logins for this account; try again later.', undefined, { 'retry-after': String(retryAfterS) });
export const BUSY = () => new HttpError(503, 'busy', 'The server is busy; try again shortly.', undefined, { 'retry-after': '1' });

export class LoginGuard {
  readonly #failures: RateLimiter;
  readonly #slots: number;
  readonly #queueMax: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(opts: { failures: RateRule; concurrency: number; queue: number; now: () => number }) {
    this.#failures = new RateLimiter(opts.failures, opts.now);
    this.#slots = opts.concurrency;
    this.#queueMax = opts.queue;
  }

  /** throws login_locked if the name has no failures left */
  checkNotLocked(pushName: string): void {
    if (!this.#failures.available(pushName)) throw LOGIN_LOCKED(this.#failures.retryAfter(pushName));
  }

  recordFailure(pushName: string): void {
    this.#failures.take(pushName);
  }

  /** runs `fn` (a password hash) in a slot; 503 busy at once if the slots and the queue are full */
  async hash<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#slots) {
      if (this.#waiting.length >= this.#queueMax) throw BUSY();
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await fn();
    } finally {
      // hand the slot straight to the next waiter, or free it
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
