// The group service (src-server/groups/cli.ts) as a child process on a stack's component port:
// `npm run stack` starts one as groups.<domain> so a developer has groups locally, and the
// integration tests start theirs the same way (docs/groups.md §"Running the service"). It prints
// {"ready":true} once its component is online and, with --log-events, one {"event":…} per line.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src-server/groups/cli.ts', import.meta.url));

export interface GroupServiceOptions {
  domain: string;
  secret: string;
  host: string;
  port: number;
  dataDir: string;
  /** more CLI arguments, e.g. ['--vouch-timeout', '5'] */
  extraArgs?: string[];
}

export interface GroupServiceProcess {
  domain: string;
  events: Record<string, unknown>[];
  /** resolves with the first event (past or future) matching `pred` */
  waitEvent(pred: (e: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export async function startGroupServiceProcess(o: GroupServiceOptions): Promise<GroupServiceProcess> {
  const args = ['--import', 'tsx', CLI, '--domain', o.domain, '--host', o.host, '--port', String(o.port), '--data-dir', o.dataDir, '--log-events'];
  // the secret goes through the environment, never the command line (ps shows that)
  const child: ChildProcess = spawn(process.execPath, [...args, ...(o.extraArgs ?? [])], {
    env: { ...process.env, GROUPS_SECRET: o.secret },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: Record<string, unknown>[] = [];
  const subs = new Set<() => void>();
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`group service exited (${code}): ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let parsed: { ready?: boolean; event?: Record<string, unknown> };
      try {
        parsed = JSON.parse(line) as typeof parsed;
      } catch {
        return;
      }
      if (parsed.ready) resolve();
      if (parsed.event) {
        events.push(parsed.event);
        for (const s of [...subs]) s();
      }
    });
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  await ready.finally(() => clearTimeout(killer));
  return {
    domain: o.domain,
    events,
    waitEvent: (pred, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const err = new Error('timed out waiting for a group service event');
        const check = (): void => {
          const hit = events.find(pred);
          if (hit === undefined) return;
          subs.delete(check);
          clearTimeout(t);
          resolve(hit);
        };
        const t = setTimeout(() => {
          subs.delete(check);
          reject(err);
        }, timeoutMs);
        subs.add(check);
        check();
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
