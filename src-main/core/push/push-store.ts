// The push module's tables in the profile's SQLCipher database (docs/architecture.md §4: everything private is
// encrypted at rest under the profile's key). The seed's seven-field record ("Initial Exchange
// over OTR TLV" step 4: protocol, account_name, push_name, api_endpoint, buddy_name, buddy's
// push_name, buddy's api_endpoint) is stored with shared_key; never written anywhere else.
// The tables are created by the profile database's one migration runner (store/migrations.ts);
// this module expects a migrated database.
import type { Database } from '@signalapp/sqlcipher';
import { MessengerError } from '../../../src-shared/ipc/result';
import { bytes, bytesOrNull, every, int, intOrNull, maybe, text, textOrNull, type Row } from '../store/rows';

export interface PushAccountRow {
  account_id: string;
  api_endpoint: string;
  push_name: string;
  device_id: string | null;
  created_at: number;
}

/** The seed's seven fields (account_id/peer are our keys; account_name/buddy_name the names). */
export interface PushRecord {
  accountId: string;
  peer: string;
  protocol: 'xmpp';
  accountName: string;
  pushName: string;
  apiEndpoint: string;
  buddyName: string;
  buddyPushName: string;
  buddyApiEndpoint: string;
  sharedKey: Uint8Array;
  otrVersion: 3 | 4;
  /** the whitelist token we issued to this contact (revoked with the record) */
  ourToken: string | null;
  /** ChatSecure v3.1 push_info the contact gave us */
  theirMessagesUrl: string | null;
  theirTokens: string[];
  createdAt: number;
  rotatedAt: number;
}

export interface HandshakeRow {
  state: string;
  /** JSON of the contact's decoded offer while it waits for our user's answer */
  pending: string | null;
  pendingKey: Uint8Array | null;
  pendingVersion: 3 | 4 | null;
  ourToken: string | null;
  updatedAt: number;
}

/** accounts.connect_at_start of an account the user put to sleep (connected to push only) */
export const ASLEEP_AT_START = 2;

/** a push_records row, checked column by column (store/rows.ts) */
const toRecord = (r: Row): PushRecord => {
  const theirTokens: unknown = JSON.parse(text(r, 'their_tokens'));
  if (!Array.isArray(theirTokens) || !theirTokens.every((t) => typeof t === 'string'))
    throw new MessengerError('internal', 'The profile database holds a row this version cannot read (column their_tokens).');
  return {
    accountId: text(r, 'account_id'),
    peer: text(r, 'peer'),
    protocol: 'xmpp',
    accountName: text(r, 'account_name'),
    pushName: text(r, 'push_name'),
    apiEndpoint: text(r, 'api_endpoint'),
    buddyName: text(r, 'buddy_name'),
    buddyPushName: text(r, 'buddy_push_name'),
    buddyApiEndpoint: text(r, 'buddy_api_endpoint'),
    sharedKey: bytes(r, 'shared_key'),
    otrVersion: int(r, 'otr_version') === 3 ? 3 : 4,
    ourToken: textOrNull(r, 'our_token'),
    theirMessagesUrl: textOrNull(r, 'their_messages_url'),
    theirTokens: theirTokens as string[],
    createdAt: int(r, 'created_at'),
    rotatedAt: int(r, 'rotated_at'),
  };
};

const toAccount = (r: Row): PushAccountRow => ({
  account_id: text(r, 'account_id'),
  api_endpoint: text(r, 'api_endpoint'),
  push_name: text(r, 'push_name'),
  device_id: textOrNull(r, 'device_id'),
  created_at: int(r, 'created_at'),
});

/** a copy the SQLite binding takes as a BLOB (it wants a plain ArrayBuffer-backed array) */
const blob = (b: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(b);

export class PushStore {
  constructor(private readonly db: Database) {}

  // ---- push accounts -------------------------------------------------------------------------

  account(accountId: string): PushAccountRow | undefined {
    return maybe(this.db.prepare('SELECT * FROM push_accounts WHERE account_id = ?').get([accountId]), toAccount);
  }

  setAccount(a: PushAccountRow): void {
    this.db
      .prepare(
        'INSERT INTO push_accounts (account_id, api_endpoint, push_name, device_id, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET api_endpoint = excluded.api_endpoint, push_name = excluded.push_name, device_id = excluded.device_id',
      )
      .run([a.account_id, a.api_endpoint, a.push_name, a.device_id, a.created_at]);
  }

  deleteAccount(accountId: string): void {
    this.db.transaction(() => {
      for (const t of ['push_accounts', 'push_records', 'push_handshakes', 'push_seen'])
        this.db.prepare(`DELETE FROM ${t} WHERE account_id = ?`).run([accountId]);
    })();
  }

  // ---- the account's state at start-up --------------------------------------------------------

  /**
   * The "asleep" choice outlives a restart (push/sleep.ts): accounts.connect_at_start holds 1
   * (connect), 0 (the user took it offline; store/store.ts writes both) or ASLEEP_AT_START.
   */
  setStartState(accountId: string, state: 'asleep' | 'online' | 'offline'): void {
    const value = state === 'asleep' ? ASLEEP_AT_START : state === 'online' ? 1 : 0;
    this.db.prepare('UPDATE accounts SET connect_at_start = ? WHERE id = ?').run([value, accountId]);
  }

  // ---- records -------------------------------------------------------------------------------

  record(accountId: string, peer: string): PushRecord | undefined {
    return maybe(this.db.prepare('SELECT * FROM push_records WHERE account_id = ? AND peer = ?').get([accountId, peer]), toRecord);
  }

  records(accountId: string): PushRecord[] {
    return every(this.db.prepare('SELECT * FROM push_records WHERE account_id = ? ORDER BY peer').all([accountId]), toRecord);
  }

  /** records a knock's public To (ours) and From (theirs) can belong to (docs/architecture.md §7 look-up) */
  recordsByRoute(to: { endpoint: string; push_name: string }, from: { endpoint: string; push_name: string }): PushRecord[] {
    return every(
      this.db
        .prepare('SELECT * FROM push_records WHERE api_endpoint = ? AND push_name = ? AND buddy_api_endpoint = ? AND buddy_push_name = ?')
        .all([to.endpoint, to.push_name, from.endpoint, from.push_name]),
      toRecord,
    );
  }

  recordByOurToken(token: string): PushRecord | undefined {
    return maybe(this.db.prepare('SELECT * FROM push_records WHERE our_token = ?').get([token]), toRecord);
  }

  putRecord(r: PushRecord): void {
    this.db
      .prepare(
        `INSERT INTO push_records (account_id, peer, protocol, account_name, push_name, api_endpoint, buddy_name, buddy_push_name, buddy_api_endpoint, shared_key, otr_version, our_token, their_messages_url, their_tokens, created_at, rotated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (account_id, peer) DO UPDATE SET protocol = excluded.protocol, account_name = excluded.account_name, push_name = excluded.push_name,
           api_endpoint = excluded.api_endpoint, buddy_name = excluded.buddy_name, buddy_push_name = excluded.buddy_push_name,
           buddy_api_endpoint = excluded.buddy_api_endpoint, shared_key = excluded.shared_key, otr_version = excluded.otr_version,
           our_token = excluded.our_token, their_messages_url = excluded.their_messages_url, their_tokens = excluded.their_tokens, rotated_at = excluded.rotated_at`,
      )
      .run([
        r.accountId,
        r.peer,
        r.protocol,
        r.accountName,
        r.pushName,
        r.apiEndpoint,
        r.buddyName,
        r.buddyPushName,
        r.buddyApiEndpoint,
        blob(r.sharedKey),
        r.otrVersion,
        r.ourToken,
        r.theirMessagesUrl,
        JSON.stringify(r.theirTokens),
        r.createdAt,
        r.rotatedAt,
      ]);
  }

  deleteRecord(accountId: string, peer: string): void {
    this.db.prepare('DELETE FROM push_records WHERE account_id = ? AND peer = ?').run([accountId, peer]);
  }

  // ---- handshake state -----------------------------------------------------------------------

  handshake(accountId: string, peer: string): HandshakeRow | undefined {
    return maybe(this.db.prepare('SELECT * FROM push_handshakes WHERE account_id = ? AND peer = ?').get([accountId, peer]), (r) => {
      const version = intOrNull(r, 'pending_version');
      return {
        state: text(r, 'state'),
        pending: textOrNull(r, 'pending'),
        pendingKey: bytesOrNull(r, 'pending_key'),
        pendingVersion: version === 3 || version === 4 ? version : null,
        ourToken: textOrNull(r, 'our_token'),
        updatedAt: int(r, 'updated_at'),
      };
    });
  }

  /** the contacts with a handshake state (asked, answered, declined) */
  handshakePeers(accountId: string): string[] {
    return every(this.db.prepare('SELECT peer FROM push_handshakes WHERE account_id = ?').all([accountId]), (r) => text(r, 'peer'));
  }

  setHandshake(accountId: string, peer: string, h: HandshakeRow): void {
    this.db
      .prepare(
        `INSERT INTO push_handshakes (account_id, peer, state, pending, pending_key, pending_version, our_token, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (account_id, peer) DO UPDATE SET state = excluded.state, pending = excluded.pending, pending_key = excluded.pending_key,
           pending_version = excluded.pending_version, our_token = excluded.our_token, updated_at = excluded.updated_at`,
      )
      .run([accountId, peer, h.state, h.pending, h.pendingKey ? blob(h.pendingKey) : null, h.pendingVersion, h.ourToken, h.updatedAt]);
  }

  // ---- replay protection ---------------------------------------------------------------------

  /** Records a knock id; false if it was already seen (a replay). */
  markSeen(accountId: string, knockId: string, now: number): boolean {
    return (
      this.db.prepare('INSERT INTO push_seen (account_id, knock_id, seen_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run([accountId, knockId, now])
        .changes === 1
    );
  }

  /** Forgets ids older than the freshness window: a knock that old is refused as stale anyway. */
  pruneSeen(before: number): void {
    this.db.prepare('DELETE FROM push_seen WHERE seen_at < ?').run([before]);
  }
}
