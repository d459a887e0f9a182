// A throwaway PostgreSQL 15 for integration tests: initdb into a temp directory owned by the
// postgres user (the server refuses to run as root), listening on 127.0.0.1 on a free port.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface Postgres {
  url: string;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<Postgres> {
  const dir = await mkdtemp(join(tmpdir(), 'prekey-pg-'));
  await chmod(dir, 0o755);
  const data = join(dir, 'data');
  const sock = join(dir, 'sock');
  await run('install', ['-d', '-o', 'postgres', '-m', '700', data]);
  await run('install', ['-d', '-o', 'postgres', '-m', '700', sock]);
  await run('runuser', ['-u', 'postgres', '--', `${BIN}/initdb`, '-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const port = await freePort();
  const child: ChildProcess = spawn('runuser', ['-u', 'postgres', '--', `${BIN}/postgres`, '-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', sock, '-F'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    const t = setTimeout(() => reject(new Error(`postgres did not start: ${log}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('ready to accept connections')) {
        clearTimeout(t);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`postgres exited (${code}): ${log}`));
    });
  });
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        // runuser does not forward signals: ask the server itself for a fast shutdown
        run('runuser', ['-u', 'postgres', '--', `${BIN}/pg_ctl`, 'stop', '-D', data, '-m', 'fast']).catch(() => child.kill('SIGKILL'));
      });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
