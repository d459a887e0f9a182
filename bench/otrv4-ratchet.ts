// Benchmark of the OTRv4 double ratchet (docs/architecture.md §10: data message encrypt+decrypt < 1 ms median
// without a new ratchet). Prints a table: encrypt+decrypt of one data message in the same chain,
// with an ECDH ratchet step (symmetric brace-key step), and with a DH brace-key step (every third
// ratchet: new 3072-bit DH key, validation and shared secret through Node's native engine).
// Run: npx tsx bench/otrv4-ratchet.ts [--short] (--short: 600 same-chain and 120 ratcheting messages, for `npm run bench`)
import { randomBytes } from 'node:crypto';
import { decodeDataMessage } from '../src-shared/otr/v4/data-message';
import { generateDhKeyPair, generateEcdhKeyPair, initRatchet } from '../src-shared/otr/v4/ratchet';
import { nativeDh3072Engine } from '../src-shared/node-crypto/dh-engines';
import { benchResult, isShort, loadLine } from './support';

const SHORT = isShort();

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const dh = nativeDh3072Engine();
const clock = (): number => Date.now();

function pair() {
  const K = random(64);
  const aE = generateEcdhKeyPair(random);
  const aD = generateDhKeyPair(random, dh);
  const bE = generateEcdhKeyPair(random);
  const bD = generateDhKeyPair(random, dh);
  const common = { mode: 'interactive' as const, sharedSecret: K, random, clock, dh };
  const alice = initRatchet({
    ...common,
    role: 'alice',
    ourEcdh: aE,
    ourDh: aD,
    theirEcdh: bE.public,
    theirDh: bD.public,
    ourInstanceTag: 0x100,
    theirInstanceTag: 0x200,
  });
  const bob = initRatchet({
    ...common,
    role: 'bob',
    ourEcdh: bE,
    ourDh: bD,
    theirEcdh: aE.public,
    theirDh: aD.public,
    ourInstanceTag: 0x200,
    theirInstanceTag: 0x100,
  });
  return { alice, bob };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const p95 = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length * 0.95)]!;
};

const payload = new TextEncoder().encode('Hello, this is a typical chat message of about sixty bytes.');

// 1. same chain (no new ratchet)
const same: number[] = [];
{
  const { alice, bob } = pair();
  bob.decrypt(alice.encrypt(payload).message);
  for (let n = 0; n < (SHORT ? 600 : 3000); n++) {
    const t = performance.now();
    bob.decrypt(alice.encrypt(payload).message);
    same.push(performance.now() - t);
  }
}

// 2./3. every message in the other direction: each one is a new ratchet (sender + receiver step)
const ecdhStep: number[] = [];
const braceStep: number[] = [];
{
  const { alice, bob } = pair();
  let from = alice;
  let to = bob;
  for (let n = 0; n < (SHORT ? 120 : 600); n++) {
    const t = performance.now();
    const m = from.encrypt(payload).message;
    to.decrypt(m);
    const dt = performance.now() - t;
    if (n > 1) (decodeDataMessage(m).dh === null ? ecdhStep : braceStep).push(dt);
    [from, to] = [to, from];
  }
}

const rows = [
  ['same chain (no new ratchet)', same],
  ['ECDH ratchet step (brace key by KDF)', ecdhStep],
  ['ECDH + DH-3072 brace-key step', braceStep],
] as const;
console.log('OTRv4 data message encrypt+decrypt (both sides, one process)');
console.log(`${'case'.padEnd(40)} ${'n'.padStart(5)} ${'median ms'.padStart(10)} ${'p95 ms'.padStart(8)}`);
for (const [name, xs] of rows) {
  console.log(`${name.padEnd(40)} ${String(xs.length).padStart(5)} ${median(xs).toFixed(3).padStart(10)} ${p95(xs).toFixed(3).padStart(8)}`);
}
const ok = median(same) < 1;
console.log(`budget (docs/architecture.md §10): same-chain median < 1 ms: ${ok ? 'met' : 'NOT met'}`);
console.log(loadLine());
benchResult({ name: 'OTRv4 data message encrypt+decrypt, same chain, median', value: median(same), unit: 'ms', goal: '< 1 ms', met: ok });
