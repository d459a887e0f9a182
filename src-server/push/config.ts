// Command-line configuration of the push server (`npm run push-server -- --help`).
import { parseArgs } from 'node:util';
import { normalizeEndpoint } from '../../src-shared/push/wire';
import type { RateRule } from './ratelimit';

export interface PushServerConfig {
  dataDir: string;
  host: string;
  port: number;
  /** api_endpoint, e.g. https://push.example/api/v1/ (normalised) — null: derived once listening */
  publicUrl: string | null;
  tlsCert: string | null;
  tlsKey: string | null;
  /** reverse proxies in front that each append the address they saw to X-Forwarded-For: the
   * client address is the entry the outermost trusted proxy appended (0: no proxy, use the
   * socket's address) */
  trustedProxyHops: number;
  /** registration targets may be loopback, private or link-local addresses (tests, a local
   * stack); refused by default */
  allowPrivatePeers: boolean;
  /** postgres:// connection string; null = embedded SQLite in dataDir */
  database: string | null;
  sqliteSync: 'normal' | 'full';
  caFile: string | null;
  registerWith: string[];
  knockTtlS: number;
  whitelistTokenTtlS: number;
  authTokenTtlS: number;
  relayWindowS: number;
  maxBody: number;
  scryptLogN: number;
  /** password hashes computed at once; more wait in a queue of scryptQueue, beyond it 503 */
  scryptConcurrency: number;
  scryptQueue: number;
  rate: { ip: RateRule; account: RateRule; token: RateRule; peer: RateRule; loginFailures: RateRule };
  maxDevicesPerAccount: number;
  maxTokensPerAccount: number;
  pubsubJid: string | null;
  pollMs: number;
  logLevel: 'info' | 'warn' | 'error' | 'silent';
  apns: { keyFile: string; keyId: string; teamId: string; topic: string; url: string } | null;
  fcm: { serviceAccountFile: string; url: string; tokenUrl: string | null } | null;
  webpush: { vapidKeyFile: string; subject: string } | null;
}

export const HELP = `push-server — ChatSecure push v3 knocks, federation and the ChatSecure v3.1 API

Usage: npm run push-server -- [options]

Storage
  --data-dir DIR            data directory (SQLite database push.sqlite) [./push-data]
  --database URL            PostgreSQL connection string (postgres://user:pass@host:port/db);
                            several replicas may share one database. Also read from the
                            PUSH_DATABASE_URL environment variable (keeps passwords out of ps).
  --sqlite-sync MODE        normal: queued knocks survive a crash of the process; full: they
                            also survive power loss, at one fsync per write [normal]
Network
  --host ADDR               listen address [127.0.0.1]
  --port N                  listen port, 0 = any free port [8080]
  --public-url URL          the api_endpoint clients and peers use, e.g.
                            https://push.example/api/v1/ [http(s)://HOST:PORT/api/v1/]
  --tls-cert FILE           PEM certificate chain: serve HTTPS/WSS directly
  --tls-key FILE            PEM private key for --tls-cert
  --trusted-proxy-hops N    N reverse proxies are in front, each appending the address it saw
                            to X-Forwarded-For: the client address for rate limiting is the
                            N-th entry from the right (the one the outermost proxy appended);
                            entries further left are the client's own claims and are ignored
                            [0: no proxy, the connection's address]
  --behind-proxy            the same as --trusted-proxy-hops 1 (set --public-url to the
                            proxy's https URL)
  --ca FILE                 extra PEM CA trusted for outgoing HTTPS (peers, adapters), in
                            addition to the system roots
Federation
  --register-with URL       register with the push server at this api_endpoint so that it
                            relays knocks for our users to us (repeatable)
  --relay-window S          accepted clock skew of signed relays/registrations [300]
  --allow-private-peers     accept registrations from endpoints at loopback, private or
                            link-local addresses (a test or local stack); refused otherwise
Lifetimes
  --knock-ttl S             how long an undelivered knock waits [604800 = 7 days]
  --token-ttl S             lifetime of ChatSecure whitelist tokens [2592000 = 30 days]
  --auth-token-ttl S        lifetime of login tokens (Authorization: Token) [7776000 = 90 days]
Limits
  --max-body BYTES          largest request body [16384]
  --rate-ip B:R             per client address: burst B, R per second [60:10]
  --rate-account B:R        per authenticated account [120:20]
  --rate-token B:R          per whitelist token on messages/ [10:1]
  --rate-peer B:R           knocks relayed per peer server (federation/relay) [2000:1000]
                            (0:0 disables a limit)
  --max-devices N           devices per account [50]
  --max-tokens N            whitelist tokens per account [500]
  --login-failures B:R      failed logins per push_name: burst B, R per second; beyond it the
                            name is locked (429 login_locked) until the bucket refills [10:0.01]
  --scrypt-log-n N          scrypt cost, log2 N [15]
  --scrypt-concurrency N    password hashes computed at once [2]
  --scrypt-queue N          logins waiting for a hash slot; beyond it 503 busy [16]
Adapters (each enabled when configured)
  --apns-key FILE           APNs token-auth key (.p8, PEM PKCS#8 P-256)
  --apns-key-id ID          its Key ID
  --apns-team-id ID         Apple Developer Team ID
  --apns-topic TOPIC        app bundle id (apns-topic)
  --apns-url URL            [https://api.push.apple.com] (sandbox: https://api.sandbox.push.apple.com)
  --fcm-service-account FILE  Google service-account JSON (project_id, client_email,
                            private_key, token_uri)
  --fcm-url URL             [https://fcm.googleapis.com]
  --fcm-token-url URL       override the service account's token_uri
  --vapid-key FILE          Web Push VAPID key (PEM PKCS#8 P-256)
  --vapid-subject URI       mailto: or https: contact for VAPID [mailto:push@localhost]
Other
  --pubsub-jid JID          XEP-0357 service advertised at pubsub/ (ChatSecure)
  --poll-ms MS              safety-net queue poll of the desktop channel [5000]
  --log-level L             info | warn | error | silent [info]
  -h, --help                this text

On start the server prints one JSON line {"event":"listening","endpoint":…,"port":…} on stdout.
`;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function int(v: string | undefined, name: string, def: number, min = 0): number {
  if (v === undefined) return def;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new ConfigError(`--${name} must be an integer ≥ ${min}`);
  return Number(v);
}
function rule(v: string | undefined, name: string, def: RateRule): RateRule {
  if (v === undefined) return def;
  const m = /^(\d+):(\d+(?:\.\d+)?)$/.exec(v);
  if (!m) throw new ConfigError(`--${name} must be BURST:PER_SECOND`);
  return { burst: Number(m[1]), perSecond: Number(m[2]) };
}

export function parseConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): PushServerConfig | 'help' {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      'data-dir': { type: 'string' },
      database: { type: 'string' },
      'sqlite-sync': { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'public-url': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'behind-proxy': { type: 'boolean' },
      'trusted-proxy-hops': { type: 'string' },
      'allow-private-peers': { type: 'boolean' },
      'login-failures': { type: 'string' },
      'scrypt-concurrency': { type: 'string' },
      'scrypt-queue': { type: 'string' },
      ca: { type: 'string' },
      'register-with': { type: 'string', multiple: true },
      'relay-window': { type: 'string' },
      'knock-ttl': { type: 'string' },
      'token-ttl': { type: 'string' },
      'auth-token-ttl': { type: 'string' },
      'max-body': { type: 'string' },
      'rate-ip': { type: 'string' },
      'rate-account': { type: 'string' },
      'rate-token': { type: 'string' },
      'rate-peer': { type: 'string' },
      'max-devices': { type: 'string' },
      'max-tokens': { type: 'string' },
      'scrypt-log-n': { type: 'string' },
      'apns-key': { type: 'string' },
      'apns-key-id': { type: 'string' },
      'apns-team-id': { type: 'string' },
      'apns-topic': { type: 'string' },
      'apns-url': { type: 'string' },
      'fcm-service-account': { type: 'string' },
      'fcm-url': { type: 'string' },
      'fcm-token-url': { type: 'string' },
      'vapid-key': { type: 'string' },
      'vapid-subject': { type: 'string' },
      'pubsub-jid': { type: 'string' },
      'poll-ms': { type: 'string' },
      'log-level': { type: 'string' },
    },
  });
  if (v.help) return 'help';
  const tlsCert = v['tls-cert'] ?? null;
  const tlsKey = v['tls-key'] ?? null;
  if ((tlsCert === null) !== (tlsKey === null)) throw new ConfigError('--tls-cert and --tls-key go together');
  let publicUrl: string | null = null;
  if (v['public-url']) {
    try {
      publicUrl = normalizeEndpoint(v['public-url']);
    } catch (e) {
      throw new ConfigError(`--public-url: ${(e as Error).message}`);
    }
  }
  const logLevel = v['log-level'] ?? 'info';
  if (!['info', 'warn', 'error', 'silent'].includes(logLevel)) throw new ConfigError('--log-level must be info, warn, error or silent');
  const apnsParts = [v['apns-key'], v['apns-key-id'], v['apns-team-id'], v['apns-topic']];
  if (apnsParts.some(Boolean) && !apnsParts.every(Boolean)) throw new ConfigError('APNs needs --apns-key, --apns-key-id, --apns-team-id and --apns-topic');
  const sqliteSync = v['sqlite-sync'] ?? 'normal';
  if (sqliteSync !== 'normal' && sqliteSync !== 'full') throw new ConfigError('--sqlite-sync must be normal or full');
  const scryptLogN = int(v['scrypt-log-n'], 'scrypt-log-n', 15, 10);
  if (scryptLogN > 20) throw new ConfigError('--scrypt-log-n must be ≤ 20');
  return {
    dataDir: v['data-dir'] ?? './push-data',
    host: v.host ?? '127.0.0.1',
    port: int(v.port, 'port', 8080),
    publicUrl,
    tlsCert,
    tlsKey,
    trustedProxyHops: int(v['trusted-proxy-hops'], 'trusted-proxy-hops', v['behind-proxy'] ? 1 : 0),
    allowPrivatePeers: v['allow-private-peers'] ?? false,
    database: v.database ?? env.PUSH_DATABASE_URL ?? null,
    sqliteSync,
    caFile: v.ca ?? null,
    registerWith: (v['register-with'] ?? []).map((u) => {
      try {
        return normalizeEndpoint(u);
      } catch (e) {
        throw new ConfigError(`--register-with: ${(e as Error).message}`);
      }
    }),
    relayWindowS: int(v['relay-window'], 'relay-window', 300, 1),
    knockTtlS: int(v['knock-ttl'], 'knock-ttl', 7 * 24 * 3600, 1),
    whitelistTokenTtlS: int(v['token-ttl'], 'token-ttl', 30 * 24 * 3600, 1),
    authTokenTtlS: int(v['auth-token-ttl'], 'auth-token-ttl', 90 * 24 * 3600, 1),
    maxBody: int(v['max-body'], 'max-body', 16 * 1024, 1024),
    scryptLogN,
    scryptConcurrency: int(v['scrypt-concurrency'], 'scrypt-concurrency', 2, 1),
    scryptQueue: int(v['scrypt-queue'], 'scrypt-queue', 16),
    rate: {
      ip: rule(v['rate-ip'], 'rate-ip', { burst: 60, perSecond: 10 }),
      account: rule(v['rate-account'], 'rate-account', { burst: 120, perSecond: 20 }),
      token: rule(v['rate-token'], 'rate-token', { burst: 10, perSecond: 1 }),
      peer: rule(v['rate-peer'], 'rate-peer', { burst: 2000, perSecond: 1000 }),
      loginFailures: rule(v['login-failures'], 'login-failures', { burst: 10, perSecond: 0.01 }),
    },
    maxDevicesPerAccount: int(v['max-devices'], 'max-devices', 50, 1),
    maxTokensPerAccount: int(v['max-tokens'], 'max-tokens', 500, 1),
    pubsubJid: v['pubsub-jid'] ?? null,
    pollMs: int(v['poll-ms'], 'poll-ms', 5000, 100),
    logLevel: logLevel as PushServerConfig['logLevel'],
    apns: v['apns-key']
      ? {
          keyFile: v['apns-key'],
          keyId: v['apns-key-id']!,
          teamId: v['apns-team-id']!,
          topic: v['apns-topic']!,
          url: v['apns-url'] ?? 'https://api.push.apple.com',
        }
      : null,
    fcm: v['fcm-service-account']
      ? { serviceAccountFile: v['fcm-service-account'], url: v['fcm-url'] ?? 'https://fcm.googleapis.com', tokenUrl: v['fcm-token-url'] ?? null }
      : null,
    webpush: v['vapid-key'] ? { vapidKeyFile: v['vapid-key'], subject: v['vapid-subject'] ?? 'mailto:push@localhost' } : null,
  };
}
