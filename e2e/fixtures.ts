// Playwright fixtures: the real local XMPP stack (scripts/stack, one Prosody per worker) and a
// factory of clients, each on its own fresh profile directory under os.tmpdir().
import { test as base, expect, type Browser } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type Stack } from '../scripts/stack/stack';
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

export const test = base.extend<{ launchClient: (name: string, options?: LaunchOptions) => Promise<Client> }, { stack: Stack }>({
  stack: [
    async ({}, use) => {
      const stack = await startStack();
      try {
        await use(stack);
      } finally {
        await stack.stop();
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
