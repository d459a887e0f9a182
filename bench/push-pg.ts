// The PostgreSQL side of bench/push.ts (issue 17, round four): the CPU of the cluster's own
// processes, which the servers' figures do not include, and what each server's database ran.
//  - CPU: every process of the cluster (the postmaster's children, found by its port), from the
//    scheduler's figures as for the servers (/proc/PID/task/TID/schedstat). A backend's process
//    title names its database (bench_push_1 is s1's, bench_push_2 is s2's); the rest (WAL
//    writer, checkpointer, autovacuum, the postmaster) is "other". A backend that exits during
//    a run loses its share: the pools keep theirs open while the bench runs.
//  - Statements (`--pg-statements`): pg_stat_statements, reset before each measured run. Each
//    call is one statement executed (one round trip for a lone query; BEGIN and COMMIT count).
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';

export interface PgCpu {
  s1: number;
  s2: number;
  other: number;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** the postmaster listening on `port` (its command line says `-p PORT`) */
function postmasterPid(port: number): number | null {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const cmd = readText(`/proc/${d}/cmdline`)?.split('\0') ?? [];
    if (!cmd[0]?.endsWith('/postgres')) continue;
    const i = cmd.indexOf('-p');
    if (i >= 0 && cmd[i + 1] === String(port)) return Number(d);
  }
  return null;
}

/** run time (s) of one process's threads */
function runSeconds(pid: number): number {
  let run = 0;
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  for (const tid of tasks) run += Number(readText(`/proc/${pid}/task/${tid}/schedstat`)?.split(' ')[0] ?? 0) / 1e9;
  return run;
}

/** per process of the cluster: [which, seconds on a CPU] */
export function pgSnapshot(port: number): Map<number, { who: keyof PgCpu; run: number }> {
  const out = new Map<number, { who: keyof PgCpu; run: number }>();
  const master = postmasterPid(port);
  if (master === null) return out;
  out.set(master, { who: 'other', run: runSeconds(master) });
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const stat = readText(`/proc/${d}/stat`);
    // the fields after the command name (which may hold spaces) start at its closing ')'
    const ppid = stat ? Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) : NaN;
    if (ppid !== master) continue;
    const title = readText(`/proc/${d}/cmdline`) ?? '';
    const who: keyof PgCpu = title.includes(' bench_push_1 ') ? 's1' : title.includes(' bench_push_2 ') ? 's2' : 'other';
    out.set(Number(d), { who, run: runSeconds(Number(d)) });
  }
  return out;
}

/** CPU seconds between two snapshots, by server (processes born meanwhile count from zero) */
export function pgCpuBetween(before: ReturnType<typeof pgSnapshot>, after: ReturnType<typeof pgSnapshot>): PgCpu {
  const sum: PgCpu = { s1: 0, s2: 0, other: 0 };
  for (const [pid, a] of after) sum[a.who] += a.run - (before.get(pid)?.run ?? 0);
  return sum;
}

/** statements per knock on each server's database, from pg_stat_statements */
export class PgStatements {
  readonly #admin: string;
  constructor(port: number) {
    this.#admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }

  async #query<T extends pg.QueryResultRow>(db: string, sql: string): Promise<T[]> {
    const c = new pg.Client({ connectionString: this.#admin.replace(/\/postgres$/, `/${db}`) });
    await c.connect();
    try {
      return (await c.query<T>(sql)).rows;
    } finally {
      await c.end();
    }
  }

  /** creates the extension (its view shows every database's statements; the library is
   * preloaded by the cluster: shared_preload_libraries) */
  async install(): Promise<void> {
    await this.#query('postgres', 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  }

  async reset(): Promise<void> {
    await this.#query('postgres', 'SELECT pg_stat_statements_reset()');
  }

  /** lines of a report: per server, statements per knock and the most frequent statements */
  async report(knocks: number): Promise<string[]> {
    const lines: string[] = [];
    for (const [server, db] of [
      ['s1', 'bench_push_1'],
      ['s2', 'bench_push_2'],
    ] as const) {
      const rows = await this.#query<{ calls: string; rows: string; ms: number; query: string }>(
        'postgres',
        `SELECT s.calls::text AS calls, s.rows::text AS rows, s.total_exec_time AS ms, s.query FROM pg_stat_statements s
         JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '${db}' ORDER BY s.calls DESC`,
      );
      const total = rows.reduce((n, r) => n + Number(r.calls), 0);
      const ms = rows.reduce((n, r) => n + r.ms, 0);
      lines.push(`${server}: ${(total / knocks).toFixed(2)} statements per knock, ${((ms / knocks) * 1000).toFixed(0)} µs executing per knock`);
      for (const r of rows.slice(0, 8)) {
        const q = r.query.replace(/\s+/g, ' ').slice(0, 110);
        lines.push(`   ${(Number(r.calls) / knocks).toFixed(3)}/knock  ${((r.ms / Number(r.calls)) * 1000).toFixed(0)} µs  ${q}`);
      }
    }
    return lines;
  }
}
