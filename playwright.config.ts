// End-to-end tests (issue 7, item 7; docs/architecture.md §9). Two projects run the same specs:
// - `web`: each user is a browser host process (`npm run web`, src-main/host/cli.ts) on its own
//   profile, driven in Debian's Chromium (/usr/bin/chromium; Playwright never downloads a browser);
// - `electron`: each user is the Electron app (out/main/index.js) on its own profile, where an
//   Electron binary exists; elsewhere every test skips with a message saying so.
// The XMPP server is the real local stack (scripts/stack), started once per worker.
// Both projects need the OS keychain: run inside the throwaway keyring of scripts/test-in-keyring.sh.
// globalSetup builds main, preload and renderer (`electron-vite build`, about a second): the host
// serves out/renderer and the electron project runs out/main.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  globalSetup: './e2e/global-setup.ts',
  outputDir: 'test-results',
  // One worker: every test starts Prosody and two clients with their own cores; this machine is small.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 240_000,
  expect: { timeout: 30_000 },
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    launchOptions: {
      // Debian's Chromium; elsewhere (macOS, a custom build) set CHROMIUM_PATH. Never a download.
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    actionTimeout: 30_000,
  },
  projects: [
    { name: 'web', metadata: { client: 'web' } },
    { name: 'electron', metadata: { client: 'electron' } },
    // The specs where the server's behaviour matters (sign-in, contacts, messages, OTR, reconnect
    // and restart) once more against ejabberd (scripts/stack/ejabberd.ts), in the browser host.
    {
      name: 'web-ejabberd',
      metadata: { client: 'web', server: 'ejabberd' },
      testMatch: ['sign-in-errors.spec.ts', 'subscriptions.spec.ts', 'messenger.spec.ts', 'otr.spec.ts', 'offline.spec.ts', 'accounts.spec.ts'],
    },
  ],
});
