// Two XMPP domains on loopback with server-to-server links between them, and optionally one push
// server per domain, federated both ways (issue 14 "Two domains"; docs/architecture.md §9). Two Prosody
// processes, each with its own c2s and s2s ports; the stack_s2s_route plugin sends s2s for the
// other domain to its loopback port (there is no DNS for test domains). s2s is STARTTLS with
// certificates of one shared throwaway CA, verified (s2s_secure_auth: no dialback fallback).
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort, prosodyConfig, ProsodyProcess, type StackAccount } from './stack';
import { makeSharedCa } from './shared-ca';
import { startPushServer, type PushServerProcess } from './push-server-process';

const run = promisify(execFile);
const PLUGIN_DIR = resolve(import.meta.dirname, 'prosody-plugins');

export interface DomainStack {
  domain: string;
  host: '127.0.0.1';
  /** c2s (STARTTLS) port */
  port: number;
  s2sPort: number;
  /** XEP-0114 port; the group service's component groups.<domain> (docs/groups.md) connects there */
  componentPort: number;
  groupsDomain: string;
  groupsSecret: string;
  dir: string;
  logPath: string;
  /** the domain's push server (api_endpoint), when started with push: true */
  push?: PushServerProcess;
  createAccount(user: string, password: string): Promise<void>;
}

export interface TwoDomainStack {
  a: DomainStack;
  b: DomainStack;
  caPem: string;
  caCertPath: string;
  dir: string;
  stop(): Promise<void>;
}

export interface TwoDomainOptions {
  domains?: [string, string];
  accounts?: { a?: StackAccount[]; b?: StackAccount[] };
  /** start a push server per domain, registered with each other */
  push?: boolean;
  logLevel?: 'debug' | 'info' | 'warn';
}

const lua = (s: string) => JSON.stringify(s);

/** The one-domain config of stack.ts with s2s switched on (each edit checked, so a change there fails loudly here). */
export function withS2s(config: string, o: { s2sPort: number; caPath: string; routes: Record<string, number> }): string {
  const edits: Array<[string | RegExp, string]> = [
    ['s2s_ports = {}', `s2s_ports = { ${o.s2sPort} }\ns2s_interfaces = { "127.0.0.1" }\ns2s_secure_auth = true`],
    ['modules_disabled = { "s2s"; ', 'modules_disabled = { '],
    ['plugin_paths = {}', `plugin_paths = { ${lua(PLUGIN_DIR)} }`],
    ['"ping"; "register";', '"ping"; "register"; "dialback"; "stack_s2s_route";'],
    [/certificate = ("[^"]*"); \}/g, `certificate = $1; cafile = ${lua(o.caPath)}; }`],
  ];
  let out = config;
  for (const [from, to] of edits) {
    const next = out.replace(from, to);
    if (next === out) throw new Error(`two-domain stack: the Prosody config no longer contains ${String(from)}`);
    out = next;
  }
  const routes = Object.entries(o.routes)
    .map(([d, p]) => `[${lua(d)}] = { "127.0.0.1", ${p} }`)
    .join('; ');
  return out.replace('\nVirtualHost ', `\nstack_s2s_routes = { ${routes} }\n\nVirtualHost `);
}

/**
 * Starts both domains; tries again on new ports when one was taken between probing it and a
 * server binding it (another test file's server took it meanwhile), as startStack does.
 */
export async function startTwoDomains(options: TwoDomainOptions = {}): Promise<TwoDomainStack> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startTwoDomainsOnce(options);
    } catch (e) {
      if (attempt >= 4 || !(e instanceof Error) || !e.message.includes('a port is taken')) throw e;
    }
  }
}

async function startTwoDomainsOnce(options: TwoDomainOptions): Promise<TwoDomainStack> {
  const [da, db] = options.domains ?? ['a.localhost', 'b.localhost'];
  const dir = await mkdtemp(join(tmpdir(), 'messenger-two-domains-'));
  const started: Array<{ stop(): Promise<void> }> = [];
  const stopAll = async () => {
    for (const s of started.reverse()) await s.stop().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const ca = await makeSharedCa(dir);
    const ports = {
      a: { c2s: await freePort(), s2s: await freePort(), comp: await freePort(), push: await freePort() },
      b: { c2s: await freePort(), s2s: await freePort(), comp: await freePort(), push: await freePort() },
    };
    const make = async (domain: string, me: typeof ports.a, other: { domain: string; s2s: number }): Promise<DomainStack> => {
      const ddir = join(dir, domain);
      await mkdir(join(ddir, 'data'), { recursive: true, mode: 0o700 });
      // groups.<domain> is reached over s2s by the other domain's users: its name is in the certificate
      const certs = await ca.leaf(domain, [`muc.${domain}`, `prekeys.${domain}`, `groups.${domain}`]);
      const groupsSecret = randomBytes(18).toString('base64url');
      const configPath = join(ddir, 'prosody.cfg.lua');
      const logPath = join(ddir, 'prosody.log');
      const base = prosodyConfig({
        dir: ddir,
        domain,
        mucDomain: `muc.${domain}`,
        componentDomain: `prekeys.${domain}`,
        componentSecret: randomBytes(18).toString('base64url'),
        groupsDomain: `groups.${domain}`,
        groupsSecret,
        c2sPort: me.c2s,
        componentPort: me.comp,
        certPath: certs.certPath,
        keyPath: certs.keyPath,
        logPath,
        logLevel: options.logLevel ?? 'info',
      });
      await writeFile(
        configPath,
        withS2s(base, {
          s2sPort: me.s2s,
          caPath: ca.caCertPath,
          routes: {
            [other.domain]: other.s2s,
            [`muc.${other.domain}`]: other.s2s,
            [`prekeys.${other.domain}`]: other.s2s,
            [`groups.${other.domain}`]: other.s2s,
          },
        }),
      );
      const p = new ProsodyProcess(configPath, logPath);
      await p.start();
      started.push(p);
      return {
        domain,
        host: '127.0.0.1',
        port: me.c2s,
        s2sPort: me.s2s,
        componentPort: me.comp,
        groupsDomain: `groups.${domain}`,
        groupsSecret,
        dir: ddir,
        logPath,
        async createAccount(user, password) {
          await run('prosodyctl', ['--config', configPath, 'register', user, domain, password]);
        },
      };
    };
    const a = await make(da, ports.a, { domain: db, s2s: ports.b.s2s });
    const b = await make(db, ports.b, { domain: da, s2s: ports.a.s2s });
    for (const acc of options.accounts?.a ?? []) await a.createAccount(acc.user, acc.password);
    for (const acc of options.accounts?.b ?? []) await b.createAccount(acc.user, acc.password);
    if (options.push) {
      const endpointOf = (port: number) => `https://127.0.0.1:${port}/api/v1/`;
      const leafA = await ca.leaf(`push.${da}`);
      const leafB = await ca.leaf(`push.${db}`);
      const [pa, pb] = await Promise.all([
        startPushServer({ dataDir: join(dir, 'push-a'), port: ports.a.push, ...leafA, caPath: ca.caCertPath, registerWith: [endpointOf(ports.b.push)] }),
        startPushServer({ dataDir: join(dir, 'push-b'), port: ports.b.push, ...leafB, caPath: ca.caCertPath, registerWith: [endpointOf(ports.a.push)] }),
      ]);
      started.push(pa, pb);
      // federation: each registered with the other, so relays go both ways
      await Promise.all([pa.registeredWith(pb.endpoint), pb.registeredWith(pa.endpoint)]);
      a.push = pa;
      b.push = pb;
    }
    let stopped = false;
    return {
      a,
      b,
      caPem: ca.caPem,
      caCertPath: ca.caCertPath,
      dir,
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopAll();
      },
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
