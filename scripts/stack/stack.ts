// The local XMPP stack: a real Prosody on loopback with a throwaway CA, used by `npm run stack`,
// the integration tests and the end-to-end tests (docs/architecture.md §9). Every instance gets its own temp
// directory and its own free ports, so several stacks can run side by side.
//
// What the Prosody config provides and why:
// - c2s on 127.0.0.1 with TLS required (RFC 6120 §5: STARTTLS; c2s_require_encryption),
// - in-band registration (XEP-0077, mod_register) for account creation from the client,
// - roster/presence (RFC 6121), carbons (XEP-0280), MAM (XEP-0313), stream management with
//   resumption (XEP-0198, mod_smacks), offline storage (mod_offline), ping (XEP-0199),
// - a MUC component (XEP-0045) and a component port + secret for the prekey server (XEP-0114).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile, readFile } from 'node:fs/promises';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { makeCertificates } from './certs';
import { startEjabberd } from './ejabberd';
import { stopChild, waitUntilReady } from './server-child';

const run = promisify(execFile);

export interface StackAccount {
  user: string;
  password: string;
}

/** The XMPP servers the stack can run (ejabberd: scripts/stack/ejabberd.ts). */
export type StackServer = 'prosody' | 'ejabberd';
export const STACK_SERVERS: readonly StackServer[] = ['prosody', 'ejabberd'];

/** MESSENGER_XMPP_SERVER picks the server of every stack a test starts without saying (default prosody). */
export function defaultServer(): StackServer {
  const s = process.env.MESSENGER_XMPP_SERVER;
  if (s === undefined || s === '') return 'prosody';
  if (s === 'prosody' || s === 'ejabberd') return s;
  throw new Error(`MESSENGER_XMPP_SERVER must be prosody or ejabberd, not "${s}"`);
}

export interface StackOptions {
  /** which XMPP server; MESSENGER_XMPP_SERVER or 'prosody' by default */
  server?: StackServer;
  /**
   * ejabberd only: mod_pres_counter's subscription anti-flood; Debian's default (5 stanzas per
   * 60 s) unless given, null turns it off.
   */
  presCounter?: { count: number; interval: number } | null;
  /** accounts to create before returning */
  accounts?: StackAccount[];
  /** XMPP domain; `localhost` by default (the certificate names it) */
  domain?: string;
  /** where to put the stack's files; a fresh directory under os.tmpdir() by default */
  baseDir?: string;
  /** Prosody log level written to prosody.log (default 'info') */
  logLevel?: 'debug' | 'info' | 'warn';
  /**
   * A deliberately broken server for tests: no TLS offered at all (mod_tls off, encryption not
   * required), as a downgrade attack would look to a client. Never use it for anything else.
   */
  withoutTls?: boolean;
}

export interface Stack {
  /** which XMPP server runs */
  server: StackServer;
  /** the XMPP domain; JIDs are user@domain */
  domain: string;
  /** where clients connect: always 127.0.0.1 */
  host: string;
  /** the client (c2s, STARTTLS) port */
  port: number;
  /** the throwaway CA certificate that signed the server certificate (PEM) */
  caPem: string;
  caCertPath: string;
  /** the MUC component's domain (XEP-0045) */
  mucDomain: string;
  /** XEP-0114 component port and the prekey server's component domain and secret */
  componentPort: number;
  componentDomain: string;
  componentSecret: string;
  /** Prosody: a second XEP-0114 component on the same port for the group service (docs/groups.md) */
  groupsDomain?: string;
  groupsSecret?: string;
  /** the stack's private directory (config, data, certificates, log) */
  dir: string;
  configPath: string;
  logPath: string;
  /** creates an account with prosodyctl (works while the server runs) */
  createAccount(user: string, password: string): Promise<void>;
  /** deletes an account with prosodyctl (sessions stay up until they reconnect) */
  deleteAccount(user: string): Promise<void>;
  /** stops and starts Prosody on the same ports and data (every client session is cut) */
  restart(): Promise<void>;
  /**
   * Prosody only: the server freezes (SIGSTOP). Connections stay open and clients' writes still
   * succeed into the socket buffers, but nothing is read, answered or acknowledged (XEP-0198):
   * the moment of a server crash, held still for a test.
   */
  freeze?(): void;
  /** Prosody only: the server dies at once (SIGKILL, frozen or not: what it had not processed is gone) and starts again */
  crashAndRestart?(): Promise<void>;
  /** stops Prosody and deletes the directory */
  stop(): Promise<void>;
}

/** A TCP port that was free a moment ago on 127.0.0.1 (the OS picks it: listen on port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

function luaString(s: string): string {
  return JSON.stringify(s); // JSON string escapes are valid Lua string escapes for our inputs
}

interface ConfigInput {
  dir: string;
  domain: string;
  mucDomain: string;
  componentDomain: string;
  componentSecret: string;
  /** the group service's component (docs/groups.md), when given */
  groupsDomain?: string;
  groupsSecret?: string;
  c2sPort: number;
  componentPort: number;
  certPath: string;
  keyPath: string;
  logPath: string;
  logLevel: string;
  withoutTls?: boolean;
}

export function prosodyConfig(c: ConfigInput): string {
  const ssl = `{ key = ${luaString(c.keyPath)}; certificate = ${luaString(c.certPath)}; }`;
  return `-- generated by scripts/stack/stack.ts for one run; deleted with its directory
run_as_root = true
daemonize = false
pidfile = ${luaString(join(c.dir, 'prosody.pid'))}
data_path = ${luaString(join(c.dir, 'data'))}
plugin_paths = {}
certificates = ${luaString(c.dir)}
log = {
  { levels = { min = ${luaString(c.logLevel)} }, to = "file", filename = ${luaString(c.logPath)} };
  { levels = { min = "info" }, to = "console" };
}
interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
c2s_ports = { ${c.c2sPort} }
c2s_direct_tls_ports = {}
s2s_ports = {}
component_ports = { ${c.componentPort} }
component_interface = "127.0.0.1"
http_ports = {}
https_ports = {}
admin_socket = ${luaString(join(c.dir, 'admin.sock'))}
c2s_require_encryption = ${c.withoutTls ? 'false' : 'true'}
allow_unencrypted_plain_auth = ${c.withoutTls ? 'true' : 'false'}
s2s_require_encryption = true
authentication = "internal_hashed"
storage = "internal"
allow_registration = true
-- loopback is allow-listed by mod_register_limits already; no throttling for tests
registration_throttle_max = 1000
ssl = ${ssl}
modules_enabled = {
  "roster"; "saslauth"; "tls"; "disco"; "carbons"; "mam"; "smacks"; "offline";
  "ping"; "register"; "posix"; "private"; "vcard_legacy"; "blocklist"; "time"; "version"; "pep";
}
modules_disabled = { "s2s"; "http"; "bosh"; "websocket"; "admin_telnet"; ${c.withoutTls ? '"tls";' : ''} }
-- XEP-0313: keep plaintext history for a week; everything is archived unless the client says no
archive_expires_after = "1w"
default_archive_policy = true
-- XEP-0198: keep a broken session resumable for a while
smacks_hibernation_time = 300
smacks_max_unacked_stanzas = 0

VirtualHost ${luaString(c.domain)}
  ssl = ${ssl}

Component ${luaString(c.mucDomain)} "muc"
  modules_enabled = { "muc_mam" }
  restrict_room_creation = false

Component ${luaString(c.componentDomain)}
  component_secret = ${luaString(c.componentSecret)}
${
  c.groupsDomain && c.groupsSecret
    ? `
Component ${luaString(c.groupsDomain)}
  component_secret = ${luaString(c.groupsSecret)}
`
    : ''
}`;
}

/** Resolves when the TCP port accepts a connection (one attempt; the caller waits for the log). */
function probe(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve();
    });
    socket.on('error', reject);
  });
}

export class ProsodyProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    private readonly configPath: string,
    private readonly logPath: string,
  ) {}

  /** Starts Prosody in the foreground and waits until both listeners are active (log lines). */
  async start(timeoutMs = 30_000): Promise<void> {
    const child = spawn('prosody', ['--config', this.configPath, '-F'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const want = new Set(['c2s', 'component']);
    await waitUntilReady(child, 'Prosody', timeoutMs, (out) => {
      for (const m of out.matchAll(/Activated service '([a-z0-9_]+)' on (.*)/g)) {
        const service = m[1] ?? '';
        if (!want.has(service)) continue;
        if (m[2]?.startsWith('no ports')) return { failed: `service ${service} could not listen` };
        want.delete(service);
      }
      if (/Failed to open server port/.test(out)) return { failed: 'a port is taken' };
      return want.size === 0 ? 'ready' : undefined;
    });
  }

  async stop(): Promise<void> {
    await stopChild(this.child, this.exited, 10_000);
    this.child = null;
  }

  /** SIGSTOP: the process stops where it is (Stack.freeze) */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  /** SIGKILL: no shutdown, no stream closes (Stack.crashAndRestart) */
  async kill(): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
    this.child = null;
  }

  get log(): string {
    return this.logPath;
  }
}

/** Starts a fresh stack. Retries with new ports if one was taken between probing and binding. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const domain = options.domain ?? 'localhost';
  const mucDomain = `muc.${domain}`;
  const componentDomain = `prekeys.${domain}`;
  const dir = options.baseDir ?? (await mkdtemp(join(tmpdir(), 'messenger-stack-')));
  await mkdir(join(dir, 'data'), { recursive: true, mode: 0o700 });
  const certs = await makeCertificates(dir, domain, [mucDomain, componentDomain]);
  const server = options.server ?? defaultServer();
  if (server === 'ejabberd') {
    const removeDir = () => (options.baseDir ? Promise.resolve() : rm(dir, { recursive: true, force: true }));
    const ejabberd = await startEjabberd({
      dir,
      domain,
      mucDomain,
      componentDomain,
      certs,
      logLevel: options.logLevel ?? 'info',
      withoutTls: options.withoutTls ?? false,
      presCounter: options.presCounter,
      removeDir,
    });
    const stack: Stack = { server, ...ejabberd };
    try {
      for (const a of options.accounts ?? []) await stack.createAccount(a.user, a.password);
    } catch (e) {
      await stack.stop();
      throw e;
    }
    return stack;
  }
  const componentSecret = randomBytes(18).toString('base64url');
  const groupsDomain = `groups.${domain}`;
  const groupsSecret = randomBytes(18).toString('base64url');
  const configPath = join(dir, 'prosody.cfg.lua');
  const logPath = join(dir, 'prosody.log');

  let port = 0;
  let componentPort = 0;
  let prosody: ProsodyProcess | null = null;
  let lastError: unknown;
  for (let attempt = 0; attempt < 4 && !prosody; attempt++) {
    port = await freePort();
    componentPort = await freePort();
    if (port === componentPort) continue;
    await writeFile(
      configPath,
      prosodyConfig({
        dir,
        domain,
        mucDomain,
        componentDomain,
        componentSecret,
        groupsDomain,
        groupsSecret,
        c2sPort: port,
        componentPort,
        certPath: certs.certPath,
        keyPath: certs.keyPath,
        logPath,
        logLevel: options.logLevel ?? 'info',
        withoutTls: options.withoutTls ?? false,
      }),
    );
    const p = new ProsodyProcess(configPath, logPath);
    try {
      await p.start();
      await probe(port);
      prosody = p;
    } catch (e) {
      lastError = e;
      await p.stop();
    }
  }
  if (!prosody) {
    if (!options.baseDir) await rm(dir, { recursive: true, force: true });
    throw lastError instanceof Error ? lastError : new Error('Prosody did not start');
  }
  const prosodyServer = prosody;

  const createAccount = async (user: string, password: string): Promise<void> => {
    try {
      await run('prosodyctl', ['--config', configPath, 'register', user, domain, password]);
    } catch (e) {
      const stderr = (e as { stderr?: string; stdout?: string }).stderr ?? '';
      throw new Error(`could not create ${user}@${domain}: ${stderr.trim() || 'prosodyctl failed'}`);
    }
  };

  const deleteAccount = async (user: string): Promise<void> => {
    try {
      await run('prosodyctl', ['--config', configPath, 'deluser', `${user}@${domain}`]);
    } catch (e) {
      const stderr = (e as { stderr?: string }).stderr ?? '';
      throw new Error(`could not delete ${user}@${domain}: ${stderr.trim() || 'prosodyctl failed'}`);
    }
  };

  let stopped = false;
  const stack: Stack = {
    server: 'prosody',
    domain,
    host: '127.0.0.1',
    port,
    caPem: certs.caPem,
    caCertPath: certs.caCertPath,
    mucDomain,
    componentPort,
    componentDomain,
    componentSecret,
    groupsDomain,
    groupsSecret,
    dir,
    configPath,
    logPath,
    createAccount,
    deleteAccount,
    async restart() {
      await prosodyServer.stop();
      await prosodyServer.start();
    },
    freeze() {
      prosodyServer.freeze();
    },
    async crashAndRestart() {
      await prosodyServer.kill();
      await prosodyServer.start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await prosodyServer.stop();
      if (!options.baseDir) await rm(dir, { recursive: true, force: true });
    },
  };

  try {
    for (const a of options.accounts ?? []) await createAccount(a.user, a.password);
  } catch (e) {
    await stack.stop();
    throw e;
  }
  return stack;
}

/** The tail of the server's log, for failing tests. */
export async function stackLogTail(stack: Stack, chars = 4000): Promise<string> {
  try {
    return (await readFile(stack.logPath, 'utf8')).slice(-chars);
  } catch {
    return '';
  }
}
