// The server archive's side of the store (issue 15, XEP-0313): the newest archive entry this
// device has seen per account, and what history fetched from the archive needs — duplicates
// recognised against what is stored, and older messages put before every stored one, so that the
// history pages (ordered by seq, store.ts page) show them first. Shares the profile's one
// connection (Store.database).
import type { Database } from '@signalapp/sqlcipher';
import type { ChatMessage } from '../../../src-shared/ipc/contract';
import { int, maybe, text } from './rows';

export interface ArchiveCursor {
  id: string;
  at: number;
}

export function archiveCursor(db: Database, accountId: string): ArchiveCursor | undefined {
  return maybe(db.prepare('SELECT last_id, last_at FROM archive_cursor WHERE account_id = ?').get([accountId]), (r) => ({
    id: text(r, 'last_id'),
    at: int(r, 'last_at'),
  }));
}

export function setArchiveCursor(db: Database, accountId: string, c: ArchiveCursor): void {
  db.prepare(
    'INSERT INTO archive_cursor (account_id, last_id, last_at) VALUES (?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET last_id = excluded.last_id, last_at = excluded.last_at',
  ).run([accountId, c.id, c.at]);
}

/** our own nickname (XEP-0172), sent with subscription requests; null when none */
export function ownNick(db: Database, accountId: string): string | null {
  const v = db.prepare('SELECT nick FROM accounts WHERE id = ?', { pluck: true }).get([accountId]);
  return typeof v === 'string' && v.length > 0 ? v : null;
}

export function setOwnNick(db: Database, accountId: string, nick: string | null): void {
  db.prepare('UPDATE accounts SET nick = ? WHERE id = ?').run([nick, accountId]);
}

/**
 * Whether an outgoing message with this id is stored in the conversation: one this device sent
 * (its id is its origin-id, outbox.ts) or a copy of one our other device sent (remote_id).
 */
export function hasOutgoing(db: Database, accountId: string, peer: string, id: string): boolean {
  // two lookups, each on its own index (messages.id; the v2 unique index of outgoing remote ids)
  const own = db
    .prepare("SELECT 1 FROM messages WHERE id = ? AND account_id = ? AND peer = ? AND direction = 'out'", { pluck: true })
    .get([id, accountId, peer]);
  if (own !== undefined) return true;
  return (
    db
      .prepare("SELECT 1 FROM messages WHERE account_id = ? AND peer = ? AND remote_id = ? AND direction = 'out'", { pluck: true })
      .get([accountId, peer, id]) !== undefined
  );
}

/** the time of the conversation's oldest stored message (ms), undefined when there is none */
export function oldestTimestamp(db: Database, accountId: string, peer: string): number | undefined {
  const t = db.prepare('SELECT timestamp FROM messages WHERE account_id = ? AND peer = ? ORDER BY seq LIMIT 1', { pluck: true }).get([accountId, peer]);
  return t === undefined || t === null ? undefined : Number(t);
}

/**
 * Stores a message fetched from the archive's past ("load earlier from the server") before every
 * stored message: its seq is below the smallest (SQLite rowids may be negative; AUTOINCREMENT
 * keeps counting up from the largest for new messages). Read: it is history, not news. Returns
 * false for a duplicate (same remote id in the conversation, the unique indexes of v1/v2).
 */
export function insertOlder(db: Database, m: ChatMessage, remoteId: string | null): boolean {
  const r = db
    .prepare(
      `INSERT INTO messages (seq, id, account_id, peer, direction, body, timestamp, delivery, encrypted, remote_id, read)
       VALUES (min(0, coalesce((SELECT min(seq) FROM messages), 0)) - 1, ?, ?, ?, ?, ?, ?, ?, 0, ?, 1) ON CONFLICT DO NOTHING`,
    )
    .run([m.id, m.accountId, m.peer, m.direction, m.body, m.timestamp, m.delivery, remoteId]);
  return r.changes === 1;
}
