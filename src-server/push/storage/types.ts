// The storage interface of the push server: one interface, two engines (sqlite.ts: embedded
// default; postgres.ts: several replicas on one database, docs/architecture.md §4). Both run the same test
// suite (suite.ts). All times are milliseconds since the Unix epoch, passed in by the caller so
// that tests may drive a fake clock.
import type { DeviceKind } from '../../../src-shared/push/wire';

export interface AccountRow {
  id: string;
  pushName: string;
  passwordHash: string;
  email: string;
  createdAt: number;
}

export interface DeviceRow {
  id: string;
  accountId: string;
  kind: DeviceKind;
  /** APNs token / FCM registration id / Web Push subscription JSON; '' for desktop */
  registrationId: string;
  /** sha256 of the desktop channel secret (hex); '' for other kinds */
  channelHash: string;
  name: string;
  deviceId: string;
  active: boolean;
  createdAt: number;
}

export interface WhitelistTokenRow {
  id: string;
  /** sha256 of the 40-hex token (hex) */
  hash: string;
  accountId: string;
  /** the device the token was issued for (ChatSecure apns_device/gcm_device), or null */
  deviceId: string | null;
  name: string;
  createdAt: number;
  expiresAt: number;
}

export interface PeerRow {
  endpoint: string;
  /** raw Ed25519 public key, base64url */
  publicKey: string;
  /** the peer registered with us: we may relay knocks for its endpoint to it */
  inbound: boolean;
  /** we registered with the peer: we accept relays signed by it */
  outbound: boolean;
  updatedAt: number;
}

/** 'device' entries wait for a desktop device's ack or an adapter's success; 'peer' entries
 * wait for a federated server to accept a relay. */
export type OutboxTarget = 'device' | 'peer';

export interface OutboxEntry {
  id: string;
  target: OutboxTarget;
  /** device id, or peer endpoint */
  targetId: string;
  /** owning account (cascade on account deletion); '' for peer entries */
  accountId: string;
  /** DeviceKind for device entries ('peer' for peer entries): lets the worker skip desktop */
  kind: DeviceKind | 'peer';
  /** JSON text: DeliveryPayload for device entries, Relay for peer entries */
  payload: string;
  createdAt: number;
  expiresAt: number;
  attempts: number;
  nextAttemptAt: number;
}

/** an id remembered for replay protection until expiresAt (see rememberOnce) */
export interface SeenId {
  scope: string;
  id: string;
  expiresAt: number;
}

/** a knock for a push name of this server, in enqueueFanOutOnce */
export interface FanOutItem {
  seen: SeenId;
  pushName: string;
  /** the DeliveryPayload, as JSON text */
  payload: string;
}

/** what the entries of enqueueFanOutOnce look like (fan-out.ts) */
export interface FanOutShape {
  /** the device kinds this server delivers to (desktop, and the adapters configured) */
  kinds: ReadonlyArray<DeviceKind>;
  createdAt: number;
  expiresAt: number;
  /** adapter entries are first due this long after createdAt (fan-out.ts, firstAttempt) */
  leaseMs: number;
}

export interface FanOutResult {
  /** the item's id was new (as enqueueBatchOnce's flags) */
  fresh: boolean;
  /** the entries stored for the item (none unless fresh), its push name's devices oldest first */
  entries: OutboxEntry[];
  /** active devices of the push name whose kind is not in shape.kinds (nothing stored for them) */
  skipped: number;
}

/** the login behind a knock POST, checked again inside the knock's write (enqueueKnockOnce) */
export interface KnockLogin {
  /** sha256 hex of the login token (as putAuthToken's) */
  tokenHash: string;
  now: number;
}

/** what enqueueKnockOnce did: stored; nothing, the id was already recorded; nothing, the login
 * token is not (or no longer) valid */
export type KnockWrite = 'stored' | 'replay' | 'unauthorized';

export type QueuedListener = (deviceIds: string[], entries?: ReadonlyArray<OutboxEntry>) => void;

/** a device as registered: the stored row itself */
export type NewDevice = DeviceRow;

export interface DevicePatch {
  registrationId?: string;
  name?: string;
  deviceId?: string;
  active?: boolean;
}

export interface PushStorage {
  readonly engine: 'sqlite' | 'postgres';
  close(): Promise<void>;

  // accounts
  /** false if the push_name is taken (nothing written) */
  createAccount(a: AccountRow): Promise<boolean>;
  accountByName(pushName: string): Promise<AccountRow | null>;
  accountById(id: string): Promise<AccountRow | null>;
  /** removes the account and everything it owns: auth tokens, devices, whitelist tokens, queue */
  deleteAccount(id: string): Promise<void>;

  // auth tokens (Authorization: Token …), stored as sha256 hex
  putAuthToken(hash: string, accountId: string, createdAt: number, expiresAt: number): Promise<void>;
  /** the owning account if the token exists and has not expired at `now` (one query: every
   * authenticated request makes it) */
  accountByAuthToken(hash: string, now: number): Promise<AccountRow | null>;
  deleteAuthToken(hash: string): Promise<void>;

  // devices
  /** inserts the device unless the account already has `max` devices (false, nothing
   * written); counted inside the write, so parallel requests cannot pass the cap together */
  createDevice(d: NewDevice, max: number): Promise<boolean>;
  devices(accountId: string, kind?: DeviceKind): Promise<DeviceRow[]>;
  /** every device (active or not) of the account with this push_name, oldest first; empty if
   * there is no such account. Read for every knock delivered here (one query; SQLite answers
   * from a cache that every device or account change clears). Callers must not modify it. */
  devicesByName(pushName: string): Promise<ReadonlyArray<DeviceRow>>;
  device(id: string): Promise<DeviceRow | null>;
  deviceByChannelHash(hash: string): Promise<DeviceRow | null>;
  updateDevice(id: string, patch: DevicePatch): Promise<void>;
  /** removes the device, its whitelist tokens and its queued deliveries */
  deleteDevice(id: string): Promise<void>;

  // whitelist tokens (ChatSecure tokens/)
  /** inserts the token unless the account already has `max` tokens (false, nothing written) */
  createWhitelistToken(t: WhitelistTokenRow, max: number): Promise<boolean>;
  whitelistTokens(accountId: string): Promise<WhitelistTokenRow[]>;
  whitelistTokenByHash(hash: string): Promise<WhitelistTokenRow | null>;
  deleteWhitelistToken(id: string): Promise<void>;

  // durable queue
  /** atomically inserts the entries and wakes every replica's listeners for the device ids */
  enqueue(entries: OutboxEntry[]): Promise<void>;
  /** records `seen` (replay protection, as rememberOnce) and inserts the entries in one
   * transaction; false, with nothing written, if the id was already recorded. An accepted knock
   * is thus never half-stored: either its id and its queue entries are durable, or neither. */
  enqueueOnce(seen: SeenId, entries: OutboxEntry[]): Promise<boolean>;
  /** enqueueOnce for a knock POST whose login the server took from its cache (api/services.ts):
   * in the same transaction (one statement on PostgreSQL, shared by the knocks of one turn), the
   * login token must be valid at login.now, else nothing is written: 'unauthorized'. A login
   * revoked on any replica is thus refused at the write, even if the cache still knows it. */
  enqueueKnockOnce(login: KnockLogin, seen: SeenId, entries: OutboxEntry[]): Promise<KnockWrite>;
  /** One transaction for a batch (a batched relay): records `gate` and, only if it is new,
   * each item's id with its entries, an item whose id was already recorded (or recorded earlier
   * in the same batch) being skipped. null, with nothing written, if `gate` was already
   * recorded; else whether each item was new. */
  enqueueBatchOnce(gate: SeenId, items: ReadonlyArray<{ seen: SeenId; entries: OutboxEntry[] }>): Promise<boolean[] | null>;
  /** enqueueBatchOnce for knocks to this server's push names, the storage making each new item's
   * fan-out (fan-out.ts): an entry per active device of the push name whose kind is in
   * shape.kinds. One statement on PostgreSQL (the devices' read and the writes: issue 17); null,
   * with nothing written, if `gate` was already recorded. */
  enqueueFanOutOnce(gate: SeenId, items: ReadonlyArray<FanOutItem>, shape: FanOutShape): Promise<FanOutResult[] | null>;
  /** undelivered, unexpired entries for a device, oldest first */
  pendingForDevice(deviceId: string, now: number, limit: number): Promise<OutboxEntry[]>;
  /** deletes the entry if it belongs to the device; false if there was none */
  ackDelivery(deviceId: string, entryId: string): Promise<boolean>;
  /** ackDelivery for many entries in one transaction (acknowledgements arriving together);
   * one result per ack, in order */
  ackDeliveries(acks: ReadonlyArray<{ deviceId: string; entryId: string }>): Promise<boolean[]>;
  /** entries of the given kinds whose nextAttemptAt ≤ now; their nextAttemptAt is moved to
   * now + leaseMs atomically, so that concurrent replicas do not claim the same entry */
  claimDue(kinds: ReadonlyArray<OutboxEntry['kind']>, now: number, leaseMs: number, limit: number): Promise<OutboxEntry[]>;
  /** makes every leased entry due now (only for a single process owning the database: SQLite) */
  releaseLeases(now: number): Promise<void>;
  reschedule(id: string, attempts: number, nextAttemptAt: number): Promise<void>;
  removeEntry(id: string): Promise<void>;
  /** removeEntry for many entries in one transaction (a relayed batch) */
  removeEntries(ids: ReadonlyArray<string>): Promise<void>;
  /** removes expired entries and replay ids; returns how many queue entries expired */
  purgeExpired(now: number): Promise<number>;
  countQueued(): Promise<number>;

  // replay protection
  /** records (scope, id) until expiresAt; false if it was already recorded (a replay) */
  rememberOnce(scope: string, id: string, expiresAt: number): Promise<boolean>;

  // federation
  upsertPeer(p: { endpoint: string; publicKey: string; inbound?: boolean; outbound?: boolean; now: number }): Promise<void>;
  peer(endpoint: string): Promise<PeerRow | null>;

  // server identity and other settings shared by replicas
  getMeta(key: string): Promise<string | null>;
  /** sets the value only if unset; returns the value now stored (replicas racing agree) */
  setMetaOnce(key: string, value: string): Promise<string>;

  /** listener called, once the entries are committed, with the device ids that got new entries
   * (from any replica). For entries this process enqueued, `entries` holds them too, so that a
   * listener need not read back what it could hand over at once. Returns unsubscribe. */
  onQueued(listener: QueuedListener): () => void;
}
