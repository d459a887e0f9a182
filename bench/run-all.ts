// `npm run bench`: every benchmark in its short mode, one after the other, then ONE summary table
// of figure, goal and met / not met. Each script prints, at its end, one line per figure:
//   BENCH-RESULT {"name":…,"value":…,"unit":…,"goal":…,"met":…}
// (bench/support.ts benchResult); this runner collects those lines. A script that printed none
// is listed as "no result line", one that is missing or failed says so. Short runs are for a
// quick look: figures of record come from each script's long mode (bench/README.md).
// Run: npm run bench [-- --only otrv3,push] [-- --timeout-min 20]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadLine, runMain } from './support';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

interface Script {
  file: string;
  /** arguments of its short mode */
  args: string[];
  /** runs the real core: needs a Secret Service keychain (a throwaway one is started) */
  keychain?: boolean;
}

// otrv4-dake.ts and prekey.ts have no --short yet: their short mode is given by their own options
const SCRIPTS: Script[] = [
  { file: 'otrv3.ts', args: ['--short'] },
  { file: 'otrv4-dake.ts', args: ['10'] },
  { file: 'otrv4-ratchet.ts', args: ['--short'] },
  {
    file: 'prekey.ts',
    args: ['--publishers', '2', '--publications', '3', '--prekeys', '5', '--retrievers', '2', '--retrievals', '20', '--cap-publications', '10'],
  },
  // the issue 17 goal is paced 1,000/s between two federated servers (push.ts defaults to 500/s, the first budget)
  { file: 'push.ts', args: ['--short', '--scenario', 'federated', '--rate', '1000'] },
  { file: 'messaging.ts', args: ['--short'], keychain: true },
  { file: 'core-memory.ts', args: ['--short'], keychain: true },
  { file: 'soak.ts', args: ['--short'], keychain: true },
  { file: 'groups.ts', args: ['--short'] },
  { file: 'wake.ts', args: ['--short'] },
  { file: 'timeline.ts', args: ['--short'], keychain: true },
];

export interface BenchResultLine {
  name: string;
  value: number;
  unit: string;
  goal: string;
  met: boolean;
}

/** the BENCH-RESULT lines of a script's output; malformed ones are reported, not dropped silently */
export function collect(output: string): { results: BenchResultLine[]; bad: number } {
  const results: BenchResultLine[] = [];
  let bad = 0;
  for (const line of output.split('\n')) {
    const m = /^BENCH-RESULT (\{.*\})\s*$/.exec(line);
    if (!m) continue;
    try {
      const r = JSON.parse(m[1]!) as Partial<BenchResultLine>;
      if (typeof r.name === 'string' && typeof r.value === 'number' && typeof r.unit === 'string' && typeof r.goal === 'string' && typeof r.met === 'boolean')
        results.push(r as BenchResultLine);
      else bad++;
    } catch {
      bad++;
    }
  }
  return { results, bad };
}

// the throwaway keyring session of bench/README.md, around one command
const KEYRING = 'export HOME=$(mktemp -d); echo -n throwaway | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec "$@"';

function run(s: Script, timeoutMs: number): Promise<{ code: number | null; output: string; seconds: number }> {
  const node = [process.execPath, '--import', 'tsx', join('bench', s.file), ...s.args];
  const cmd = s.keychain && !process.env.DBUS_SESSION_BUS_ADDRESS ? ['dbus-run-session', '--', 'bash', '-c', KEYRING, 'bench-keyring', ...node] : node;
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd[0]!, cmd.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const take = (d: Buffer) => {
      output += d.toString('utf8');
      process.stdout.write(d);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => {
      output += `\n(timed out after ${timeoutMs / 60000} min)\n`;
      if (child.pid) process.kill(-child.pid, 'SIGTERM'); // its own process group: the script and what it started
    }, timeoutMs);
    child.on('error', (e) => {
      output += `\n${e.message}\n`;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, seconds: (Date.now() - t0) / 1000 });
    });
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { only: { type: 'string' }, 'timeout-min': { type: 'string', default: '20' } } });
  const only = values.only?.split(',').map((x) => (x.endsWith('.ts') ? x : `${x}.ts`));
  const timeoutMs = Number(values['timeout-min']) * 60_000;
  const start = loadLine();
  const rows: Array<{ script: string; name: string; value: string; goal: string; met: string }> = [];
  const runs: string[] = [];
  for (const s of SCRIPTS) {
    if (only && !only.includes(s.file)) continue;
    if (!existsSync(join(here, s.file))) {
      rows.push({ script: s.file, name: '—', value: '—', goal: '—', met: 'script missing' });
      continue;
    }
    console.log(`\n=== bench/${s.file} ${s.args.join(' ')} (${loadLine()})`);
    const r = await run(s, timeoutMs);
    runs.push(`${s.file}: exit ${r.code ?? 'killed'}, ${r.seconds.toFixed(0)} s`);
    const { results, bad } = collect(r.output);
    for (const x of results) rows.push({ script: s.file, name: x.name, value: `${x.value} ${x.unit}`, goal: x.goal, met: x.met ? 'met' : 'NOT met' });
    if (results.length === 0)
      rows.push({ script: s.file, name: '—', value: '—', goal: '—', met: r.code === 0 ? 'no result line' : `no result line (exit ${r.code ?? 'killed'})` });
    if (bad > 0) rows.push({ script: s.file, name: `${bad} malformed BENCH-RESULT line(s)`, value: '—', goal: '—', met: '—' });
  }
  console.log('\n# npm run bench: summary (short runs; figures of record: docs/performance.md)');
  console.log(`start: ${start}`);
  console.log(`end:   ${loadLine()}`);
  console.log(runs.join('; '));
  console.log('');
  console.log('| script | figure | value | goal | met? |');
  console.log('|---|---|---:|---|---|');
  for (const r of rows) console.log(`| ${r.script} | ${r.name} | ${r.value} | ${r.goal} | ${r.met} |`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) runMain(main);
