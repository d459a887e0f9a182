// Inclusive time of the prekey server's protocol steps in a V8 .cpuprofile of the server process
// (bench/prekey.ts --cpu-prof DIR): which step of publication or retrieval the CPU went to.
// bench/cpuprofile-summary.ts gives self time per function; this gives time per step, callees
// included (a function that recurses is counted once per sample).
//   npx tsx bench/prekey-profile.ts <file.cpuprofile> [function names…]
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
const [file, ...asked] = process.argv.slice(2);
const STEPS = asked.length
  ? asked
  : [
      'handle',
      'decodeTopLevel',
      'onDake1',
      'validateClientProfile',
      'prekeyRingSign',
      'sharedSecret',
      'onDake3',
      'prekeyRingVerify',
      'decodeAttached',
      'verifyPublication',
      'verifyEcdhProof',
      'verifyDhProof',
      'validatePrekeyProfile',
      'validatePrekeyMessage',
      'readPrekeyMessage',
      'readClientProfile',
      'readPrekeyProfile',
      'decodePoint',
      'storePublication',
      'onQuery',
      'takeEnsembles',
      'encodeMessage',
      'encodeBody',
      'toStanza',
    ];
const prof = JSON.parse(readFileSync(file!, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const incl = new Map<string, number>(STEPS.map((s) => [s, 0]));
let busy = 0;
prof.samples.forEach((id, i) => {
  const dt = prof.timeDeltas[i] ?? 0;
  const leaf = byId.get(id)!.callFrame.functionName;
  if (leaf === '(idle)' || leaf === '(program)') return;
  busy += dt;
  const seen = new Set<string>();
  for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
    const name = byId.get(n)!.callFrame.functionName;
    if (incl.has(name) && !seen.has(name)) {
      seen.add(name);
      incl.set(name, incl.get(name)! + dt);
    }
  }
});
console.log(`busy (not idle) ${(busy / 1000).toFixed(0)} ms sampled; inclusive time per step:`);
for (const [name, t] of incl) console.log(`${(t / 1000).toFixed(0).padStart(7)} ms  ${((100 * t) / busy).toFixed(1).padStart(5)} %  ${name}`);
