// "Has published prekeys" as a sign that a contact speaks OTR (issue 13, no plaintext surprises;
// docs/otr-in-the-app.md "No plaintext surprises"). A contact whose device keeps prekey ensembles
// on their server's prekey server (otrv4-prekey-server.md §"Retrieving Prekey Ensembles") runs an
// OTRv4 client, so under the opportunistic policy the first message to them waits for the private
// session instead of going in clear. The only way to ask is to retrieve ensembles (the server
// hands each out once): asked once per contact, the answer kept for PREKEY_SIGNAL_MAX_AGE_MS, the
// ensembles kept by offline-start.ts for an offline start. A failed query (timeout, no
// connection, an unusable answer, a changed server key) means "unknown", never "no"; it is asked
// again only after PREKEY_SIGNAL_RETRY_MS so that writing does not wait on a dead server each time.
import type { Clock } from '../../../src-shared/otr/common/random';
import type { FetchedEnsembles } from './wire';

/** how long "published" / "not published" is believed */
export const PREKEY_SIGNAL_MAX_AGE_MS = 6 * 3600_000;
/** after a failed query, how long the answer stays "unknown" before asking again */
export const PREKEY_SIGNAL_RETRY_MS = 5 * 60_000;

export interface PrekeySignal {
  /** true: published; false: the server says none (or no prekey server); undefined: unknown */
  published(peer: string): boolean | undefined;
  /** whether asking the prekey server now would tell something (no fresh answer, no recent failure) */
  worthAsking(peer: string): boolean;
  /** what a retrieval answered */
  learn(peer: string, fetched: FetchedEnsembles): void;
  /** the retrieval failed: unknown, asked again later */
  failed(peer: string): void;
}

export function createPrekeySignal(clock: Clock): PrekeySignal {
  const known = new Map<string, { value: boolean | undefined; at: number }>();
  const fresh = (peer: string) => {
    const k = known.get(peer);
    if (!k) return undefined;
    const maxAge = k.value === undefined ? PREKEY_SIGNAL_RETRY_MS : PREKEY_SIGNAL_MAX_AGE_MS;
    if (clock() - k.at >= maxAge) {
      known.delete(peer);
      return undefined;
    }
    return k;
  };
  return {
    published: (peer) => fresh(peer)?.value,
    worthAsking: (peer) => fresh(peer) === undefined,
    learn(peer, fetched) {
      let value: boolean | undefined;
      if (fetched.ok) value = fetched.byInstanceTag.size > 0;
      // 'none': the server has nothing for them; 'no-server': their domain offers no prekey server
      else if (fetched.reason === 'none' || fetched.reason === 'no-server') value = false;
      // 'unusable' answers and a changed server key tell nothing about the contact
      else value = undefined;
      known.set(peer, { value, at: clock() });
    },
    failed(peer) {
      known.set(peer, { value: undefined, at: clock() });
    },
  };
}
