// Child of bench/core-memory.ts: a fresh process that opens one core on the filled profile and
// reports its memory and history-page timings as one JSON line on stdout. Separate from the
// parent so that the 100k-message fill (and its garbage) is not part of what is measured.
// Run by bench/core-memory.ts only, either bundled to plain JavaScript (the default, as the app's
// main process runs it: node --expose-gc out/bench/core-memory-child.mjs <params.json>) or under
// the tsx loader (--loader tsx: node --expose-gc --import tsx bench/core-memory-child.ts …).
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { AccountInfo, MessengerEvent } from '../src-shared/ipc/contract';
import { percentile } from './support';

// measured before the core's modules are loaded (they are imported dynamically below)
const MB = 1024 * 1024;
const bareRss = process.memoryUsage().rss / MB;

export interface ChildParams {
  profileDir: string;
  keychainService: string;
  extraCaPem: string;
  accountId: string;
  /** the big conversation (most of the messages) */
  bigPeer: string;
  /** a typical small conversation */
  smallPeer: string;
  /** message ids deep in the big conversation, used as `before` */
  deepBefore: string[];
  /** how many calls per page kind */
  calls: number;
  /**
   * Diagnostic only: reuse prepared statements (what `new Database(path, { cacheStatements: true })`
   * does), patched in here so the core's code is unchanged. Shows what the store's one new native
   * statement per query costs in RSS.
   */
  statementCache: boolean;
}

export interface Timing {
  what: string;
  n: number;
  median: number;
  p95: number;
  max: number;
  rows: number;
}

export interface Checkpoint {
  what: string;
  /** MB now */
  rss: number;
  /** MB, peak so far (VmHWM) */
  peak: number;
}

export interface ChildResult {
  checkpoints: Checkpoint[];
  mb: {
    /** node + tsx + the core's modules loaded, no core yet */
    baselineRss: number;
    /** after createCore, account online, app.snapshot, one newest and one deep history page */
    rssAfterOpen: number;
    heapUsedAfterOpen: number;
    externalAfterOpen: number;
    /** the same after a full GC */
    rssAfterGc: number;
    /** after the page-timing loops */
    rssAfterPages: number;
    /** peak RSS of the process over its life (VmHWM) */
    peakRss: number;
  };
  openMs: number;
  accountStatus: string;
  contacts: number;
  timings: Timing[];
}

/**
 * Peak RSS of this process in MB: /proc/self/status VmHWM (Linux). Not getrusage's maxrss, which
 * Linux carries over from the parent across fork + exec (it would report the parent's peak).
 */
function peakRss(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

/** see ChildParams.statementCache: one prepared statement per (connection, options, SQL) */
async function cacheStatements(): Promise<void> {
  const { Database } = await import('@signalapp/sqlcipher');
  interface Options {
    persistent?: boolean;
    pluck?: boolean;
    bigint?: boolean;
  }
  // the library's overloads and generics do not survive a wrapper; this is the runtime shape
  type Prepare = (this: object, query: string, options?: Options) => unknown;
  const proto = Database.prototype as unknown as { prepare: Prepare };
  const original = proto.prepare;
  const caches = new WeakMap<object, Map<string, unknown>>();
  proto.prepare = function (query, options = {}) {
    let cache = caches.get(this);
    if (!cache) caches.set(this, (cache = new Map()));
    const key = `${String(options.pluck)}:${String(options.bigint)}:${query}`;
    let stmt = cache.get(key);
    if (stmt === undefined) cache.set(key, (stmt = original.call(this, query, { ...options, persistent: true })));
    return stmt;
  };
}

async function timeCalls(what: string, n: number, call: (i: number) => Promise<number>): Promise<Timing> {
  const ms: number[] = [];
  let rows = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    rows = await call(i);
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { what, n, median: percentile(ms, 50), p95: percentile(ms, 95), max: ms[ms.length - 1]!, rows };
}

async function main(): Promise<void> {
  const params = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as ChildParams;
  const checkpoints: Checkpoint[] = [];
  const mark = (what: string) => checkpoints.push({ what, rss: process.memoryUsage().rss / MB, peak: peakRss() });
  const underTsx = import.meta.url.endsWith('.ts');
  checkpoints.push({ what: underTsx ? 'node + tsx loader, nothing imported' : 'plain node (compiled bundle), nothing imported', rss: bareRss, peak: bareRss });
  if (params.statementCache) await cacheStatements();
  const { dispatchRequest } = await import('../src-shared/ipc/dispatch');
  const { createCore } = await import('../src-main/core/index');
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const baselineRss = process.memoryUsage().rss;
  mark('core modules imported, no core');

  const t0 = performance.now();
  const core = await createCore({ profileDir: params.profileDir, keychainService: params.keychainService, extraCaPem: params.extraCaPem });
  const openMs = performance.now() - t0;
  mark('createCore returned (account connecting)');
  // the stored account reconnects in the background: wait until it is online (or gave up)
  const status = await new Promise<string>((resolve) => {
    const timer = setTimeout(() => {
      off();
      resolve('not online after 30 s');
    }, 30_000);
    const off = core.onEvent((e: MessengerEvent) => {
      if (e.name !== 'account.updated') return;
      const a = e.payload as AccountInfo;
      if (a.status === 'online' || a.status === 'error') {
        clearTimeout(timer);
        off();
        resolve(a.status);
      }
    });
  });

  mark('account online');
  const request = async (name: string, input: unknown): Promise<unknown> => {
    const r = await dispatchRequest(core.handlers, name, input);
    if (!r.ok) throw new Error(`${name}: ${r.error.code} ${r.error.message}`);
    return r.value;
  };
  const page = async (peer: string, before?: string): Promise<number> =>
    ((await request('messages.page', { accountId: params.accountId, peer, limit: 100, ...(before ? { before } : {}) })) as unknown[]).length;

  // what a window does when it opens: the snapshot, then the open conversation's newest page,
  // then one scroll back
  const snapshot = (await request('app.snapshot', {})) as { contacts: unknown[] };
  mark('app.snapshot');
  await page(params.bigPeer);
  await page(params.bigPeer, params.deepBefore[0]);
  mark('newest page + one deep page');
  const afterOpen = process.memoryUsage();
  gc?.();
  const rssAfterGc = process.memoryUsage().rss;
  mark('after a full GC');

  const timings: Timing[] = [];
  timings.push(await timeCalls('messages.page newest, big conversation', params.calls, () => page(params.bigPeer)));
  timings.push(
    await timeCalls('messages.page deep (before), big conversation', params.calls, (i) =>
      page(params.bigPeer, params.deepBefore[i % params.deepBefore.length]),
    ),
  );
  timings.push(await timeCalls('messages.page newest, small conversation', params.calls, () => page(params.smallPeer)));
  timings.push(
    await timeCalls(
      'app.snapshot (100 contacts, unread counts)',
      Math.max(10, Math.floor(params.calls / 10)),
      async () => ((await request('app.snapshot', {})) as { contacts: unknown[] }).contacts.length,
    ),
  );
  // what each incoming message costs the receiving core after message.added: contact.updated
  // with the unread count (session.ts emitContact -> Store.unread), like markRead here
  timings.push(
    await timeCalls('conversation.markRead, big conversation (unread count)', Math.max(10, Math.floor(params.calls / 10)), async () =>
      (await request('conversation.markRead', { accountId: params.accountId, peer: params.bigPeer })) === null ? 0 : 1,
    ),
  );
  // full-text search across all conversations (messages.search, FTS5; issue 17: < 100 ms),
  // newest 50 hits: a word many messages have, two words together, a number few messages have
  // (bodies end in "#i"; the last word is also a prefix), a prefix, and a word no message has
  const search = async (query: string): Promise<number> => ((await request('messages.search', { query, limit: 50 })) as unknown[]).length;
  const searches: Array<[string, string]> = [
    ['common word', 'station'],
    ['two common words', 'report lunch'],
    ['a rare number (and numbers it begins)', '777'],
    ['a prefix', 'tomo'],
    ['no hit', 'zebra'],
  ];
  for (const [what, q] of searches)
    timings.push(await timeCalls(`messages.search, ${what} ("${q}")`, Math.max(10, Math.floor(params.calls / 5)), () => search(q)));
  const rssAfterPages = process.memoryUsage().rss;
  mark('after the timing loops');

  await core.close();
  const result: ChildResult = {
    checkpoints,
    mb: {
      baselineRss: baselineRss / MB,
      rssAfterOpen: afterOpen.rss / MB,
      heapUsedAfterOpen: afterOpen.heapUsed / MB,
      externalAfterOpen: afterOpen.external / MB,
      rssAfterGc: rssAfterGc / MB,
      rssAfterPages: rssAfterPages / MB,
      peakRss: peakRss(),
    },
    openMs,
    accountStatus: status,
    contacts: snapshot.contacts.length,
    timings,
  };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`core-memory-child: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
