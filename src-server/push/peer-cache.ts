// Peer rows, cached briefly in memory: every knock to another server and every relay received
// looks its peer up, and with PostgreSQL that was a round trip each (docs/performance.md, Push).
// Rows change only when a server (re-)registers, so a few seconds of staleness are harmless,
// and callers re-read on a miss that matters: an absent peer or a missing flag is never served
// from the cache, and a signature that fails against a cached key is checked again against
// the stored one (a peer that re-registered with a new key).
import type { PeerRow, PushStorage } from './storage/types';

const TTL_MS = 10_000;
const MAX_ENTRIES = 10_000;

export class PeerCache {
  readonly #rows = new Map<string, { row: PeerRow; until: number }>();

  constructor(
    private readonly storage: PushStorage,
    private readonly now: () => number,
  ) {}

  /** the peer if it has the flag (`inbound`: we may relay to it; `outbound`: we accept its relays) */
  async get(endpoint: string, flag: 'inbound' | 'outbound', fresh = false): Promise<PeerRow | null> {
    const hit = this.#rows.get(endpoint);
    if (!fresh && hit && hit.until > this.now() && hit.row[flag]) return hit.row;
    const row = await this.storage.peer(endpoint);
    if (!row) {
      this.#rows.delete(endpoint);
      return null;
    }
    if (this.#rows.size >= MAX_ENTRIES) this.#rows.clear();
    this.#rows.set(endpoint, { row, until: this.now() + TTL_MS });
    return row[flag] ? row : null;
  }
}
