// One "client" of the end-to-end specs = one user's messenger on its own profile directory:
// either a browser host process (`npm run web`) driven in Chromium, or the Electron app.
// Both are the real programs with the real core; nothing is faked.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { _electron, type Browser, type BrowserContext, type ElectronApplication, type LaunchOptions, type Page } from '@playwright/test';

export const repoRoot = join(import.meta.dirname, '..', '..');

export interface Client {
  readonly name: string;
  readonly profileDir: string;
  readonly page: Page;
  /** stops the program (cleanly) and starts it again on the same profile */
  restart(): Promise<void>;
  /**
   * stops the program cleanly, as a user quitting it: the user goes offline and nothing of theirs
   * runs any more; the profile stays for start()
   */
  stop(): Promise<void>;
  /** starts the program again on the same profile after stop() */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface ClientSpec {
  name: string;
  profileDir: string;
  /** the extra CA to trust (--ca-file), or null for none */
  caFile: string | null;
}

/**
 * The Electron binary, found the way the `electron` package does it but WITHOUT its download
 * fallback (require('electron') would try to download a missing binary; we never do).
 */
export function electronBinary(): string | null {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = dirname(require.resolve('electron'));
  } catch {
    return null;
  }
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const relative = readFileSync(pathFile, 'utf8').trim();
  const base = process.env.ELECTRON_OVERRIDE_DIST_PATH ?? join(dir, 'dist');
  const exe = join(base, relative);
  return existsSync(exe) ? exe : null;
}

/** The environment of a client process: ours, minus anything that would pick a profile or CA. */
function childEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'MESSENGER_PROFILE' && k !== 'MESSENGER_CA_FILE') env[k] = v;
  return env;
}

const URL_LINE = /^(http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]+)$/m;

interface HostProcess {
  child: ChildProcess;
  url: string;
}

/** Starts `src-main/host/cli.ts` (what `npm run web` runs) and waits for the URL it prints. */
function startHostProcess(spec: ClientSpec): Promise<HostProcess> {
  const args = ['--import', 'tsx', join(repoRoot, 'src-main/host/cli.ts'), '--profile', spec.profileDir, ...(spec.caFile ? ['--ca-file', spec.caFile] : [])];
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let errText = '';
  const verbose = !!process.env.MESSENGER_E2E_VERBOSE;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${spec.name}: the host printed no URL in time\n${errText}`)), 90_000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(e);
    };
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      if (verbose) process.stdout.write(`[${spec.name} host] ${chunk}`);
      out += chunk;
      const m = URL_LINE.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      if (verbose) process.stderr.write(`[${spec.name} host] ${chunk}`);
      errText = (errText + chunk).slice(-4000);
    });
    child.once('exit', (code, signal) => fail(new Error(`${spec.name}: the host exited (${code ?? signal}) before it was ready\n${errText}`)));
  });
}

function stopHostProcess(p: HostProcess): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    // SIGTERM makes the CLI close the host and the core (database, XMPP streams) cleanly; a host
    // that does not finish in time is killed so that the test run cannot hang.
    const timer = setTimeout(() => p.child.kill('SIGKILL'), 20_000);
    p.child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    p.child.kill('SIGTERM');
  });
}

export async function launchWebClient(browser: Browser, spec: ClientSpec): Promise<Client> {
  let host = await startHostProcess(spec);
  const context: BrowserContext = await browser.newContext();
  const page = await context.newPage();
  await page.goto(host.url);
  const stop = () => stopHostProcess(host);
  const start = async () => {
    host = await startHostProcess(spec);
    await page.goto(host.url);
  };
  return {
    name: spec.name,
    profileDir: spec.profileDir,
    page,
    async restart() {
      await stop();
      await start();
    },
    stop,
    start,
    async close() {
      await context.close().catch(() => undefined);
      await stopHostProcess(host);
    },
  };
}

export async function launchElectronClient(executablePath: string, spec: ClientSpec): Promise<Client> {
  const launch = async (): Promise<{ app: ElectronApplication; page: Page }> => {
    const args = [join(repoRoot, 'out/main/index.js'), '--profile', spec.profileDir, ...(spec.caFile ? ['--ca-file', spec.caFile] : [])];
    // Chromium refuses to run as root with its own sandbox; the renderer is still sandboxed by
    // Electron's process model settings (app.enableSandbox) wherever the OS sandbox is available.
    if (process.getuid?.() === 0) args.unshift('--no-sandbox');
    const app = await _electron.launch({ executablePath, args, cwd: repoRoot, env: childEnv() });
    const page = await app.firstWindow();
    return { app, page };
  };
  let current = await launch();
  const client: Client = {
    name: spec.name,
    profileDir: spec.profileDir,
    get page() {
      return current.page;
    },
    async restart() {
      await current.app.close();
      current = await launch();
    },
    async stop() {
      await current.app.close();
    },
    async start() {
      current = await launch();
    },
    async close() {
      await current.app.close().catch(() => undefined);
    },
  };
  return client;
}

export type { LaunchOptions };
