// What the command lines of our two XMPP components (the prekey server and the group service)
// share: the connection and storage options, read from the command line or, so that the secret
// need not appear in a process listing, from the environment (PREFIX_*); integer checks; and
// running until SIGTERM or SIGINT.
import { readFileSync } from 'node:fs';
import type { ComponentSettings } from './xmpp-component';

/** parseArgs options every component takes (node:util parseArgs) */
export const COMPONENT_OPTIONS = {
  domain: { type: 'string' },
  secret: { type: 'string' },
  'secret-file': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'data-dir': { type: 'string' },
  postgres: { type: 'string' },
  'log-events': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `--name`'s value as a non-negative integer; absent: undefined. Throws on anything else. */
export function nonNegativeInt(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
  return n;
}

/**
 * The common settings from the parsed options, each falling back to `${prefix}_…` in the
 * environment (GROUPS_DOMAIN, PREKEY_SECRET_FILE, …). Without a domain, a secret or a data
 * directory the program exits with status 2 and says which options are required.
 */
export function componentSettings(
  values: { domain?: string; secret?: string; 'secret-file'?: string; host?: string; port?: string; 'data-dir'?: string; postgres?: string },
  prefix: string,
  program: string,
): ComponentSettings {
  const env = process.env;
  const domain = values.domain ?? env[`${prefix}_DOMAIN`];
  let secret = values.secret ?? env[`${prefix}_SECRET`];
  const secretFile = values['secret-file'] ?? env[`${prefix}_SECRET_FILE`];
  if (!secret && secretFile) secret = readFileSync(secretFile, 'utf8').trim();
  const dataDir = values['data-dir'] ?? env[`${prefix}_DATA_DIR`];
  if (!domain || !secret || !dataDir) {
    console.error(`${program}: --domain, --secret (or --secret-file) and --data-dir are required; see --help`);
    process.exit(2);
  }
  const postgresUrl = values.postgres ?? env[`${prefix}_POSTGRES_URL`];
  return {
    domain,
    secret,
    host: values.host ?? env[`${prefix}_HOST`] ?? '127.0.0.1',
    port: nonNegativeInt(values.port ?? env[`${prefix}_PORT`], 'port') ?? 5347,
    dataDir,
    ...(postgresUrl ? { postgresUrl } : {}),
  };
}

/**
 * Runs `main`; a started server stops cleanly on SIGTERM or SIGINT (exit 0, or 1 when stopping
 * failed). An error while starting is printed as `program: message` and exits with status 1.
 */
export function runComponent(program: string, main: () => Promise<{ stop(): Promise<void> } | undefined>): void {
  main()
    .then((server) => {
      if (!server) return;
      const shutdown = (): void => {
        server
          .stop()
          .then(() => process.exit(0))
          .catch(() => process.exit(1));
      };
      process.on('SIGTERM', shutdown);
      process.on('SIGINT', shutdown);
    })
    .catch((e: unknown) => {
      console.error(`${program}: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    });
}
