// A throwaway PostgreSQL 15 cluster for the push and prekey servers' tests (Debian's binaries). PostgreSQL refuses to run as
// root, so initdb and postgres run as the `postgres` user via runuser, on a data directory in a
// temporary directory owned by that user, listening on 127.0.0.1 on a free port with its unix
// socket inside the temporary directory. Missing binaries are an error, not a skip.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../stack/stack';

const BIN = '/usr/lib/postgresql/15/bin';

export interface PgCluster {
  port: number;
  /** connection string for a fresh database */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** `settings`: more server settings (`name=value`, each passed as `-c`), e.g. for a benchmark */
export async function startPostgres(opts: { settings?: string[] } = {}): Promise<PgCluster> {
  for (const b of ['initdb', 'postgres', 'pg_ctl']) {
    if (!existsSync(join(BIN, b))) {
      throw new Error(`PostgreSQL 15 binaries not found in ${BIN} (missing ${b}): install Debian's postgresql-15 package to run the PostgreSQL tests`);
    }
  }
  const root = mkdtempSync(join(tmpdir(), 'test-pg-'));
  chmodSync(root, 0o755);
  const data = join(root, 'data');
  const sock = join(root, 'sock');
  mkdirSync(sock);
  execFileSync('chown', ['-R', 'postgres:postgres', root]);
  const asPg = (cmd: string, args: string[]) => ['-u', 'postgres', '--', join(BIN, cmd), ...args];
  execFileSync('runuser', asPg('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']), { stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await freePort();
  const proc: ChildProcess = spawn(
    'runuser',
    asPg('postgres', [
      '-D',
      data,
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-k',
      sock,
      '-c',
      'fsync=off',
      '-c',
      'max_connections=100',
      ...(opts.settings ?? []).flatMap((x) => ['-c', x]),
    ]),
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`postgres did not start: ${log}`)), 60_000);
    proc.stderr!.on('data', (c: Buffer) => {
      log += c.toString();
      if (log.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`postgres exited with ${code}: ${log}`));
    });
  });
  proc.removeAllListeners('exit');
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    port,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error('bad database name');
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${name}`);
      } finally {
        await c.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      try {
        execFileSync('runuser', asPg('pg_ctl', ['-D', data, 'stop', '-m', 'fast', '-w']), { stdio: 'ignore' });
      } catch {
        proc.kill('SIGKILL');
      }
      await exited;
      rmSync(root, { recursive: true, force: true });
    },
  };
}
