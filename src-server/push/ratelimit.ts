// Token-bucket rate limiting, per key (account, whitelist token, peer server, client address).
// In memory and per process: with several replicas each replica enforces the limit on its own
// share of the traffic (docs/push-server.md says so); a shared limiter is not worth a round trip
// to the database on every request.

export interface RateRule {
  /** bucket size: requests allowed in a burst */
  burst: number;
  /** sustained requests per second */
  perSecond: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #rule: RateRule;
  readonly #now: () => number;
  readonly #maxKeys: number;

  constructor(rule: RateRule, now: () => number = Date.now, maxKeys = 100_000) {
    this.#rule = rule;
    this.#now = now;
    this.#maxKeys = maxKeys;
  }

  /** takes `cost` tokens for `key`; false if the bucket holds fewer (the request must be
   * refused). A cost above the burst is capped at it, so that one request can always pass once
   * the bucket is full (a batched relay of more knocks than the burst). */
  take(key: string, cost = 1): boolean {
    if (this.#rule.perSecond <= 0 && this.#rule.burst <= 0) return true; // disabled
    cost = Math.min(cost, this.#rule.burst);
    const now = this.#now();
    let b = this.#buckets.get(key);
    if (!b) {
      if (this.#buckets.size >= this.#maxKeys) this.#evict(now);
      b = { tokens: this.#rule.burst, at: now };
      this.#buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.#rule.burst, b.tokens + ((now - b.at) / 1000) * this.#rule.perSecond);
      b.at = now;
    }
    if (b.tokens < cost) return false;
    b.tokens -= cost;
    return true;
  }

  /** whether `key` has a token left now, without taking it */
  available(key: string): boolean {
    if (this.#rule.perSecond <= 0 && this.#rule.burst <= 0) return true; // disabled
    const b = this.#buckets.get(key);
    if (!b) return true;
    return Math.min(this.#rule.burst, b.tokens + ((this.#now() - b.at) / 1000) * this.#rule.perSecond) >= 1;
  }

  /** seconds until one token is available again, for Retry-After */
  retryAfter(key: string): number {
    const b = this.#buckets.get(key);
    if (!b || this.#rule.perSecond <= 0) return 1;
    return Math.max(1, Math.ceil((1 - b.tokens) / this.#rule.perSecond));
  }

  #evict(now: number): void {
    // Drop buckets that have refilled completely: they carry no information.
    for (const [k, b] of this.#buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.#rule.perSecond >= this.#rule.burst) this.#buckets.delete(k);
    }
    if (this.#buckets.size >= this.#maxKeys) this.#buckets.clear();
  }
}
