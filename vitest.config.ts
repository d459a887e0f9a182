import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure, fast, no servers) and `integration` (real Prosody, real keychain,
// our real servers as child processes). Integration files are named *.integration.test.ts.
const roots = ['src-main', 'src-shared', 'src-server', 'scripts', 'e2e-support'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: roots.map((r) => `${r}/**/*.test.ts`),
          exclude: ['**/*.integration.test.ts', '**/node_modules/**'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: roots.map((r) => `${r}/**/*.integration.test.ts`),
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // Each file starts its own real servers; two cores, so keep it modest.
          maxWorkers: 2,
        },
      },
      {
        // The files where the server's behaviour matters, once more against ejabberd
        // (scripts/stack/ejabberd.ts): every stack they start without naming a server is ejabberd.
        test: {
          name: 'integration-ejabberd',
          include: [
            'scripts/stack/stack.integration.test.ts',
            'src-main/core/core.integration.test.ts',
            'src-main/core/reconnect.integration.test.ts',
            'src-main/core/restart.integration.test.ts',
            'src-main/core/subscriptions.integration.test.ts',
            'src-main/core/account/nick.integration.test.ts',
            'src-main/core/register-secrets.integration.test.ts',
            'src-main/core/otr/xmpp.integration.test.ts',
          ],
          env: { MESSENGER_XMPP_SERVER: 'ejabberd' },
          testTimeout: 180_000,
          hookTimeout: 180_000,
          maxWorkers: 2,
        },
      },
    ],
  },
});
