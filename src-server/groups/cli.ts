// `npm run groups-server -- [options]`: the verified-groups service as an XEP-0114 component.
// Options may also come from the environment (GROUPS_*), so that the secret need not appear in a
// process listing.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startGroupServer } from './server';

const HELP = `Verified group service (docs/groups.md) as an XMPP component (XEP-0114)

Usage: npm run groups-server -- [options]

  --domain JID        the component JID, e.g. groups.example.org; groups are
                      addressed <id>@groups.example.org                    [GROUPS_DOMAIN]
  --secret SECRET     the component secret shared with the XMPP server     [GROUPS_SECRET]
  --secret-file FILE  read the secret from FILE instead                    [GROUPS_SECRET_FILE]
  --host HOST         the XMPP server's component interface (127.0.0.1)    [GROUPS_HOST]
  --port PORT         the XMPP server's component port (5347)              [GROUPS_PORT]
  --data-dir DIR      storage directory (groups.sqlite)                    [GROUPS_DATA_DIR]
  --postgres URL      use PostgreSQL (postgres://…) instead of SQLite      [GROUPS_POSTGRES_URL]
  --retention-days N  how long messages wait for offline members (14)
  --vouch-timeout S   seconds a member may take to vouch before the next is asked (60)
  --log-events        print one JSON line per service event on stdout (no message content)
  --help              this text

Prosody: declare the component in the XMPP server's configuration, e.g.
  Component "groups.example.org"
    component_secret = "…"
The service stores groups, members (fingerprints and public keys) and ciphertext only; it never
sees a session key or a plaintext message. Users of other domains reach it over s2s.`;

function int(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      domain: { type: 'string' },
      secret: { type: 'string' },
      'secret-file': { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      postgres: { type: 'string' },
      'retention-days': { type: 'string' },
      'vouch-timeout': { type: 'string' },
      'log-events': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const env = process.env;
  const domain = values.domain ?? env.GROUPS_DOMAIN;
  let secret = values.secret ?? env.GROUPS_SECRET;
  const secretFile = values['secret-file'] ?? env.GROUPS_SECRET_FILE;
  if (!secret && secretFile) secret = readFileSync(secretFile, 'utf8').trim();
  const dataDir = values['data-dir'] ?? env.GROUPS_DATA_DIR;
  if (!domain || !secret || !dataDir) {
    console.error('groups-server: --domain, --secret (or --secret-file) and --data-dir are required; see --help');
    process.exit(2);
  }
  const postgresUrl = values.postgres ?? env.GROUPS_POSTGRES_URL;
  const days = int(values['retention-days'], 'retention-days');
  const vouch = int(values['vouch-timeout'], 'vouch-timeout');
  const server = await startGroupServer({
    domain,
    secret,
    host: values.host ?? env.GROUPS_HOST ?? '127.0.0.1',
    port: int(values.port ?? env.GROUPS_PORT, 'port') ?? 5347,
    dataDir,
    ...(postgresUrl ? { postgresUrl } : {}),
    ...(days !== undefined ? { retentionMs: days * 24 * 3600_000 } : {}),
    ...(vouch !== undefined ? { vouchTimeoutMs: vouch * 1000 } : {}),
    ...(values['log-events'] ? { onEvent: (e) => console.log(JSON.stringify({ event: e })) } : {}),
    log: (line) => console.error(`groups-server: ${line}`),
  });
  console.log(JSON.stringify({ ready: true, domain: server.domain }));
  const shutdown = (): void => {
    server
      .stop()
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((e: unknown) => {
  console.error(`groups-server: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
