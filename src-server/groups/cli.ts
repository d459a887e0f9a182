// `npm run groups-server -- [options]`: the verified-groups service as an XEP-0114 component.
// Options may also come from the environment (GROUPS_*), so that the secret need not appear in a
// process listing.
import { parseArgs } from 'node:util';
import { COMPONENT_OPTIONS, componentSettings, nonNegativeInt, runComponent } from '../component-cli';
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

async function main(): Promise<{ stop(): Promise<void> } | undefined> {
  const { values } = parseArgs({
    options: {
      ...COMPONENT_OPTIONS,
      'retention-days': { type: 'string' },
      'vouch-timeout': { type: 'string' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return undefined;
  }
  const days = nonNegativeInt(values['retention-days'], 'retention-days');
  const vouch = nonNegativeInt(values['vouch-timeout'], 'vouch-timeout');
  const server = await startGroupServer({
    ...componentSettings(values, 'GROUPS', 'groups-server'),
    ...(days !== undefined ? { retentionMs: days * 24 * 3600_000 } : {}),
    ...(vouch !== undefined ? { vouchTimeoutMs: vouch * 1000 } : {}),
    ...(values['log-events'] ? { onEvent: (e) => console.log(JSON.stringify({ event: e })) } : {}),
    log: (line) => console.error(`groups-server: ${line}`),
  });
  console.log(JSON.stringify({ ready: true, domain: server.domain }));
  return server;
}

runComponent('groups-server', main);
