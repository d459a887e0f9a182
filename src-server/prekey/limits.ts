// Per-requester rate limits (otrv4-prekey-server.md §"Prekey Server Requirements": draining a
// user's prekey ensembles is a DoS the spec says "can be partially mitigated using fetch rate
// limiting"). A token bucket per key: `capacity` requests, refilled continuously over `periodMs`.
import type { Clock } from '../../src-shared/otr/common/random';

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  constructor(
    private readonly clock: Clock,
    private readonly capacity: number,
    private readonly periodMs: number,
    /** bound on tracked keys; full buckets are forgotten first */
    private readonly maxKeys = 100_000,
  ) {}

  /** true if `key` may make one more request now (and counts it) */
  take(key: string): boolean {
    if (this.capacity <= 0) return false;
    const now = this.clock();
    let b = this.buckets.get(key);
    if (b) {
      b.tokens = Math.min(this.capacity, b.tokens + ((now - b.at) * this.capacity) / this.periodMs);
      b.at = now;
    } else {
      if (this.buckets.size >= this.maxKeys) this.sweep(now);
      b = { tokens: this.capacity, at: now };
      this.buckets.set(key, b);
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private sweep(now: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((now - b.at) * this.capacity) / this.periodMs >= this.capacity) this.buckets.delete(k);
    }
    if (this.buckets.size >= this.maxKeys) this.buckets.clear();
  }
}

/** A lone UTF-16 surrogate (a string that is not well-formed Unicode, ECMA-262 §IsStringWellFormedUnicode)
 * cannot be encoded as UTF-8 and comes back as U+FFFD: such input is refused rather than stored
 * changed (issue 12, finding 9). In a `u` regex a surrogate pair is one code point, so only lone
 * halves match. */
export function hasLoneSurrogate(s: string): boolean {
  return /\p{Cs}/u.test(s);
}
