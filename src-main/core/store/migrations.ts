// The one migration runner of the profile database: every table of it (the core's accounts,
// contacts and messages, and the OTR module's otr_* tables) is created and changed here, in
// order, each step in its own transaction, with the version in `PRAGMA user_version` (SQLite
// "user_version"). A step is never edited once released: a change is a new step at the end.
import type { Database } from '@signalapp/sqlcipher';
import { MessengerError } from '../../../src-shared/ipc/result';

export const MIGRATIONS: readonly string[] = [
  // v1
  `CREATE TABLE accounts (
     id TEXT PRIMARY KEY,
     jid TEXT NOT NULL UNIQUE,
     host TEXT,
     port INTEGER,
     resource TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE contacts (
     account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
     jid TEXT NOT NULL,
     name TEXT,
     subscription TEXT NOT NULL DEFAULT 'none' CHECK (subscription IN ('none','to','from','both')),
     pending_out INTEGER NOT NULL DEFAULT 0,
     pending_in INTEGER NOT NULL DEFAULT 0,
     in_roster INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (account_id, jid)
   );
   CREATE TABLE messages (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
     peer TEXT NOT NULL,
     direction TEXT NOT NULL CHECK (direction IN ('in','out')),
     body TEXT NOT NULL,
     timestamp INTEGER NOT NULL,
     delivery TEXT NOT NULL CHECK (delivery IN ('pending','sent','delivered','failed')),
     encrypted INTEGER NOT NULL DEFAULT 0,
     remote_id TEXT,
     read INTEGER NOT NULL DEFAULT 0
   );
   CREATE UNIQUE INDEX messages_incoming_remote ON messages(account_id, peer, remote_id) WHERE direction = 'in' AND remote_id IS NOT NULL;
   CREATE INDEX messages_conversation ON messages(account_id, peer, seq);
   CREATE INDEX messages_pending ON messages(account_id, seq) WHERE delivery = 'pending';`,
  // v2: copies of what our other devices sent (XEP-0280 carbons) are stored once
  `CREATE UNIQUE INDEX messages_outgoing_remote ON messages(account_id, peer, remote_id) WHERE direction = 'out' AND remote_id IS NOT NULL;`,
  // v3: unread counts and markRead touch only unread incoming rows, not the whole conversation
  `CREATE INDEX messages_unread ON messages(account_id, peer) WHERE direction = 'in' AND read = 0;`,
  // v4: an account the user took offline stays offline when the messenger starts again
  `ALTER TABLE accounts ADD COLUMN connect_at_start INTEGER NOT NULL DEFAULT 1;`,
  // v5: the OTR tables (otr/otr-store.ts): fingerprints and trust, policies, messages waiting for
  // a private session, conversations private by intent. Profiles of earlier versions already
  // have them (the OTR module created them itself): IF NOT EXISTS keeps their rows.
  `CREATE TABLE IF NOT EXISTS otr_fingerprints (
     account_id TEXT NOT NULL,
     peer TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     version INTEGER NOT NULL CHECK (version IN (3, 4)),
     verified INTEGER NOT NULL DEFAULT 0,
     first_seen INTEGER NOT NULL,
     last_seen INTEGER NOT NULL,
     PRIMARY KEY (account_id, peer, fingerprint)
   );
   CREATE TABLE IF NOT EXISTS otr_policies (
     account_id TEXT NOT NULL,
     peer TEXT NOT NULL DEFAULT '',
     policy TEXT NOT NULL CHECK (policy IN ('manual', 'opportunistic', 'always')),
     PRIMARY KEY (account_id, peer)
   );
   CREATE TABLE IF NOT EXISTS otr_queue (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     message_id TEXT NOT NULL UNIQUE,
     account_id TEXT NOT NULL,
     peer TEXT NOT NULL,
     body TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX IF NOT EXISTS otr_queue_peer ON otr_queue(account_id, peer, seq);
   CREATE TABLE IF NOT EXISTS otr_private (
     account_id TEXT NOT NULL,
     peer TEXT NOT NULL,
     PRIMARY KEY (account_id, peer)
   );`,
  // v6: each account's OTR keys and prekey secrets, sealed with the data key from the keychain
  // (otr/identity.ts); the keychain keeps only small keys (Windows caps an entry at 2,560 bytes).
  `CREATE TABLE IF NOT EXISTS otr_identity (
     account_id TEXT PRIMARY KEY,
     sealed TEXT NOT NULL,
     updated_at INTEGER NOT NULL
   );`,
  // v7: OTRv3 §"Policies" ALLOW_V2 per account (peer '') or contact; NULL: not set (allowed,
  // libotr's default), so clients that speak only OTR version 2 (Profanity) can talk privately
  `ALTER TABLE otr_policies ADD COLUMN allow_v2 INTEGER CHECK (allow_v2 IN (0, 1));`,
  // v8: wake-ups (push/push-store.ts): this account's push account, the seed's seven-field records
  // with their shared keys, handshakes under way, knock ids seen (replays)
  `CREATE TABLE push_accounts (
     account_id TEXT PRIMARY KEY,
     api_endpoint TEXT NOT NULL,
     push_name TEXT NOT NULL,
     device_id TEXT,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE push_records (
     account_id TEXT NOT NULL,
     peer TEXT NOT NULL,
     protocol TEXT NOT NULL,
     account_name TEXT NOT NULL,
     push_name TEXT NOT NULL,
     api_endpoint TEXT NOT NULL,
     buddy_name TEXT NOT NULL,
     buddy_push_name TEXT NOT NULL,
     buddy_api_endpoint TEXT NOT NULL,
     shared_key BLOB NOT NULL,
     otr_version INTEGER NOT NULL CHECK (otr_version IN (3, 4)),
     our_token TEXT,
     their_messages_url TEXT,
     their_tokens TEXT NOT NULL DEFAULT '[]',
     created_at INTEGER NOT NULL,
     rotated_at INTEGER NOT NULL,
     PRIMARY KEY (account_id, peer)
   );
   CREATE INDEX push_records_route ON push_records(api_endpoint, push_name, buddy_api_endpoint, buddy_push_name);
   CREATE TABLE push_handshakes (
     account_id TEXT NOT NULL,
     peer TEXT NOT NULL,
     state TEXT NOT NULL,
     pending TEXT,
     pending_key BLOB,
     pending_version INTEGER,
     our_token TEXT,
     updated_at INTEGER NOT NULL,
     PRIMARY KEY (account_id, peer)
   );
   CREATE TABLE push_seen (
     account_id TEXT NOT NULL,
     knock_id TEXT NOT NULL,
     seen_at INTEGER NOT NULL,
     PRIMARY KEY (account_id, knock_id)
   );`,
  // v9: verified groups (groups/store.ts): each group's client state and its timeline
  `CREATE TABLE IF NOT EXISTS groups_state (
   account_id TEXT NOT NULL,
   address TEXT NOT NULL,
   state TEXT NOT NULL,
   updated_at INTEGER NOT NULL,
   PRIMARY KEY (account_id, address)
   );
   CREATE TABLE IF NOT EXISTS groups_timeline (
   id INTEGER PRIMARY KEY AUTOINCREMENT,
   account_id TEXT NOT NULL,
   address TEXT NOT NULL,
   sender TEXT NOT NULL,
   body TEXT NOT NULL,
   sent_at INTEGER NOT NULL,
   received_at INTEGER NOT NULL,
   epoch INTEGER NOT NULL,
   ctr INTEGER NOT NULL,
   UNIQUE (account_id, address, sender, epoch, ctr)
   );
   CREATE INDEX IF NOT EXISTS groups_timeline_page ON groups_timeline (account_id, address, id);`,
  // v10 (issue 17, search): full-text index of message bodies across all conversations. An
  // external-content FTS5 table (SQLite FTS5 §4.4.3 "External Content Tables") keeps no second copy
  // of the bodies — it reads them from messages by seq — and triggers keep it in step (§4.4.3's
  // own recipe): a body changes only by INSERT and DELETE in the core, but an UPDATE OF body is
  // covered too. Delivery and read-state updates do not touch the index. 'rebuild' indexes the
  // rows an existing profile already has (one pass; a 1,000,000-message profile takes a while).
  `CREATE VIRTUAL TABLE messages_fts USING fts5(body, content='messages', content_rowid='seq', tokenize='unicode61 remove_diacritics 2');
   CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
     INSERT INTO messages_fts(rowid, body) VALUES (new.seq, new.body);
   END;
   CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
     INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.seq, old.body);
   END;
   CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
     INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.seq, old.body);
     INSERT INTO messages_fts(rowid, body) VALUES (new.seq, new.body);
   END;
   INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');`,
  // v11 (issue 13): what used to live only in memory and was gone after a restart. The "re-sent"
  // mark of a message sent again in a new private session (docs/otr-in-the-app.md "Recovery"), and
  // message requests from strangers: the held messages (at most REQUEST_MESSAGES_MAX per stranger,
  // account/requests.ts) and the strangers the user blocked from the request.
  `ALTER TABLE messages ADD COLUMN resent INTEGER NOT NULL DEFAULT 0;
   CREATE TABLE message_requests (
   account_id TEXT NOT NULL,
   peer TEXT NOT NULL,
   asked_private INTEGER NOT NULL DEFAULT 0,
   updated_at INTEGER NOT NULL,
   PRIMARY KEY (account_id, peer)
   );
   CREATE TABLE message_request_messages (
   seq INTEGER PRIMARY KEY AUTOINCREMENT,
   account_id TEXT NOT NULL,
   peer TEXT NOT NULL,
   body TEXT NOT NULL,
   timestamp INTEGER NOT NULL,
   FOREIGN KEY (account_id, peer) REFERENCES message_requests (account_id, peer) ON DELETE CASCADE
   );
   CREATE INDEX message_request_messages_peer ON message_request_messages (account_id, peer, seq);
   CREATE TABLE message_request_blocks (
   account_id TEXT NOT NULL,
   peer TEXT NOT NULL,
   PRIMARY KEY (account_id, peer)
   );`,
  // v12: the devices page (issue 15, otr/devices.ts): each device of a contact (OTR instance tag, OTRv3
  // §"Instance Tags", OTRv4 §"Instance Tags") with the key it used and when it was first and last
  // seen in a private session; otr_fingerprints keeps trust per key, this per device
  `CREATE TABLE IF NOT EXISTS otr_devices (
     account_id TEXT NOT NULL,
     peer TEXT NOT NULL,
     instance_tag INTEGER NOT NULL,
     fingerprint TEXT NOT NULL,
     version INTEGER NOT NULL,
     first_seen INTEGER NOT NULL,
     last_seen INTEGER NOT NULL,
     resource TEXT,
     PRIMARY KEY (account_id, peer, instance_tag)
   );`,
  // v13: a server certificate the user trusted for one account after seeing its details (issue 15,
  // xmpp/starttls/certificate.ts, pins.ts): exactly this certificate is accepted for the account
  `CREATE TABLE IF NOT EXISTS tls_pins (
     account_id TEXT PRIMARY KEY,
     server TEXT NOT NULL,
     sha256 TEXT NOT NULL,
     pinned_at INTEGER NOT NULL
   );`,
  // v14 (issue 15, server history and names): The newest entry of the account's server archive
  // (XEP-0313) this device has seen, by its archive id (XEP-0359 stanza-id) and time: the next
  // new session asks for what came after it (account/archive.ts). The nickname a contact
  // published (XEP-0172 §4, shown where the roster has no name) and our own, sent with
  // subscription requests (§4.1).
  `CREATE TABLE archive_cursor (
   account_id TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
   last_id TEXT NOT NULL,
   last_at INTEGER NOT NULL
   );
   ALTER TABLE contacts ADD COLUMN nick TEXT;
   ALTER TABLE accounts ADD COLUMN nick TEXT;`,
  // v15 (issue 13, restarts lose nothing): each established OTR session (OTRv4 ENCRYPTED_MESSAGES,
  // OTRv3 MSGSTATE_ENCRYPTED) as a session record (src-shared/otr/session-record.ts: ratchet or
  // D-H keys, counters, skipped message keys), written before anything made from it is sent and
  // restored at start (otr/session-store.ts). Encrypted at rest by SQLCipher; deleted rows are
  // overwritten (secure_delete, store.ts). One row per contact device (instance tag) and version.
  `CREATE TABLE IF NOT EXISTS otr_sessions (
     account_id TEXT NOT NULL,
     peer TEXT NOT NULL,
     version INTEGER NOT NULL,
     instance_tag INTEGER NOT NULL,
     state BLOB NOT NULL,
     updated_at INTEGER NOT NULL,
     PRIMARY KEY (account_id, peer, version, instance_tag)
   );`,
  // v16 (issue 13): the copy (XEP-0280 carbon) of a private message another of our devices sent;
  // OTR is per device, so its text cannot be read here and the row says so instead of a body
  `ALTER TABLE messages ADD COLUMN elsewhere INTEGER NOT NULL DEFAULT 0;`,
  // v17 (issue 15, everyday use): one's own presence per account
  // (account/own-presence.ts), the show and status message each new run announces as its initial
  // presence (RFC 6121 §4.2), as the user left them. NULL: never set (available, no message).
  `ALTER TABLE accounts ADD COLUMN own_show TEXT;
   ALTER TABLE accounts ADD COLUMN own_status TEXT;`,
  // v18 (issue 13, several devices): the contact's device an incoming private message came from,
  // its OTR instance tag (OTRv4 §"Instance Tags"), and the name it was shown with when the contact
  // had more than one device (otr/device-label.ts; NULL otherwise): the mark stays as it was seen
  `ALTER TABLE messages ADD COLUMN instance_tag INTEGER;
   ALTER TABLE messages ADD COLUMN device TEXT;`,
];

/** the schema version a database has once migrate() ran */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** the database's schema version (0: a new, empty database) */
export function schemaVersion(db: Database): number {
  return Number(db.pragma('user_version', { simple: true }) ?? 0);
}

/** Brings the database to SCHEMA_VERSION; refuses one written by a newer version. */
export function migrate(db: Database): void {
  const version = schemaVersion(db);
  if (version > MIGRATIONS.length) throw new MessengerError('internal', 'This profile was written by a newer version of the messenger.');
  for (let v = version; v < MIGRATIONS.length; v++) {
    const sql = MIGRATIONS[v] as string;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
