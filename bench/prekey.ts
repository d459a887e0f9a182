// Prekey server throughput through Prosody (issue 5 "Benchmark", issue 17 goal: >= 300 ensemble
// retrievals/s and >= 30 publications/s): publications (full DAKE + Prekey Publication with
// prekey messages and their proofs) and ensemble retrievals per second, clients on real XMPP
// connections, the server as an XEP-0114 component in its own process (src-server/prekey/cli.ts)
// so that the CPU time of the server, of Prosody and of the bench's clients is measured apart.
// Two kinds of retrieval are timed: by PrekeyClient (which re-validates every ensemble, as a
// client must: the server is not trusted) and "server capacity" (the same Ensemble Query
// messages, pre-built, and the answers only counted, not validated), which shows what the server
// and Prosody can serve when the clients are elsewhere.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startStack } from '../scripts/stack/stack';
import { PrekeyClient, type PrekeyServerInfo } from '../src-main/core/prekey/client';
import { connect, type Connection } from '../src-main/core/prekey/test-support/harness';
import { nativeDh3072Engine } from '../src-shared/node-crypto/dh-engines';
import { SecretStore, makeDevice, random } from '../src-shared/prekey/test-support/device';
import { prekeyRows, printTable, type Phase } from './prekey-report';
import { measure, rawRetrievals, topUp } from './prekey-load';
import { prosodyPid, startPrekeyServerChild } from './prekey-process';
import { type CapacityPublisher, capacityPublications, makePrekeys, publishOnce } from './prekey-capacity';
import { benchResult, loadLine } from './support';

const HELP = `npx tsx bench/prekey.ts [options]
  --publishers N    publishing clients (4), each its own XMPP account and device
  --publications N  timed publications per publisher (10)
  --prekeys N       prekey messages per publication (10)
  --retrievers N    retrieving clients (4)
  --retrievals N    timed retrievals per retriever, PrekeyClient (validates) (50)
  --raw N           timed server-capacity retrievals in all (5 x retrievers x retrievals; 0 skips)
  --raw-depth N     queries in flight per retriever connection in that phase (4)
  --cap-publishers N    publishing clients of the server-capacity phase (8), each its own account
  --cap-publications N  timed server-capacity publications per publisher: prekey messages made
                    before the phase, DAKE + proofs + publication timed (30; 0 skips). Long
                    enough (240 by default, ~8 s) that the start and end of the phase, when
                    fewer publications are in flight, weigh little
  --postgres        PostgreSQL storage (a throwaway cluster) instead of SQLite
  --verify-threads N  the server's worker threads for publications (its default: one per core, max 4)
  --cpu-prof DIR    write a V8 CPU profile of the server process into DIR
  --help            this text`;

const { values } = parseArgs({
  options: {
    publishers: { type: 'string', default: '4' },
    publications: { type: 'string', default: '10' },
    prekeys: { type: 'string', default: '10' },
    retrievers: { type: 'string', default: '4' },
    retrievals: { type: 'string', default: '50' },
    raw: { type: 'string' },
    'raw-depth': { type: 'string', default: '4' },
    'cap-publishers': { type: 'string', default: '8' },
    'cap-publications': { type: 'string', default: '30' },
    postgres: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    'verify-threads': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
const P = Number(values.publishers);
const K = Number(values.publications);
const N = Number(values.prekeys);
const R = Number(values.retrievers);
const M = Number(values.retrievals);
const RAW = values.raw === undefined ? 5 * R * M : Number(values.raw);
const DEPTH = Number(values['raw-depth']);
const CAP = Number(values['cap-publications']);
const CP = Number(values['cap-publishers']);

async function main(): Promise<void> {
  if (values.help) {
    console.log(HELP);
    return;
  }
  console.log(`start: ${loadLine()}`);
  const users = [
    ...Array.from({ length: P }, (_, i) => `pub${i}`),
    ...Array.from({ length: R }, (_, i) => `ret${i}`),
    ...Array.from({ length: CAP > 0 ? CP : 0 }, (_, i) => `cap${i}`),
  ];
  const stack = await startStack({ accounts: users.map((u) => ({ user: u, password: `${u}-pw` })) });
  const dataDir = mkdtempSync(join(tmpdir(), 'prekey-bench-'));
  const pgCluster = values.postgres ? await (await import('../scripts/test-support/postgres')).startPostgres() : undefined;
  const engine = nativeDh3072Engine();
  const server = await startPrekeyServerChild({
    domain: stack.componentDomain,
    secret: stack.componentSecret,
    port: stack.componentPort,
    dataDir,
    ...(pgCluster ? { postgresUrl: await pgCluster.createDatabase('prekeys') } : {}),
    ...(values['cpu-prof'] ? { cpuProfDir: values['cpu-prof'] } : {}),
    ...(values['verify-threads'] !== undefined ? { verifyThreads: Number(values['verify-threads']) } : {}),
  });
  const pids = { server: server.pid, prosody: prosodyPid(stack.dir) };
  const conns: Connection[] = [];
  try {
    const info: PrekeyServerInfo = { jid: stack.componentDomain, fingerprint: server.fingerprint };
    const client = async (user: string) => {
      const c = await connect(stack, user, `${user}-pw`, 'bench');
      conns.push(c);
      const prekeyClient = new PrekeyClient({
        xmpp: c.xmpp,
        device: makeDevice(),
        random,
        clock: Date.now,
        engine,
        savePrekeySecrets: new SecretStore().save,
        responseTimeoutMs: 120_000,
      });
      return { conn: c, client: prekeyClient };
    };
    const publishers = await Promise.all(Array.from({ length: P }, (_, i) => client(`pub${i}`)));
    const retrievers = await Promise.all(Array.from({ length: R }, (_, i) => client(`ret${i}`)));
    // profiles first (not timed)
    await Promise.all(publishers.map((p) => p.client.publish(info, { clientProfile: true, prekeyProfile: true })));

    const phases: Phase[] = [];
    phases.push(
      await measure(`publication (${N} prekeys, DAKE + proofs)`, P, pids, async (lat) => {
        await Promise.all(
          publishers.map(async (p) => {
            for (let k = 0; k < K; k++) {
              const s = performance.now();
              await p.client.publish(info, { prekeyMessages: N });
              lat.push(performance.now() - s);
            }
          }),
        );
        return P * K;
      }),
    );
    // server capacity for publications: the same DAKE, proofs and publication on the wire, with
    // the prekey messages' key pairs made before the phase (prekey-capacity.ts)
    let capPhase: Phase | undefined;
    if (CAP > 0) {
      const cap: CapacityPublisher[] = [];
      for (let i = 0; i < CP; i++) {
        const conn = await connect(stack, `cap${i}`, `cap${i}-pw`, 'bench');
        conns.push(conn);
        const device = makeDevice();
        const p = { conn, device, made: makePrekeys(device, CAP * N, engine) };
        await publishOnce(p, info, [], true, engine); // profiles first (not timed)
        cap.push(p);
      }
      capPhase = await measure(`publication (server capacity: ${N} prekeys made beforehand; DAKE + proofs timed)`, CP, pids, (lat) =>
        capacityPublications(cap, info, CAP, N, engine, lat),
      );
      phases.push(capPhase);
    }
    let handed = 0;
    phases.push(
      await measure('ensemble retrieval (PrekeyClient validates)', R, pids, async (lat) => {
        await Promise.all(
          retrievers.map(async (r, i) => {
            for (let k = 0; k < M; k++) {
              const s = performance.now();
              const got = await r.client.retrieve(`pub${(i + k) % P}@${stack.domain}`, info);
              lat.push(performance.now() - s);
              handed += got.byInstanceTag.size;
            }
          }),
        );
        return R * M;
      }),
    );
    let rawHanded = 0;
    if (RAW > 0) {
      // enough prekey messages that every capacity retrieval is answered with an ensemble (untimed)
      await topUp(
        publishers.map((p) => p.client),
        info,
        Math.ceil(RAW / P) + 1,
      );
      phases.push(
        await measure('ensemble retrieval (server capacity: answers not validated)', R * DEPTH, pids, async (lat) => {
          rawHanded = await rawRetrievals(
            retrievers.map((r) => r.conn),
            stack.componentDomain,
            Array.from({ length: P }, (_, i) => `pub${i}@${stack.domain}`),
            RAW,
            DEPTH,
            lat,
          );
          return RAW;
        }),
      );
    }
    printTable(prekeyRows(phases, N));
    console.log(
      `storage: ${values.postgres ? 'PostgreSQL (fsync=off test cluster)' : 'SQLite'}; verify threads: ${values['verify-threads'] ?? 'default'}; ensembles handed out: ${handed} validated, ${rawHanded} counted; ` +
        `CPU ms/op = CPU time of each process during the phase divided by the operations`,
    );
    console.log(`end: ${loadLine()}`);
    // issue 17's goals for the prekey server
    const rate = (p: Phase | undefined) => (p ? p.ops / p.seconds : 0);
    const [pub] = phases;
    const [ret, cap] = phases.filter((p) => p.name.startsWith('ensemble'));
    if (capPhase) {
      const ms = (1000 * capPhase.cpu.server) / capPhase.ops;
      const loop = (1000 * capPhase.cpu.serverLoop) / capPhase.ops;
      console.log(
        `server capacity for publications: ${ms.toFixed(1)} ms of server CPU per publication (${loop.toFixed(1)} on its event loop) → ${(1000 / ms).toFixed(1)}/s per core of the server`,
      );
    }
    // end to end, the bench's publishers also make 2·N key pairs per publication on the same cores
    // (docs/performance.md, Prekey server, round four): that is the machine's figure; the
    // server's is the capacity phase's, below
    benchResult({
      name: `prekey publications/s end to end (${N} prekeys each, key pairs made during the phase on the same cores)`,
      value: rate(pub),
      unit: '/s',
      goal: '>= 30',
      met: rate(pub) >= 30,
    });
    if (capPhase) {
      benchResult({
        name: `prekey publications/s through Prosody, server capacity (${N} prekeys each, their key pairs made beforehand; DAKE, proofs, validation timed)`,
        value: rate(capPhase),
        unit: '/s',
        goal: '>= 30',
        met: rate(capPhase) >= 30,
      });
    }
    benchResult({ name: 'prekey retrievals/s (clients validate, same machine)', value: rate(ret), unit: '/s', goal: '>= 300', met: rate(ret) >= 300 });
    if (cap) benchResult({ name: 'prekey retrievals/s (server capacity)', value: rate(cap), unit: '/s', goal: '>= 300', met: rate(cap) >= 300 });
  } finally {
    for (const c of conns) await c.stop();
    await server.stop();
    await pgCluster?.stop();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
