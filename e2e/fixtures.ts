// Playwright fixtures: the real local XMPP stack (scripts/stack, one Prosody per worker), the real
// OTRv4 prekey server attached to it (only for the tests that ask for it), and a factory of
// clients, each on its own fresh profile directory under os.tmpdir().
import { test as base, expect, type Browser } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultServer, startStack, type Stack, type StackServer } from '../scripts/stack/stack';
import { startServerProcess, type ServerProcess } from '../src-main/core/prekey/test-support/harness';
import { electronBinary, launchElectronClient, launchWebClient, type Client } from './support/clients';

export const NO_ELECTRON =
  'No Electron binary is installed here (node_modules/electron/dist is missing; the binary cannot be downloaded on this machine), ' +
  'so the electron project is skipped. The same spec runs in the web project.';

/** Skips the test in the electron project when no Electron binary exists. Call in beforeEach. */
export function skipWithoutElectron(projectName: string): [boolean, string] {
  return [projectName === 'electron' && electronBinary() === null, NO_ELECTRON];
}

export interface LaunchOptions {
  /** pass the stack's CA with --ca-file (default); false leaves the server certificate untrusted */
  trustStackCa?: boolean;
}

/**
 * The prekey server of the stack's domain (prekeys.<domain>), as the worker fixture `prekeyServer`
 * gives it: the running server process, which a test may replace.
 */
export interface PrekeyServer {
  /** the running server's fingerprint (its long-term Ed448 key), lowercase hex */
  readonly fingerprint: string;
  /** the events the running server logged (--log-events), oldest first */
  readonly events: ReadonlyArray<Record<string, unknown>>;
  /** resolves with the first event (past or future) of the running server matching `pred` */
  waitEvent(pred: (e: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /**
   * Stops the server and starts it again on the same component domain: with a new long-term key
   * and empty storage when `newKey` (a reinstalled server, as clients who pinned the old key see
   * it), else on the same storage and key. The new process's events start empty.
   */
  restart(options?: { newKey?: boolean }): Promise<void>;
}

export const test = base.extend<{ launchClient: (name: string, options?: LaunchOptions) => Promise<Client> }, { stack: Stack; prekeyServer: PrekeyServer }>({
  stack: [
    async ({}, use, workerInfo) => {
      // the project's server (playwright.config.ts: web-ejabberd), else MESSENGER_XMPP_SERVER
      const server = (workerInfo.project.metadata as { server?: StackServer }).server ?? defaultServer();
      const stack = await startStack({ server });
      try {
        await use(stack);
      } finally {
        await stack.stop();
      }
    },
    { scope: 'worker', timeout: 120_000 },
  ],

  /**
   * The OTRv4 prekey server (src-server/prekey) as a real child process, attached to the stack's
   * Prosody as the component prekeys.<domain> (XEP-0114), with --log-events so that a test can
   * wait on what it did (ServerProcess.waitEvent: 'published', 'retrieval', …). Started when a
   * test first asks for it, so before that test's clients sign in (they publish their prekeys at
   * login); it then serves the rest of the worker's tests as a server's component would.
   */
  prekeyServer: [
    async ({ stack }, use) => {
      const dirs: string[] = [];
      const newDataDir = () => {
        const d = mkdtempSync(join(tmpdir(), 'e2e-prekey-server-'));
        dirs.push(d);
        return d;
      };
      let dataDir = newDataDir();
      let current: ServerProcess = await startServerProcess(stack, dataDir);
      const handle: PrekeyServer = {
        get fingerprint() {
          return current.fingerprint;
        },
        get events() {
          return current.events;
        },
        waitEvent: (pred, timeoutMs) => current.waitEvent(pred, timeoutMs),
        async restart({ newKey = false } = {}) {
          await current.stop();
          if (newKey) dataDir = newDataDir();
          current = await startServerProcess(stack, dataDir);
        },
      };
      try {
        await use(handle);
      } finally {
        await current.stop();
        for (const d of dirs) rmSync(d, { recursive: true, force: true });
      }
    },
    { scope: 'worker', timeout: 120_000 },
  ],

  launchClient: async ({ playwright, launchOptions, stack }, use, testInfo) => {
    const clients: Client[] = [];
    const dirs: string[] = [];
    // Launched on first use only, so that the electron project never starts Chromium.
    const shared: { browser: Browser | null } = { browser: null };
    const kind = testInfo.project.name === 'electron' ? 'electron' : 'web';
    await use(async (name: string, options: LaunchOptions = {}) => {
      const profileDir = mkdtempSync(join(tmpdir(), `e2e-profile-${name}-`));
      dirs.push(profileDir);
      const spec = { name, profileDir, caFile: options.trustStackCa === false ? null : stack.caCertPath };
      let client: Client;
      if (kind === 'electron') {
        const exe = electronBinary();
        if (!exe) throw new Error(NO_ELECTRON);
        client = await launchElectronClient(exe, spec);
      } else {
        // Debian's Chromium only (playwright.config.ts launchOptions); never a downloaded browser.
        shared.browser ??= await playwright.chromium.launch(launchOptions);
        client = await launchWebClient(shared.browser, spec);
      }
      clients.push(client);
      return client;
    });
    for (const c of clients) await c.close();
    await shared.browser?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  },
});

export { expect };
