// Profiling harness for OTRv3 one-way data messages (no libotr): both sides in one process, native
// engines as in the core (--pure: the library's pure defaults).
// Run: node --cpu-prof --import tsx bench/otrv3-profile.ts [messages=20000] [--pure]
// and summarise with: npx tsx bench/cpuprofile-summary.ts <file.cpuprofile>
import { randomBytes } from 'node:crypto';
import { OPPORTUNISTIC_POLICY } from '../src-shared/otr/api';
import { V3Conversation } from '../src-shared/otr/v3/conversation';
import { nativeV3Symmetric } from '../src-shared/node-crypto/symmetric-engine';
import { pureSymmetric } from '../src-shared/otr/v3/symmetric';
import { fixtureKey, nativeDh1536Engine } from '../src-shared/otr/v3/test-support/keys';
import { loadLine } from './support';

const pure = process.argv.includes('--pure');
const n = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 20000);
const engine = nativeDh1536Engine();
const symmetric = pure ? pureSymmetric : nativeV3Symmetric();
const mk = (key: number, tag: number) =>
  new V3Conversation({
    identity: { instanceTag: tag, dsaKey: fixtureKey(key) },
    rng: (k) => new Uint8Array(randomBytes(k)),
    clock: () => 0,
    engine,
    symmetric,
    policy: { ...OPPORTUNISTIC_POLICY, allowV4: false },
  });
const a = mk(0, 0x1000);
const b = mk(1, 0x2000);
let toB = a.start().toSend;
let toA: string[] = [];
while (toA.length || toB.length) {
  const nb = toB.flatMap((m) => b.receive(m).toSend);
  toB = toA.flatMap((m) => a.receive(m).toSend);
  toA = nb;
}
const text = 'x'.repeat(100);
let shown = 0;
const t0 = process.cpuUsage();
for (let i = 0; i < n; i++) for (const m of a.send(text).toSend) for (const e of b.receive(m).events) if (e.type === 'message') shown++;
const u = process.cpuUsage(t0);
if (shown !== n) throw new Error(`lost: ${shown}`);
console.log(`${n} one-way messages (${pure ? 'pure' : 'native'} symmetric engine): ${((u.user + u.system) / n).toFixed(2)} µs CPU each; ${loadLine()}`);
