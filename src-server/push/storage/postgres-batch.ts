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
//  - FAN_OUT_ONCE_SQL: a relayed batch in one statement, its knocks' fan-out included (the
//    devices' read was a round trip of its own before each relay's write).
import { OUTBOX_COLUMNS } from './schema';
import { firstAttempt } from './fan-out';
import type { FanOutItem, FanOutResult, FanOutShape, OutboxEntry, SeenId } from './types';
import type { DeviceKind } from '../../../src-shared/push/wire';

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

type Param = string | number | boolean | null;

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
 * columns, $14..$15 each entry's item id; $16 the instance tag; 'gated' (a batched relay):
 * $17..$19 the gate, nothing written unless it is new; 'login' (knock POSTs): $17..$18 each
 * item's login token hash and time, an item written only if its token is valid then (its
 * id in ok_scopes/ok_ids). Answers one row: the new ids (scopes, ids), and with a gate whether
 * it was new. Sub-statements of one WITH run once each on one snapshot; `note` runs because the
 * answer reads it.
 */
export function insertOnceSql(kind: 'plain' | 'gated' | 'login'): string {
  const ids = `unnest($1::text[], $2::text[], $3::bigint[]${kind === 'login' ? ', $17::text[], $18::bigint[]' : ''}) AS q(scope, id, expires_at${kind === 'login' ? ', hash, now' : ''})`;
  const head =
    kind === 'gated'
      ? `gate AS (INSERT INTO seen_ids (scope, id, expires_at) VALUES ($17, $18, $19) ON CONFLICT DO NOTHING RETURNING 1),
  ok AS (SELECT q.scope, q.id, q.expires_at FROM ${ids} WHERE EXISTS (SELECT 1 FROM gate)),`
      : kind === 'login'
        ? `ok AS (SELECT q.scope, q.id, q.expires_at FROM ${ids} WHERE EXISTS (SELECT 1 FROM auth_tokens t WHERE t.hash = q.hash AND t.expires_at > q.now)),`
        : `ok AS (SELECT q.scope, q.id, q.expires_at FROM ${ids}),`;
  return `WITH ${head}
  seen AS (INSERT INTO seen_ids (scope, id, expires_at) SELECT * FROM ok ON CONFLICT DO NOTHING RETURNING scope, id),
  ins AS (INSERT INTO outbox (${OUTBOX_COLUMNS})
    SELECT u.id, u.target, u.target_id, u.account_id, u.kind, u.payload, u.created_at, u.expires_at, u.attempts, u.next_attempt_at
    FROM ${ENTRY_ARRAYS} WHERE EXISTS (SELECT 1 FROM seen s WHERE s.scope = u.s_scope AND s.id = u.s_id)
    RETURNING target, target_id),
  devs AS (SELECT DISTINCT target_id FROM ins WHERE target = 'device'),
  note AS (SELECT pg_notify('${CHANNEL}', $16 || ' ' || string_agg(target_id, ',')) FROM
    (SELECT target_id, (row_number() OVER () - 1) / 100 AS g FROM devs) d GROUP BY g)
  SELECT f.scopes, f.ids, (SELECT count(*) FROM note) AS notified${kind === 'gated' ? ', (SELECT count(*) FROM gate) AS gate' : ''}${
    kind === 'login' ? ', (SELECT array_agg(scope) FROM ok) AS ok_scopes, (SELECT array_agg(id) FROM ok) AS ok_ids' : ''
  }
  FROM (SELECT array_agg(scope) AS scopes, array_agg(id) AS ids FROM seen) f`;
}

/**
 * The entries' values as one array per column of OUTBOX_COLUMNS (schema.ts), in its order: the
 * parameters of an `INSERT … SELECT * FROM unnest(…)` of many entries in one statement.
 */
export function outboxColumnArrays(entries: ReadonlyArray<OutboxEntry>): unknown[][] {
  const col = <K extends keyof OutboxEntry>(k: K) => entries.map((e) => e[k]);
  return [
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
  ];
}

/**
 * The parameters of insertOnceSql for `items`, and for each item whether it takes part: an id
 * named twice (two calls in one turn, or twice in one relay) takes part once, with its first
 * item, as if the calls had run one after another.
 */
export function onceParams(
  items: ReadonlyArray<OnceItem>,
  instance: string,
  extra: { gate?: SeenId; logins?: ReadonlyArray<{ tokenHash: string; now: number }> } = {},
): { params: Param[]; first: boolean[] } {
  const keys = new Set<string>();
  const first = items.map((it) => {
    const k = `${it.seen.scope}\n${it.seen.id}`;
    if (keys.has(k)) return false;
    keys.add(k);
    return true;
  });
  const used = items.filter((_, i) => first[i]);
  const entries = used.flatMap((it) => it.entries.map((e) => ({ e, seen: it.seen })));
  // node-postgres sends JS arrays as PostgreSQL array literals
  const params = [
    used.map((it) => it.seen.scope),
    used.map((it) => it.seen.id),
    used.map((it) => it.seen.expiresAt),
    ...outboxColumnArrays(entries.map((x) => x.e)),
    entries.map((x) => x.seen.scope),
    entries.map((x) => x.seen.id),
    instance,
    ...(extra.gate ? [extra.gate.scope, extra.gate.id, extra.gate.expiresAt] : []),
    ...(extra.logins ? [extra.logins.filter((_, i) => first[i]).map((l) => l.tokenHash), extra.logins.filter((_, i) => first[i]).map((l) => l.now)] : []),
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

/**
 * enqueueFanOutOnce in one statement: the gate, the items' ids, each new item's fan-out to its
 * push name's devices (fan-out.ts's rules, in SQL), and the NOTIFY. Entry ids: 16 random bytes
 * of gen_random_uuid() (122 of them random), base64url as randomId's. `devs` is computed once
 * (MATERIALIZED: a random id is drawn once per row), and the answer returns its rows so that
 * the caller has the entries without reading them back. Parameters: $1..$5 the items' ids,
 * expiries, push names and payloads; $6..$8 the gate; $9 the kinds; $10..$12 createdAt,
 * expiresAt, leaseMs; $13 the instance tag.
 */
export const FAN_OUT_ONCE_SQL = `WITH gate AS (INSERT INTO seen_ids (scope, id, expires_at) VALUES ($6, $7, $8) ON CONFLICT DO NOTHING RETURNING 1),
  q AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[]) WITH ORDINALITY AS q(scope, id, expires_at, push_name, payload, i)),
  seen AS (INSERT INTO seen_ids (scope, id, expires_at) SELECT q.scope, q.id, q.expires_at FROM q WHERE EXISTS (SELECT 1 FROM gate)
    ON CONFLICT DO NOTHING RETURNING scope, id),
  fresh AS (SELECT q.i, q.push_name, q.payload FROM q JOIN seen s ON s.scope = q.scope AND s.id = q.id),
  active AS (SELECT f.i, f.payload, d.id, d.account_id, d.kind, d.created_at FROM fresh f
    JOIN accounts a ON a.push_name = f.push_name JOIN devices d ON d.account_id = a.id WHERE d.active),
  devs AS MATERIALIZED (SELECT translate(rtrim(encode(uuid_send(gen_random_uuid()), 'base64'), '='), '+/', '-_') AS eid, v.*
    FROM active v WHERE v.kind = ANY($9::text[])),
  ins AS (INSERT INTO outbox (${OUTBOX_COLUMNS})
    SELECT eid, 'device', id, account_id, kind, payload, $10, $11, 0, CASE WHEN kind = 'desktop' THEN $10::bigint ELSE $10::bigint + $12::bigint END FROM devs
    RETURNING target_id),
  note AS (SELECT pg_notify('${CHANNEL}', $13 || ' ' || string_agg(target_id, ',')) FROM
    (SELECT target_id, (row_number() OVER () - 1) / 100 AS g FROM (SELECT DISTINCT target_id FROM ins) t) d GROUP BY g)
  SELECT (SELECT count(*) FROM gate) AS gate, (SELECT count(*) FROM note) AS notified,
    (SELECT array_agg(i) FROM fresh) AS fresh,
    (SELECT json_agg(json_build_array(i, eid, id, account_id, kind) ORDER BY i, created_at, id) FROM devs) AS entries,
    (SELECT json_agg(json_build_array(i, n)) FROM (SELECT i, count(*) AS n FROM active WHERE NOT kind = ANY($9::text[]) GROUP BY i) k) AS skipped`;

/** the parameters of FAN_OUT_ONCE_SQL; each id takes part once, with its first item (as onceParams) */
export function fanOutParams(gate: SeenId, items: ReadonlyArray<FanOutItem>, shape: FanOutShape, instance: string): { params: Param[]; used: number[] } {
  const keys = new Set<string>();
  const used: number[] = [];
  items.forEach((it, i) => {
    const k = `${it.seen.scope}\n${it.seen.id}`;
    if (!keys.has(k)) used.push(i);
    keys.add(k);
  });
  const u = used.map((i) => items[i]!);
  const params = [
    u.map((it) => it.seen.scope),
    u.map((it) => it.seen.id),
    u.map((it) => it.seen.expiresAt),
    u.map((it) => it.pushName),
    u.map((it) => it.payload),
    gate.scope,
    gate.id,
    gate.expiresAt,
    shape.kinds,
    shape.createdAt,
    shape.expiresAt,
    shape.leaseMs,
    instance,
  ] as unknown as Param[];
  return { params, used };
}

/** the answer of FAN_OUT_ONCE_SQL as enqueueFanOutOnce's results (null: the gate was not new) */
export function fanOutResults(
  items: ReadonlyArray<FanOutItem>,
  used: number[],
  shape: FanOutShape,
  row: Record<string, unknown> | undefined,
): FanOutResult[] | null {
  if (Number(row?.gate) !== 1) return null;
  const out: FanOutResult[] = items.map(() => ({ fresh: false, entries: [], skipped: 0 }));
  // positions in the statement count from 1 and name the used items
  const at = (i: unknown) => out[used[Number(i) - 1]!]!;
  for (const i of (row?.fresh ?? []) as unknown[]) at(i).fresh = true;
  for (const [i, id, targetId, accountId, kind] of (row?.entries ?? []) as Array<[number, string, string, string, DeviceKind]>) {
    const item = items[used[i - 1]!]!;
    at(i).entries.push({
      id,
      target: 'device',
      targetId,
      accountId,
      kind,
      payload: item.payload,
      createdAt: shape.createdAt,
      expiresAt: shape.expiresAt,
      attempts: 0,
      nextAttemptAt: firstAttempt(kind, shape),
    });
  }
  for (const [i, n] of (row?.skipped ?? []) as Array<[number, number]>) at(i).skipped = n;
  return out;
}
