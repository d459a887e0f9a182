// Restarts lose nothing (issue 13): every established OTR session of a conversation is kept as a
// session record (src-shared/otr/session-record.ts) in the profile's SQLCipher database (table
// otr_sessions, store/migrations.ts v15; encrypted at rest, secure_delete overwrites deleted
// rows) and put back when the account's OTR starts.
//
// When it is written decides whether a key can ever be used twice: the record is written BEFORE
// any wire message made from that state leaves the process (service.ts wraps the transport), and
// after each received message was decrypted, BEFORE the receive returns (the inbox sends the
// XEP-0184 receipt only after that, account/inbox.ts). A crash between the two can lose the
// message being sent (no receipt comes; otr/recovery.ts re-sends it), never reuse a key.
// A session that ends (the user ended it, the contact did, it expired per OTRv4 §"Session
// Expiration", recovery dropped it) leaves the export, so its row is deleted at the next write;
// account removal deletes every row of the account (otr-store.ts).
import type { Database } from '@signalapp/sqlcipher';
import { equalBytes } from '../../../src-shared/otr/common/bytes';
import type { Clock } from '../../../src-shared/otr/common/random';
import { every, bytes, int, text } from '../store/rows';
import type { OtrStore } from './otr-store';
import type { Peers, PeerState } from './peers';

export interface StoredSession {
  peer: string;
  version: number;
  instanceTag: number;
  state: Uint8Array;
  updatedAt: number;
}

/** the otr_sessions table */
export class OtrSessionStore {
  constructor(private readonly db: Database) {}

  /** every stored session of the account, the most recently written last */
  all(accountId: string): StoredSession[] {
    return every(
      this.db
        .prepare('SELECT peer, version, instance_tag, state, updated_at FROM otr_sessions WHERE account_id = ? ORDER BY updated_at, peer')
        .all([accountId]),
      (r) => ({
        peer: text(r, 'peer'),
        version: int(r, 'version'),
        instanceTag: int(r, 'instance_tag'),
        state: bytes(r, 'state'),
        updatedAt: int(r, 'updated_at'),
      }),
    );
  }

  /** writes `put` and deletes `gone` (keys "version:tag") for one contact, in one transaction */
  replace(
    accountId: string,
    peer: string,
    put: Array<{ version: number; instanceTag: number; state: Uint8Array }>,
    gone: Array<{ version: number; instanceTag: number }>,
    now: number,
  ): void {
    this.db.transaction(() => {
      for (const g of gone) this.delete(accountId, peer, g.version, g.instanceTag);
      for (const p of put)
        this.db
          .prepare(
            'INSERT INTO otr_sessions (account_id, peer, version, instance_tag, state, updated_at) VALUES (?, ?, ?, ?, ?, ?) ' +
              'ON CONFLICT (account_id, peer, version, instance_tag) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at',
          )
          .run([accountId, peer, p.version, p.instanceTag, Uint8Array.from(p.state), now]);
    })();
    // an ended session's keys go from disk: secure_delete overwrites the freed row, and the
    // write-ahead log, which still holds older page images (encrypted, but with the keys of the
    // ended session), is checkpointed and cut to nothing
    if (gone.length > 0) this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  delete(accountId: string, peer: string, version: number, instanceTag: number): void {
    this.db
      .prepare('DELETE FROM otr_sessions WHERE account_id = ? AND peer = ? AND version = ? AND instance_tag = ?')
      .run([accountId, peer, version, instanceTag]);
  }
}

export interface SessionKeeper {
  /** writes the contact's sessions as they are now; throws when the profile cannot be written */
  save(ps: PeerState): void;
  /** puts the stored sessions back (at start); unusable records are deleted; returns the contacts */
  restoreAll(): PeerState[];
}

export interface SessionKeeperDeps {
  accountId: string;
  store: OtrStore;
  peers: Peers;
  clock: Clock;
}

const keyOf = (version: number, tag: number): string => `${version}:${tag}`;

export function createSessionKeeper(deps: SessionKeeperDeps): SessionKeeper {
  const { accountId, store, peers } = deps;
  /** what the database holds per contact (so an unchanged session is not written again) */
  const written = new Map<string, Map<string, { version: number; instanceTag: number; state: Uint8Array }>>();

  return {
    save(ps) {
      const before = written.get(ps.peer);
      const records = ps.conv.exportSessions();
      if (records.length === 0 && !before?.size) return;
      const now = new Map(records.map((r) => [keyOf(r.version, r.instanceTag), { version: r.version, instanceTag: r.instanceTag, state: r.record }]));
      const put = [...now.entries()].filter(([k, r]) => !before?.get(k) || !equalBytes(before.get(k)!.state, r.state)).map(([, r]) => r);
      const gone = [...(before?.entries() ?? [])].filter(([k]) => !now.has(k)).map(([, r]) => r);
      if (put.length === 0 && gone.length === 0) return;
      store.sessions.replace(accountId, ps.peer, put, gone, deps.clock());
      written.set(ps.peer, now);
    },

    restoreAll() {
      const restored = new Set<PeerState>();
      for (const row of store.sessions.all(accountId)) {
        const ps = peers.state(row.peer);
        try {
          const head = ps.conv.restoreSession(row.state);
          if (head.version !== row.version || head.instanceTag !== row.instanceTag) throw new Error('the record does not match its row');
        } catch {
          // corrupt, truncated, of another record version or another device of ours: the
          // conversation starts afresh when next needed (the contact's next message gets the
          // OTR error, otr/recovery.ts). Nothing of the record is logged.
          console.warn('otr: a stored private session could not be restored; it starts afresh');
          store.sessions.delete(accountId, row.peer, row.version, row.instanceTag);
          continue;
        }
        let w = written.get(row.peer);
        if (!w) written.set(row.peer, (w = new Map()));
        w.set(keyOf(row.version, row.instanceTag), { version: row.version, instanceTag: row.instanceTag, state: row.state });
        // rows come oldest first: the header shows the most recently written session
        ps.current = row.instanceTag;
        restored.add(ps);
      }
      return [...restored];
    },
  };
}
