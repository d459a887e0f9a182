// Fewer statements per knock on PostgreSQL (issue 17, round four; docs/performance.md, "Push").
// Each statement is a round trip to a backend process, which wakes it and this process once
// more; on two shared cores those wake-ups, not the statements' work, were most of the cost.
//  - TurnBatch: the calls of one kind made in one turn of the event loop run as one statement
//    at setImmediate (as SQLite's group commit does). A caller's promise settles only once that
//    statement has returned, so a write is committed before anyone hears of it. If the joint
//    statement fails, each call runs alone, so that one bad call fails alone (the statement
//    was atomic: nothing of the joint attempt was written).
//  - insertOnceSql: records replay ids and inserts the queue entries of the new ones, with the
//    NOTIFY for other replicas, in one statement; with a gate id (a batched relay), only if
//    the gate is new.
import { OUTBOX_COLUMNS } from './schema';
import type { OutboxEntry, SeenId } from './types';

/** the largest number of calls one statement takes (bounded parameters and plan size) */
const MAX_BATCH = 256;

export class TurnBatch<I, O> {
  readonly #run: (items: I[]) => Promise<O[]>;
  #pending: Array<{ item: I; resolve: (o: O) => void; reject: (e: unknown) => void }> = [];

  /** `run` answers each item, in order, or throws for the batch as a whole */
  constructor(run: (items: I[]) => Promise<O[]>) {
    this.#run = run;
  }

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      if (this.#pending.length === 0) setImmediate(() => this.#flush());
      this.#pending.push({ item, resolve, reject });
    });
  }

  #flush(): void {
    const all = this.#pending;
    this.#pending = [];
    for (let i = 0; i < all.length; i += MAX_BATCH) void this.#runPart(all.slice(i, i + MAX_BATCH));
  }

  async #runPart(part: Array<{ item: I; resolve: (o: O) => void; reject: (e: unknown) => void }>): Promise<void> {
    let out: O[];
    try {
      out = await this.#run(part.map((p) => p.item));
    } catch (e) {
      if (part.length === 1) return part[0]!.reject(e);
      // one call's failure must not fail the others: each alone, in order (a later call may
      // depend on an earlier one: the same replay id twice)
      for (const p of part) {
        try {
          p.resolve((await this.#run([p.item]))[0]!);
        } catch (err) {
          p.reject(err);
        }
      }
      return;
    }
    part.forEach((p, i) => p.resolve(out[i]!));
  }
}

export const CHANNEL = 'push_outbox';

/** one item of insertOnce: a replay id and the entries stored only if it is new */
export interface OnceItem {
  seen: SeenId;
  entries: ReadonlyArray<OutboxEntry>;
}

const ENTRY_ARRAYS = `unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bigint[], $11::bigint[], $12::int[], $13::bigint[], $14::text[], $15::text[])
  AS u(id, target, target_id, account_id, kind, payload, created_at, expires_at, attempts, next_attempt_at, s_scope, s_id)`;

/**
 * One statement: the items' replay ids (each id at most once: see onceParams), the entries of
 * the items whose id was new, and one NOTIFY per 100 devices that got entries (payloads are
 * limited to 8000 bytes), tagged `instance`. Parameters: $1..$3 the ids; $4..$13 the entries'
 * columns, $14..$15 each entry's item id; $16 the instance tag; with a gate, $17..$19. Answers
 * one row: the new ids (scopes, ids), and with a gate whether it was new. Sub-statements of one
 * WITH run once each on one snapshot; `note` runs because the answer reads it.
 */
export function insertOnceSql(gated: boolean): string {
  const gate = gated ? `gate AS (INSERT INTO seen_ids (scope, id, expires_at) VALUES ($17, $18, $19) ON CONFLICT DO NOTHING RETURNING 1),` : '';
  return `WITH ${gate}
  seen AS (INSERT INTO seen_ids (scope, id, expires_at) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) AS q(scope, id, expires_at)
    ${gated ? 'WHERE EXISTS (SELECT 1 FROM gate)' : ''} ON CONFLICT DO NOTHING RETURNING scope, id),
  ins AS (INSERT INTO outbox (${OUTBOX_COLUMNS})
    SELECT u.id, u.target, u.target_id, u.account_id, u.kind, u.payload, u.created_at, u.expires_at, u.attempts, u.next_attempt_at
    FROM ${ENTRY_ARRAYS} WHERE EXISTS (SELECT 1 FROM seen s WHERE s.scope = u.s_scope AND s.id = u.s_id)
    RETURNING target, target_id),
  devs AS (SELECT DISTINCT target_id FROM ins WHERE target = 'device'),
  note AS (SELECT pg_notify('${CHANNEL}', $16 || ' ' || string_agg(target_id, ',')) FROM
    (SELECT target_id, (row_number() OVER () - 1) / 100 AS g FROM devs) d GROUP BY g)
  SELECT f.scopes, f.ids, (SELECT count(*) FROM note) AS notified${gated ? ', (SELECT count(*) FROM gate) AS gate' : ''}
  FROM (SELECT array_agg(scope) AS scopes, array_agg(id) AS ids FROM seen) f`;
}

type Param = string | number | boolean | null;

/**
 * The parameters of insertOnceSql for `items`, and for each item whether it takes part: an id
 * named twice (two calls in one turn, or twice in one relay) takes part once, with its first
 * item, as if the calls had run one after another.
 */
export function onceParams(items: ReadonlyArray<OnceItem>, instance: string, gate?: SeenId): { params: Param[]; first: boolean[] } {
  const keys = new Set<string>();
  const first = items.map((it) => {
    const k = `${it.seen.scope}\n${it.seen.id}`;
    if (keys.has(k)) return false;
    keys.add(k);
    return true;
  });
  const used = items.filter((_, i) => first[i]);
  const entries = used.flatMap((it) => it.entries.map((e) => ({ e, seen: it.seen })));
  const col = <K extends keyof OutboxEntry>(k: K) => entries.map((x) => x.e[k]);
  // node-postgres sends JS arrays as PostgreSQL array literals
  const params = [
    used.map((it) => it.seen.scope),
    used.map((it) => it.seen.id),
    used.map((it) => it.seen.expiresAt),
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
    entries.map((x) => x.seen.scope),
    entries.map((x) => x.seen.id),
    instance,
    ...(gate ? [gate.scope, gate.id, gate.expiresAt] : []),
  ] as unknown as Param[];
  return { params, first };
}

/** which items were new: first of their id (onceParams) and recorded by the statement */
export function freshFlags(items: ReadonlyArray<OnceItem>, first: boolean[], row: Record<string, unknown> | undefined): boolean[] {
  const scopes = (row?.scopes ?? []) as string[];
  const ids = (row?.ids ?? []) as string[];
  const fresh = new Set(scopes.map((s, i) => `${s}\n${ids[i]!}`));
  return items.map((it, i) => first[i]! && fresh.has(`${it.seen.scope}\n${it.seen.id}`));
}
