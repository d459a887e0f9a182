// The group tables of the profile database (SQLCipher, so session keys and the timeline are
// encrypted at rest, docs/architecture.md §4): each group's client state (serialised ClientGroupState) and
// its timeline. The tables (prefix groups_) are created by the profile database's one migration
// runner (store/migrations.ts); this module expects a migrated database.
import type { Database } from '@signalapp/sqlcipher';
import { base64Decode, base64Encode } from '../../../src-shared/otr/common/base64';
import { asRow, every, int, maybe, text } from '../store/rows';
import type { ClientGroupState } from '../../../src-shared/groups/client-state';

export interface TimelineEntry {
  id: number;
  sender: string;
  body: string;
  sentAt: number;
  receivedAt: number;
}

/** JSON with byte arrays as {"$b": base64} */
export function serializeState(s: ClientGroupState): string {
  return JSON.stringify(s, (_k, v: unknown) => (v instanceof Uint8Array ? { $b: base64Encode(v) } : v));
}

export function deserializeState(text: string): ClientGroupState {
  return JSON.parse(text, (_k, v: unknown) =>
    v && typeof v === 'object' && typeof (v as { $b?: unknown }).$b === 'string' ? base64Decode((v as { $b: string }).$b) : v,
  ) as ClientGroupState;
}

export class GroupStore {
  constructor(private readonly db: Database) {}

  states(accountId: string): ClientGroupState[] {
    return this.db
      .prepare('SELECT state FROM groups_state WHERE account_id = ? ORDER BY address')
      .all([accountId])
      .map((r) => deserializeState(text(asRow(r), 'state')));
  }

  state(accountId: string, address: string): ClientGroupState | undefined {
    return maybe(this.db.prepare('SELECT state FROM groups_state WHERE account_id = ? AND address = ?').get([accountId, address]), (r) =>
      deserializeState(text(r, 'state')),
    );
  }

  /** the new state and the messages it produced, in one transaction (nothing half-stored) */
  commit(accountId: string, s: ClientGroupState, messages: (Omit<TimelineEntry, 'id'> & { epoch: number; ctr: number })[], now: number): TimelineEntry[] {
    return this.db.transaction((): TimelineEntry[] => {
      this.db
        .prepare(
          'INSERT INTO groups_state (account_id, address, state, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (account_id, address) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at',
        )
        .run([accountId, s.address, serializeState(s), now]);
      const out: TimelineEntry[] = [];
      for (const m of messages) {
        const r = this.db
          .prepare(
            'INSERT OR IGNORE INTO groups_timeline (account_id, address, sender, body, sent_at, received_at, epoch, ctr) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          )
          .run([accountId, s.address, m.sender, m.body, m.sentAt, m.receivedAt, m.epoch, m.ctr]);
        if (r.changes === 1) out.push({ id: Number(r.lastInsertRowid), sender: m.sender, body: m.body, sentAt: m.sentAt, receivedAt: m.receivedAt });
      }
      return out;
    })();
  }

  timeline(accountId: string, address: string, limit: number, before?: number): TimelineEntry[] {
    const rows = this.db
      .prepare('SELECT id, sender, body, sent_at, received_at FROM groups_timeline WHERE account_id = ? AND address = ? AND id < ? ORDER BY id DESC LIMIT ?')
      .all([accountId, address, before ?? Number.MAX_SAFE_INTEGER, limit]);
    return every(rows, (r) => ({
      id: int(r, 'id'),
      sender: text(r, 'sender'),
      body: text(r, 'body'),
      sentAt: int(r, 'sent_at'),
      receivedAt: int(r, 'received_at'),
    })).reverse();
  }

  forget(accountId: string, address: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM groups_state WHERE account_id = ? AND address = ?').run([accountId, address]);
      this.db.prepare('DELETE FROM groups_timeline WHERE account_id = ? AND address = ?').run([accountId, address]);
    })();
  }

  removeAccount(accountId: string): void {
    this.db.prepare('DELETE FROM groups_state WHERE account_id = ?').run([accountId]);
    this.db.prepare('DELETE FROM groups_timeline WHERE account_id = ?').run([accountId]);
  }
}
