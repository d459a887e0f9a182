// Test harness: the push server as a real child process (issue 4: tests against real
// processes), throwaway TLS certificates made with the openssl CLI, and sealed knocks.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { sealKnock } from '../../../src-shared/push/seal';
import { PushClient } from '../../../src-shared/node-push/client';
import type { KnockEnvelope } from '../../../src-shared/push/wire';

export const ROOT = resolve(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'src-server/push/cli.ts');

export function tempDir(prefix = 'push-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface ServerProc {
  endpoint: string;
  port: number;
  proc: ChildProcess;
  /** stderr collected so far (JSON log lines) */
  logs: () => string;
  /** resolves when a stderr log line matches (event-driven; the timeout is a safety net) */
  waitForLog(re: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM and wait for exit */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit */
  kill(): Promise<void>;
}

/** Starts `cli.ts` with the given arguments; resolves on its "listening" line. */
export function startServer(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ServerProc> {
  // PUSH_NODE_ARGS: extra node flags for the server processes (e.g. --cpu-prof when profiling the bench)
  const nodeArgs = process.env.PUSH_NODE_ARGS ? process.env.PUSH_NODE_ARGS.split(' ') : [];
  const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', CLI, '--host', '127.0.0.1', '--scrypt-log-n', '10', '--log-level', 'warn', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...(opts.env ?? {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const logWaiters = new Set<() => void>();
  proc.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
    for (const w of [...logWaiters]) w();
  });
  const waitForLog = (re: RegExp, timeoutMs = 30_000) =>
    new Promise<void>((res, rej) => {
      const check = () => {
        if (re.test(stderr)) {
          logWaiters.delete(check);
          clearTimeout(t);
          res();
        }
      };
      const t = setTimeout(() => {
        logWaiters.delete(check);
        rej(new Error(`log ${re} not seen: ${stderr.slice(-2000)}`));
      }, timeoutMs);
      logWaiters.add(check);
      check();
    });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const waitExit = async (signal: NodeJS.Signals) => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    await exited;
  };
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`push server did not start: ${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    const early = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`push server exited with ${code}: ${stderr}`));
    };
    proc.once('exit', early);
    const rl = createInterface({ input: proc.stdout! });
    rl.on('line', (line) => {
      let msg: { event?: string; endpoint?: string; port?: number };
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        return;
      }
      if (msg.event === 'listening' && msg.endpoint && msg.port) {
        clearTimeout(timer);
        proc.off('exit', early);
        resolvePromise({
          endpoint: msg.endpoint,
          port: msg.port,
          proc,
          logs: () => stderr,
          waitForLog,
          stop: () => waitExit('SIGTERM'),
          kill: () => waitExit('SIGKILL'),
        });
      }
    });
  });
}

export interface Pki {
  dir: string;
  caFile: string;
  ca: string;
  /** certificate and key for 127.0.0.1 / localhost signed by the CA */
  certFile: string;
  keyFile: string;
  /** a second CA nobody trusts, with its own leaf (for "untrusted peer" cases) */
  rogueCertFile: string;
  rogueKeyFile: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      `${name}-ca.key`,
      '-out',
      `${name}-ca.pem`,
      '-days',
      '2',
      '-subj',
      `/CN=${name} throwaway test CA`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
}
function makeLeaf(dir: string, ca: string, name: string): void {
  writeFileSync(
    join(dir, `${name}.ext`),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  openssl(
    ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=127.0.0.1'],
    dir,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}-ca.pem`,
      '-CAkey',
      `${ca}-ca.key`,
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    ],
    dir,
  );
}

/** A throwaway CA and server certificate for loopback, generated with the openssl CLI. */
export function makePki(): Pki {
  const dir = tempDir('push-pki-');
  makeCa(dir, 'test');
  makeLeaf(dir, 'test', 'server');
  makeCa(dir, 'rogue');
  makeLeaf(dir, 'rogue', 'rogue');
  return {
    dir,
    caFile: join(dir, 'test-ca.pem'),
    ca: readFileSync(join(dir, 'test-ca.pem'), 'utf8'),
    certFile: join(dir, 'server.pem'),
    keyFile: join(dir, 'server.key'),
    rogueCertFile: join(dir, 'rogue.pem'),
    rogueKeyFile: join(dir, 'rogue.key'),
  };
}

export function tlsArgs(pki: Pki): string[] {
  return ['--tls-cert', pki.certFile, '--tls-key', pki.keyFile, '--ca', pki.caFile];
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export const randomKnockId = (): string => randomBytes(16).toString('base64url');

/** A sealed knock from (fromEndpoint, fromName) to (toEndpoint, toName) with a fresh key. */
export function makeKnock(
  from: { endpoint: string; push_name: string },
  to: { endpoint: string; push_name: string },
  key: Uint8Array = randomBytes(32),
): KnockEnvelope {
  return sealKnock({
    sharedKey: key,
    from,
    to,
    secret: { protocol: 'xmpp', account_name: 'alice@example.org', buddy_name: 'bob@example.net', time: Date.now(), id: randomKnockId() },
    random: (n) => randomBytes(n),
  });
}

/** the push clients a test makes, all closed at its end */
export class ClientPool {
  readonly #clients: PushClient[] = [];

  make(endpoint: string, ca?: string): PushClient {
    const c = new PushClient({ endpoint, ...(ca ? { ca } : {}) });
    this.#clients.push(c);
    return c;
  }

  closeAll(): void {
    for (const c of this.#clients.splice(0)) c.close();
  }
}
