// A push server (src-server/push/cli.ts) as a child process of the local stack: HTTPS/WSS with a
// leaf of the stack's CA, federation with the other domain's push server (docs/push-server.md,
// "Federation set-up": each registers with the other, so knocks flow both ways).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'src-server/push/cli.ts');

export interface PushServerProcess {
  endpoint: string;
  port: number;
  /** resolves once the server logged that its registration with `peerEndpoint` succeeded */
  registeredWith(peerEndpoint: string): Promise<void>;
  stop(): Promise<void>;
}

export interface PushServerOptions {
  dataDir: string;
  port: number;
  certPath: string;
  keyPath: string;
  caPath: string;
  registerWith?: string[];
  timeoutMs?: number;
}

export function startPushServer(o: PushServerOptions): Promise<PushServerProcess> {
  const args = [
    '--import',
    'tsx',
    CLI,
    '--host',
    '127.0.0.1',
    '--port',
    String(o.port),
    '--data-dir',
    o.dataDir,
    '--tls-cert',
    o.certPath,
    '--tls-key',
    o.keyPath,
    '--ca',
    o.caPath,
    '--log-level',
    'info',
    // the local stack's push servers federate over loopback, which a push server refuses by
    // default (docs/push-server.md "Federation": private registration targets)
    '--allow-private-peers',
  ];
  for (const peer of o.registerWith ?? []) args.push('--register-with', peer);
  const child: ChildProcess = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const logWaiters = new Set<() => void>();
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
    for (const w of [...logWaiters]) w();
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const registeredWith = (peer: string, timeoutMs = 60_000) =>
    new Promise<void>((res, rej) => {
      const needle = `"registered with peer","peer":${JSON.stringify(peer)}`;
      const check = () => {
        if (!stderr.includes(needle)) return;
        logWaiters.delete(check);
        clearTimeout(t);
        res();
      };
      const t = setTimeout(() => {
        logWaiters.delete(check);
        rej(new Error(`push server did not register with ${peer}: ${stderr.slice(-2000)}`));
      }, timeoutMs);
      logWaiters.add(check);
      check();
    });
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`push server did not start: ${stderr.slice(-2000)}`));
    }, o.timeoutMs ?? 60_000);
    const early = (code: number | null) => {
      clearTimeout(timer);
      rej(new Error(`push server exited with ${code}: ${stderr.slice(-2000)}`));
    };
    child.once('exit', early);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let msg: { event?: string; endpoint?: string; port?: number };
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        return;
      }
      if (msg.event !== 'listening' || !msg.endpoint || !msg.port) return;
      clearTimeout(timer);
      child.off('exit', early);
      res({
        endpoint: msg.endpoint,
        port: msg.port,
        registeredWith,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}
