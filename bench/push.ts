// Push server benchmark (DESIGN.md 10: ≥ 500 knocks/s relayed between two federated servers on
// one machine, p99 < 50 ms). Two real server processes with TLS on loopback, many desktop devices
// connected; latency is measured from just before POST knocks/ to the delivery arriving on the
// recipient's desktop channel (which then acknowledges it). Bounded: a fixed number of knocks per
// scenario. Run: npx tsx bench/push.ts [--knocks N] [--devices N] [--concurrency N]
import { parseArgs } from 'node:util';
import { cpus, loadavg } from 'node:os';
import { PushClient, type DesktopConnection } from '../src-shared/push/client';
import { makeKnock, makePki, removeDir, startServer, tempDir, tlsArgs, type ServerProc } from '../src-server/push/test-support/harness';
import type { KnockEnvelope } from '../src-shared/push/wire';

const { values } = parseArgs({
  options: {
    knocks: { type: 'string', default: '2000' },
    devices: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '32' },
  },
});
const KNOCKS = Math.min(20_000, Number(values.knocks));
const DEVICES = Math.min(2_000, Number(values.devices));
const CONCURRENCY = Math.min(256, Number(values.concurrency));

const UNLIMITED = ['--rate-ip', '0:0', '--rate-account', '0:0', '--rate-peer', '0:0', '--rate-token', '0:0'];

interface Result {
  scenario: string;
  knocks: number;
  deliveries: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function setupRecipients(server: ServerProc, ca: string, prefix: string, n: number): Promise<{ names: string[]; perName: number[]; conns: DesktopConnection[]; clients: PushClient[] }> {
  const names: string[] = [];
  const perName: number[] = [];
  const conns: DesktopConnection[] = [];
  const clients: PushClient[] = [];
  // a few accounts with many devices each: fan-out is part of the load
  const perAccount = 4;
  for (let i = 0; i < Math.ceil(n / perAccount); i++) {
    const c = new PushClient({ endpoint: server.endpoint, ca });
    clients.push(c);
    const name = `${prefix}${i}`;
    await c.createOrLogin(name, 'bench-password');
    names.push(name);
    perName.push(0);
    for (let d = 0; d < perAccount && conns.length < n; d++) {
      const dev = await c.registerDevice('desktop');
      conns.push(await c.connectDesktop(dev.registration_id!));
      perName[perName.length - 1]!++;
    }
  }
  return { names, perName, conns, clients };
}

async function run(scenario: string, sender: PushClient, from: { endpoint: string; push_name: string }, toEndpoint: string, recipients: { names: string[]; perName: number[]; conns: DesktopConnection[] }): Promise<Result> {
  const knocks: KnockEnvelope[] = Array.from({ length: KNOCKS }, (_, i) => makeKnock(from, { endpoint: toEndpoint, push_name: recipients.names[i % recipients.names.length]! }));
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let expected = 0;
  for (let i = 0; i < KNOCKS; i++) expected += recipients.perName[i % recipients.names.length]!;
  let received = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  for (const conn of recipients.conns) {
    conn.onDelivery((d) => {
      if (d.payload.kind !== 'knock') return;
      const t0 = sentAt.get(d.payload.knock.id);
      if (t0 === undefined) return;
      latencies.push(performance.now() - t0);
      void conn.ack(d.delivery);
      if (++received === expected) resolveDone();
    });
  }
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < knocks.length) {
      const k = knocks[next++]!;
      sentAt.set(k.id, performance.now());
      await sender.sendKnock(k);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error(`${scenario}: only ${received}/${expected} deliveries`)), 120_000))]);
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { scenario, knocks: KNOCKS, deliveries: expected, seconds, perSecond: KNOCKS / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1)! };
}

async function main(): Promise<void> {
  const loadBefore = loadavg();
  const pki = makePki();
  const dirs = [tempDir(), tempDir()];
  const s1 = await startServer(['--data-dir', dirs[0]!, '--port', '0', ...tlsArgs(pki), ...UNLIMITED]);
  const s2 = await startServer(['--data-dir', dirs[1]!, '--port', '0', ...tlsArgs(pki), ...UNLIMITED, '--register-with', s1.endpoint, '--log-level', 'info']);
  await s2.waitForLog(/registered with peer/);
  const clients: PushClient[] = [];
  const conns: DesktopConnection[] = [];
  try {
    const sender = new PushClient({ endpoint: s1.endpoint, ca: pki.ca });
    clients.push(sender);
    await sender.createOrLogin('sender', 'bench-password');
    const local = await setupRecipients(s1, pki.ca, 'l', DEVICES / 2);
    const remote = await setupRecipients(s2, pki.ca, 'r', DEVICES / 2);
    clients.push(...local.clients, ...remote.clients);
    conns.push(...local.conns, ...remote.conns);
    const from = { endpoint: s1.endpoint, push_name: 'sender' };
    const results = [await run('local (one server)', sender, from, s1.endpoint, local), await run('federated (s1 → s2 relay)', sender, from, s2.endpoint, remote)];
    console.log(`\nmachine: ${cpus().length} CPUs, load average before/after ${loadBefore.map((x) => x.toFixed(1)).join(' ')} / ${loadavg().map((x) => x.toFixed(1)).join(' ')} (other work on the machine distorts these figures)`);
    console.log(`push benchmark: ${KNOCKS} knocks per scenario, ${conns.length} desktop devices connected (4 per account), ${CONCURRENCY} concurrent senders, TLS, SQLite, loopback`);
    console.log('| scenario | knocks | deliveries | seconds | knocks/s | p50 ms | p99 ms | max ms | budget (≥500/s, p99<50ms) |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const r of results) {
      const ok = r.perSecond >= 500 && r.p99 < 50;
      console.log(`| ${r.scenario} | ${r.knocks} | ${r.deliveries} | ${r.seconds.toFixed(2)} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} | ${ok ? 'met' : 'NOT met'} |`);
    }
  } finally {
    for (const c of conns) await c.close();
    for (const c of clients) c.close();
    await s2.stop();
    await s1.stop();
    for (const d of dirs) removeDir(d);
    removeDir(pki.dir);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
