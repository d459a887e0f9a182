// Self time per function (top 25) and per source file of a V8 .cpuprofile (node --cpu-prof).
// Run: npx tsx bench/cpuprofile-summary.ts <file.cpuprofile>
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
const prof = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(prof.nodes.map((x) => [x.id, x]));
const self = new Map<string, number>();
const files = new Map<string, number>();
let total = 0;
prof.samples.forEach((id, i) => {
  const dt = prof.timeDeltas[i] ?? 0;
  total += dt;
  const f = byId.get(id)!.callFrame;
  const file = f.url.replace(/^.*\/(node_modules\/|src-|bench\/)/, '$1') || '(native/VM)';
  const key = `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + dt);
  files.set(file, (files.get(file) ?? 0) + dt);
});
const top = (m: Map<string, number>, k: number) =>
  [...m]
    .sort((x, y) => y[1] - x[1])
    .slice(0, k)
    .map(([name, t]) => `${((100 * t) / total).toFixed(1).padStart(5)} %  ${name}`)
    .join('\n');
console.log(`total ${(total / 1000).toFixed(0)} ms sampled\n\nby function (self time):\n${top(self, 25)}\n\nby file:\n${top(files, 15)}`);
