// OTRv4 DAKE benchmark (docs/architecture.md §10: interactive DAKE, both sides in one process, < 150 ms).
// Run: npx tsx bench/otrv4-dake.ts [runs]
// Each run performs the whole exchange with wire encoding and decoding, every validation
// (profiles, points, DH group membership) and the ring signatures, with the native DH-3072
// engine the app injects (OpenSSL through node:crypto). Long-term keys and profiles are made
// once beforehand, as a client would have them. "Known contact" repeats DAKEs between the same
// two parties (their points, profile signatures and ring-member tables are cached after the first
// DAKEs); "first contact" uses a new pair of parties each run, "new contact" a new Bob with a
// known Alice (issue 17 asks < 60 ms median).
import { cpus, loadavg } from 'node:os';
import {
  createIdentity,
  createNonInteractiveAuth,
  receiveAuthI,
  receiveNonInteractiveAuth,
  respondToAuthR,
  respondToIdentity,
} from '../src-shared/otr/v4/dake';
import {
  decodeDakeMessage,
  encodeDakeMessage,
  type AuthIMessage,
  type AuthRMessage,
  type IdentityMessage,
  type NonInteractiveAuthMessage,
} from '../src-shared/otr/v4/dake-messages';
import { initRatchet } from '../src-shared/otr/v4/ratchet';
import { systemRandom, nativeDh3072Engine } from '../src-shared/otr/v4/test-support/engines';
import { makeParty } from '../src-shared/otr/v4/test-support/parties';

const runs = Number(process.argv[2] ?? 30);
const dh = nativeDh3072Engine();
const clock = () => Date.now();
const alice = makeParty('alice@example.org', 'bob@example.org', systemRandom, dh, clock);
const bob = makeParty('bob@example.org', 'alice@example.org', systemRandom, dh, clock);

function wire<T>(m: T): T {
  return decodeDakeMessage(encodeDakeMessage(m as never)) as T;
}

function interactive(withRatchet: boolean, a = alice, b = bob): void {
  const [alice, bob] = [a, b];
  const id = createIdentity(bob.ctx, bob.identity);
  const r = respondToIdentity(alice.ctx, alice.identity, wire<IdentityMessage>(id.message));
  const i = respondToAuthR(bob.ctx, bob.identity, id.state, wire<AuthRMessage>(r.message));
  const res = receiveAuthI(alice.ctx, alice.identity, r.state, wire<AuthIMessage>(i.message));
  if (withRatchet) {
    for (const [x, tags] of [
      [i.result, [bob.identity.instanceTag, alice.identity.instanceTag]],
      [res, [alice.identity.instanceTag, bob.identity.instanceTag]],
    ] as const) {
      initRatchet({
        mode: x.mode,
        role: x.role,
        sharedSecret: x.sharedSecret,
        ourEcdh: { ...x.ourEcdh! },
        ourDh: { ...x.ourDh! },
        theirEcdh: x.theirEcdh!,
        theirDh: x.theirDh!,
        ourInstanceTag: tags[0],
        theirInstanceTag: tags[1],
        random: systemRandom,
        clock,
        dh,
      });
    }
  }
}

function nonInteractive(): void {
  const ensemble = bob.publishEnsemble(); // Bob's prekey message: made in advance, not timed below
  const c0 = cpuMs();
  const t0 = performance.now();
  const n = createNonInteractiveAuth(alice.ctx, alice.identity, ensemble);
  const got = receiveNonInteractiveAuth(bob.ctx, bob.identity, bob.owner, wire<NonInteractiveAuthMessage>(n.message));
  bob.prekeys.delete(got.prekeyId);
  nonIntTimes.push(performance.now() - t0);
  nonIntCpu.push(cpuMs() - c0);
}

function stats(xs: number[]): { median: number; mean: number; p95: number; min: number } {
  const s = [...xs].sort((a, b) => a - b);
  return {
    median: s[Math.floor(s.length / 2)]!,
    mean: xs.reduce((a, b) => a + b, 0) / xs.length,
    p95: s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]!,
    min: s[0]!,
  };
}

/** CPU time of this process (user + system), less sensitive than wall time to other load */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function time(f: () => void, cpu: number[]): number[] {
  const out: number[] = [];
  for (let k = 0; k < runs; k++) {
    const c0 = cpuMs();
    const t0 = performance.now();
    f();
    out.push(performance.now() - t0);
    cpu.push(cpuMs() - c0);
  }
  return out;
}

// warm-up (JIT, noble precomputations)
for (let k = 0; k < 3; k++) interactive(false);
const nonIntTimes: number[] = [];
const nonIntCpu: number[] = [];
for (let k = 0; k < 3; k++) nonInteractive();
nonIntTimes.length = 0;
nonIntCpu.length = 0;

const rows: Array<[string, ReturnType<typeof stats>, ReturnType<typeof stats>, string]> = [];
const cpu1: number[] = [];
rows.push(['interactive DAKE (Identity, Auth-R, Auth-I; both sides), known contact', stats(time(() => interactive(false), cpu1)), stats(cpu1), '< 150 ms']);
// first contact: long-term keys and profiles never seen before (made beforehand, not timed), so
// nothing of the peer is cached yet (decoded points, verified profile signatures, window tables)
const fresh = Array.from({ length: runs }, (_, k) => [
  makeParty(`alice${k}@example.org`, `bob${k}@example.org`, systemRandom, dh, clock),
  makeParty(`bob${k}@example.org`, `alice${k}@example.org`, systemRandom, dh, clock),
]);
const cpu0: number[] = [];
let next = 0;
rows.push([
  'interactive DAKE, first contact (new keys and profiles each run)',
  stats(
    time(() => {
      const [a, b] = fresh[next++]!;
      interactive(false, a, b);
    }, cpu0),
  ),
  stats(cpu0),
  '—',
]);
// a new contact of a user whose own keys are in use: Alice as in the known-contact row (her H and
// F have their window tables), Bob new each run (his keys and profile are new to everyone)
const newBobs = Array.from({ length: runs }, () => makeParty('bob@example.org', 'alice@example.org', systemRandom, dh, clock));
const cpu3: number[] = [];
let nextBob = 0;
rows.push([
  'interactive DAKE, new contact (Alice known, Bob new each run)',
  stats(time(() => interactive(false, alice, newBobs[nextBob++]!), cpu3)),
  stats(cpu3),
  '—',
]);
const cpu2: number[] = [];
rows.push(['interactive DAKE + double-ratchet init (both sides)', stats(time(() => interactive(true), cpu2)), stats(cpu2), '—']);
for (let k = 0; k < runs; k++) nonInteractive();
rows.push(['non-interactive DAKE (Non-Int-Auth create + receive)', stats(nonIntTimes), stats(nonIntCpu), '—']);

console.log(
  `OTRv4 DAKE benchmark — ${runs} runs each, Node ${process.version}, native DH-3072 (OpenSSL), ${cpus().length} CPUs, load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
console.log("(wall-clock figures grow with machine load; the CPU column is this process's own CPU time)");
console.log('| operation | median ms | mean ms | p95 ms | min ms | median CPU ms | budget |');
console.log('|---|---:|---:|---:|---:|---:|---|');
for (const [name, s, c, budget] of rows)
  console.log(`| ${name} | ${s.median.toFixed(1)} | ${s.mean.toFixed(1)} | ${s.p95.toFixed(1)} | ${s.min.toFixed(1)} | ${c.median.toFixed(1)} | ${budget} |`);
