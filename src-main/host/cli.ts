// `npm run web -- --profile DIR [--port N] [--ca-file CA.pem]`: runs the core in Node and serves
// the built renderer (out/renderer, from `npm run build`) with the IPC contract over a WebSocket.
// Prints the URL to open; Ctrl-C stops everything cleanly.
import { resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { createCore } from '../core';
import { HostError, startHost } from './server';
import { OptionsError, parseStartOptions } from './options';
import { keepRunningOnUnexpected } from '../core/uncaught';

const repoRoot = resolve(import.meta.dirname, '..', '..');

async function main(): Promise<number> {
  let options;
  try {
    options = parseStartOptions(process.argv.slice(2), process.env);
  } catch (e) {
    if (e instanceof OptionsError) {
      console.error(`messenger host: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (!options.profileDir) {
    console.error('messenger host: give a profile directory: npm run web -- --profile DIR (or set MESSENGER_PROFILE)');
    return 2;
  }
  mkdirSync(options.profileDir, { recursive: true, mode: 0o700 });
  const rendererDir = process.env.MESSENGER_RENDERER_DIR ?? resolve(repoRoot, 'out', 'renderer');

  const core = await createCore({
    profileDir: options.profileDir,
    ...(options.extraCaPem ? { extraCaPem: options.extraCaPem } : {}),
  });
  let host;
  try {
    host = await startHost({
      core,
      rendererDir,
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.bindAddress !== undefined ? { bindAddress: options.bindAddress } : {}),
      // each link opens one tab once (server.ts, tabs.ts): the next one is printed when it is used
      onNextUrl: (url) => {
        console.log('A browser tab is using the messenger. To move it to another tab or browser, open:');
        console.log(url);
      },
    });
  } catch (e) {
    await core.close();
    if (e instanceof HostError) {
      console.error(`messenger host: ${e.message}`);
      return 2;
    }
    throw e;
  }

  // The URL carries a one-time launch token: whoever can read this terminal may use the messenger.
  console.log(`Messenger (profile ${options.profileDir}) is ready. Open this URL in a browser (it works once):`);
  console.log(host.url);

  await new Promise<void>((done) => {
    const stop = () => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await host.close();
  await core.close();
  console.log('messenger host: stopped');
  return 0;
}

// An exception nobody handled is logged (without its message) and the host keeps serving.
keepRunningOnUnexpected('messenger host');

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    // Typed core errors carry plain words; anything else is reported without details that could
    // hold a secret.
    const message =
      e instanceof Error && 'code' in e ? `${(e as { code: string }).code}: ${e.message}` : `unexpected error (${e instanceof Error ? e.name : typeof e})`;
    console.error(`messenger host: ${message}`);
    process.exit(1);
  },
);
