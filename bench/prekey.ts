// Prekey server throughput through Prosody (issue 5 "Benchmark"): publications (full DAKE +
// Prekey Publication with prekey messages and their proofs) and ensemble retrievals per second,
// clients on real XMPP connections, the server as an XEP-0114 component. Prints a table.
//   npx tsx bench/prekey.ts [--publishers 4] [--publications 10] [--prekeys 10] [--retrievers 4] [--retrievals 50]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startStack } from '../scripts/stack/stack';
import { PrekeyClient, type PrekeyServerInfo } from '../src-main/core/prekey/client';
import { connect, type Connection } from '../src-main/core/prekey/test-support/harness';
import { nativeDh3072Engine } from '../src-shared/node-crypto/dh-engines';
import { SecretStore, makeDevice, random } from '../src-shared/prekey/test-support/device';
import { startPrekeyServer } from '../src-server/prekey/server';
import { percentile } from './support';

const { values } = parseArgs({
  options: {
    publishers: { type: 'string', default: '4' },
    publications: { type: 'string', default: '10' },
    prekeys: { type: 'string', default: '10' },
    retrievers: { type: 'string', default: '4' },
    retrievals: { type: 'string', default: '50' },
  },
});
const P = Number(values.publishers);
const K = Number(values.publications);
const N = Number(values.prekeys);
const R = Number(values.retrievers);
const M = Number(values.retrievals);

async function main(): Promise<void> {
  const users = [...Array.from({ length: P }, (_, i) => `pub${i}`), ...Array.from({ length: R }, (_, i) => `ret${i}`)];
  const stack = await startStack({ accounts: users.map((u) => ({ user: u, password: `${u}-pw` })) });
  const dataDir = mkdtempSync(join(tmpdir(), 'prekey-bench-'));
  const engine = nativeDh3072Engine();
  const server = await startPrekeyServer({
    domain: stack.componentDomain,
    secret: stack.componentSecret,
    host: '127.0.0.1',
    port: stack.componentPort,
    dataDir,
    limits: { retrievalsPerMinute: 1e9, retrievalsPerTargetPerMinute: 1e9, dakesPerMinute: 1e9, maxPrekeyMessagesPerIdentity: 1e9 },
  });
  const conns: Connection[] = [];
  try {
    const info: PrekeyServerInfo = { jid: server.domain, fingerprint: server.fingerprint };
    const client = async (user: string) => {
      const c = await connect(stack, user, `${user}-pw`, 'bench');
      conns.push(c);
      return new PrekeyClient({
        xmpp: c.xmpp,
        device: makeDevice(),
        random,
        clock: Date.now,
        engine,
        savePrekeySecrets: new SecretStore().save,
        responseTimeoutMs: 120_000,
      });
    };
    const publishers = await Promise.all(Array.from({ length: P }, (_, i) => client(`pub${i}`)));
    const retrievers = await Promise.all(Array.from({ length: R }, (_, i) => client(`ret${i}`)));
    // profiles first (not timed)
    await Promise.all(publishers.map((p) => p.publish(info, { clientProfile: true, prekeyProfile: true })));

    const pubLat: number[] = [];
    let t0 = performance.now();
    await Promise.all(
      publishers.map(async (p) => {
        for (let k = 0; k < K; k++) {
          const s = performance.now();
          await p.publish(info, { prekeyMessages: N });
          pubLat.push(performance.now() - s);
        }
      }),
    );
    const pubSec = (performance.now() - t0) / 1000;

    const retLat: number[] = [];
    let handed = 0;
    t0 = performance.now();
    await Promise.all(
      retrievers.map(async (r, i) => {
        for (let k = 0; k < M; k++) {
          const s = performance.now();
          const got = await r.retrieve(`pub${(i + k) % P}@${stack.domain}`, info);
          retLat.push(performance.now() - s);
          handed += got.byInstanceTag.size;
        }
      }),
    );
    const retSec = (performance.now() - t0) / 1000;
    pubLat.sort((a, b) => a - b);
    retLat.sort((a, b) => a - b);
    const rows = [
      ['operation', 'count', 'concurrency', 'per second', 'p50 ms', 'p99 ms'],
      [
        `publication (${N} prekeys, DAKE + proofs)`,
        String(P * K),
        String(P),
        ((P * K) / pubSec).toFixed(1),
        percentile(pubLat, 50).toFixed(1),
        percentile(pubLat, 99).toFixed(1),
      ],
      [`  = prekey messages stored`, String(P * K * N), String(P), ((P * K * N) / pubSec).toFixed(1), '', ''],
      [
        'ensemble retrieval (client validates)',
        String(R * M),
        String(R),
        ((R * M) / retSec).toFixed(1),
        percentile(retLat, 50).toFixed(1),
        percentile(retLat, 99).toFixed(1),
      ],
    ];
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    for (const r of rows) console.log(r.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  '));
    console.log(`(ensembles handed out: ${handed}; machine: ${(await import('node:os')).cpus().length} cores; server and clients share them)`);
  } finally {
    for (const c of conns) await c.stop();
    await server.stop();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
