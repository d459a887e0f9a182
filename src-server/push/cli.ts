// Entry point: `npm run push-server -- [options]` (see config.ts HELP).
import { ConfigError, HELP, parseConfig } from './config';
import { startServer } from './server';

async function main(): Promise<void> {
  let config;
  try {
    config = parseConfig(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`push-server: ${(e as Error).message}\nTry --help.\n`);
    process.exit(2);
  }
  if (config === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const running = await startServer(config);
  process.stdout.write(JSON.stringify({ event: 'listening', endpoint: running.endpoint, port: running.port, engine: running.storage.engine }) + '\n');
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`push-server: ${e instanceof ConfigError ? e.message : ((e as Error).stack ?? String(e))}\n`);
  process.exit(1);
});
