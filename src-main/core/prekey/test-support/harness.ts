// Integration-test harness: the prekey server as a real child process (its CLI) attached to the
// local Prosody stack, and prekey clients on real XMPP connections (the core's xmpp.js client).
import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Stack } from '../../../../scripts/stack/stack';
import { createClient, type XmppClient } from '../../xmpp/client/client';
import { closeAndRemove, type TestCore } from '../../test-support/harness';
import { prekeyXmppOf } from '../lifecycle';
import type { PrekeyXmpp } from '../xmpp';

const CLI = fileURLToPath(new URL('../../../../src-server/prekey/cli.ts', import.meta.url));

export interface ServerProcess {
  fingerprint: string;
  events: Array<Record<string, unknown>>;
  /** resolves with the first event (past or future) matching `pred` */
  waitEvent(pred: (e: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export async function startServerProcess(stack: Stack, dataDir: string, extraArgs: string[] = []): Promise<ServerProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      CLI,
      '--domain',
      stack.componentDomain,
      '--host',
      '127.0.0.1',
      '--port',
      String(stack.componentPort),
      '--data-dir',
      dataDir,
      '--log-events',
      ...extraArgs,
    ],
    { env: { ...process.env, PREKEY_SECRET: stack.componentSecret }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const events: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`prekey server exited (${code}): ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let parsed: { ready?: boolean; fingerprint?: string; event?: Record<string, unknown> };
      try {
        parsed = JSON.parse(line) as typeof parsed;
      } catch {
        return;
      }
      if (parsed.ready && parsed.fingerprint) resolve(parsed.fingerprint);
      if (parsed.event) {
        events.push(parsed.event);
        for (const w of [...waiters]) w();
      }
    });
  });
  const timeout = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const fingerprint = await ready.finally(() => clearTimeout(timeout));
  return {
    fingerprint,
    events,
    waitEvent(pred, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const hit = events.find(pred);
          if (hit) {
            waiters.delete(w);
            clearTimeout(t);
            resolve(hit);
          }
          return !!hit;
        };
        const w = (): void => void check();
        const t = setTimeout(() => {
          waiters.delete(w);
          reject(new Error('timed out waiting for a prekey server event'));
        }, timeoutMs);
        waiters.add(w);
        check();
      });
    },
    stop() {
      return new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}

export interface Connection {
  jid: string;
  client: XmppClient;
  xmpp: PrekeyXmpp;
  stop(): Promise<void>;
}

export async function connect(stack: Stack, user: string, password: string, resource?: string): Promise<Connection> {
  const client = createClient({
    domain: stack.domain,
    host: stack.host,
    port: stack.port,
    extraCaPem: stack.caPem,
    credentials: { username: user, password },
    ...(resource ? { resource } : {}),
  });
  const e = client.entity;
  await e.start();
  const xmpp = prekeyXmppOf(client);
  return {
    jid: String(e.jid),
    client,
    xmpp,
    async stop() {
      client.reconnect?.stop();
      await e.stop().catch(() => undefined);
    },
  };
}

/** what a prekey integration test started, stopped in order (cores keep their profiles until here) */
export async function tearDownPrekeyTest(parts: {
  outcomes?: { stop(): void };
  conns?: Connection[];
  cores: TestCore[];
  server?: ServerProcess;
  stack?: Stack;
  dataDir?: string;
}): Promise<void> {
  parts.outcomes?.stop();
  for (const c of parts.conns ?? []) await c.stop();
  await closeAndRemove(parts.cores);
  await parts.server?.stop();
  await parts.stack?.stop();
  if (parts.dataDir) await rm(parts.dataDir, { recursive: true, force: true });
}
