// Builds the app before any spec runs: the browser host serves out/renderer, the electron project
// launches out/main/index.js. The build takes about a second, so it always runs: a stale bundle
// can never be what is tested.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { electronBinary } from './support/clients';
import { NO_ELECTRON } from './fixtures';

export default function globalSetup(): void {
  // Said once up front, because the list reporter does not print why a test was skipped.
  if (electronBinary() === null) console.log(`[e2e] ${NO_ELECTRON}`);
  if (process.env.MESSENGER_E2E_SKIP_BUILD === '1') return;
  const require = createRequire(import.meta.url);
  const cli = join(dirname(require.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js');
  const r = spawnSync(process.execPath, [cli, 'build'], { stdio: 'inherit', cwd: join(import.meta.dirname, '..') });
  if (r.status !== 0) throw new Error('electron-vite build failed; the end-to-end tests need the built app');
}
