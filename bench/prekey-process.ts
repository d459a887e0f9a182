// For bench/prekey.ts: the prekey server as its own process (src-server/prekey/cli.ts), so that
// its CPU time can be told apart from the bench's clients and from Prosody, and so that
// `node --cpu-prof` profiles the server alone. CPU figures come from the scheduler
// (/proc/PID/task/TID/schedstat, ns), as bench/push.ts does: utime/stime are tick-sampled.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'src-server/prekey/cli.ts');

export interface PrekeyServerChild {
  pid: number;
  fingerprint: string;
  stop(): Promise<void>;
}

export interface PrekeyServerChildOptions {
  domain: string;
  secret: string;
  port: number;
  dataDir: string;
  postgresUrl?: string;
  /** worker threads verifying publications (the server's default when absent) */
  verifyThreads?: number;
  /** write a V8 CPU profile of the server into this directory when it stops */
  cpuProfDir?: string;
}

export async function startPrekeyServerChild(o: PrekeyServerChildOptions): Promise<PrekeyServerChild> {
  const big = '1000000000';
  const args = [
    ...(o.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', o.cpuProfDir] : []),
    '--import',
    'tsx',
    CLI,
    '--domain',
    o.domain,
    '--host',
    '127.0.0.1',
    '--port',
    String(o.port),
    '--data-dir',
    o.dataDir,
    // the bench measures throughput, not the abuse limits
    '--retrievals',
    big,
    '--target-retrievals',
    big,
    '--dakes',
    big,
    '--max-prekeys',
    big,
    ...(o.postgresUrl ? ['--postgres', o.postgresUrl] : []),
    ...(o.verifyThreads !== undefined ? ['--verify-threads', String(o.verifyThreads)] : []),
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, PREKEY_SECRET: o.secret },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const fingerprint = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`prekey server did not start: ${stderr}`)), 60_000);
    child.once('exit', (code) => rej(new Error(`prekey server exited (${code}): ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const m = JSON.parse(line) as { ready?: boolean; fingerprint?: string };
        if (m.ready && m.fingerprint) {
          clearTimeout(timer);
          res(m.fingerprint);
        }
      } catch {
        // not one of its JSON lines
      }
    });
  });
  return {
    pid: child.pid!,
    fingerprint,
    async stop() {
      if (child.exitCode !== null) return;
      // SIGTERM: the CLI stops cleanly, so that --cpu-prof writes its profile
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** CPU seconds a process's threads have run so far (scheduler figures) */
export function cpuSeconds(pid: number | 'self'): number {
  let run = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      run += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e9;
    } catch {
      // the thread ended meanwhile
    }
  }
  return run;
}

/** CPU seconds of a process's main thread (a Node process's event loop) */
export function mainThreadSeconds(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e9;
}

/** Prosody's pid, from the pidfile the stack's configuration names */
export function prosodyPid(stackDir: string): number {
  return Number(readFileSync(join(stackDir, 'prosody.pid'), 'utf8').trim());
}
