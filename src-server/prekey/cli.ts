// `npm run prekey-server -- [options]`: the OTRv4 prekey server as an XEP-0114 component.
// Options may also come from the environment (PREKEY_*), so that the secret need not appear in a
// process listing.
import { parseArgs } from 'node:util';
import { COMPONENT_OPTIONS, componentSettings, nonNegativeInt as int, runComponent } from '../component-cli';
import { startPrekeyServer } from './server';

const HELP = `OTRv4 prekey server (otrv4-prekey-server.md) as an XMPP component (XEP-0114)

Usage: npm run prekey-server -- [options]

  --domain JID        the component JID, e.g. prekeys.example.org          [PREKEY_DOMAIN]
  --secret SECRET     the component secret shared with the XMPP server     [PREKEY_SECRET]
  --secret-file FILE  read the secret from FILE instead                    [PREKEY_SECRET_FILE]
  --host HOST         the XMPP server's component interface (127.0.0.1)    [PREKEY_HOST]
  --port PORT         the XMPP server's component port (5347)              [PREKEY_PORT]
  --data-dir DIR      storage directory (prekeys.sqlite; key file)         [PREKEY_DATA_DIR]
  --key-file FILE     the server's long-term Ed448 key (default DIR/server-key);
                      generated on first start, kept afterwards (mode 0600) [PREKEY_KEY_FILE]
  --postgres URL      use PostgreSQL (postgres://…) instead of SQLite, for several
                      replicas sharing one storage                          [PREKEY_POSTGRES_URL]
  --max-prekeys N     prekey messages stored per identity (2000)
  --max-devices N     instance tags per identity (16)
  --retrievals N      ensemble retrievals per requester per minute (30)
  --target-retrievals N  retrievals of one contact's ensembles per minute, all
                      requesters together (20)
  --dakes N           DAKEs (publications, status queries) per publisher per minute (30)
  --max-body CHARS    largest accepted message, fragments reassembled (262144)
  --verify-threads N  worker threads that verify publications; 0 = on the event
                      loop (default: one per core, at most 4)
  --log-events        print one JSON line per protocol event on stdout (no key material)
  --time-offset SEC   shift the server clock (testing expiry only)
  --help              this text

Prosody: declare the component in the XMPP server's configuration, e.g.
  Component "prekeys.example.org"
    component_secret = "…"
The server announces itself by disco (identity auth/otr-prekey, feature
http://jabber.org/protocol/otrv4-prekey-server) and its fingerprint as the disco#items
item with node 'fingerprint'. It prints that fingerprint on start.`;

async function main(): Promise<{ stop(): Promise<void> } | undefined> {
  const { values } = parseArgs({
    options: {
      ...COMPONENT_OPTIONS,
      'key-file': { type: 'string' },
      'max-prekeys': { type: 'string' },
      'max-devices': { type: 'string' },
      retrievals: { type: 'string' },
      'target-retrievals': { type: 'string' },
      dakes: { type: 'string' },
      'max-body': { type: 'string' },
      'verify-threads': { type: 'string' },
      'time-offset': { type: 'string' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return undefined;
  }
  const settings = componentSettings(values, 'PREKEY', 'prekey-server');
  const offsetMs = (int(values['time-offset'], 'time-offset') ?? 0) * 1000;
  const keyFile = values['key-file'] ?? process.env.PREKEY_KEY_FILE;
  const limits = Object.fromEntries(
    Object.entries({
      maxPrekeyMessagesPerIdentity: int(values['max-prekeys'], 'max-prekeys'),
      maxInstanceTagsPerIdentity: int(values['max-devices'], 'max-devices'),
      retrievalsPerMinute: int(values.retrievals, 'retrievals'),
      retrievalsPerTargetPerMinute: int(values['target-retrievals'], 'target-retrievals'),
      dakesPerMinute: int(values.dakes, 'dakes'),
      maxBodyChars: int(values['max-body'], 'max-body'),
    }).filter(([, v]) => v !== undefined),
  );
  const verifyThreads = int(values['verify-threads'], 'verify-threads');
  const server = await startPrekeyServer({
    ...settings,
    ...(verifyThreads !== undefined ? { verifyThreads } : {}),
    ...(keyFile ? { keyFile } : {}),
    limits,
    ...(offsetMs ? { clock: () => Date.now() + offsetMs } : {}),
    ...(values['log-events'] ? { onEvent: (e) => console.log(JSON.stringify({ event: e })) } : {}),
    log: (line) => console.error(`prekey-server: ${line}`),
  });
  // one machine-readable line for whoever started us (tests, service managers)
  console.log(JSON.stringify({ ready: true, domain: server.domain, fingerprint: server.fingerprint }));
  return server;
}

runComponent('prekey-server', main);
