// History pages that need not end at the newest message (issue 15, search): the page around a
// message, so that a search result opens its conversation there, and the pages after a message
// ("load later" back towards the newest). Ordered by seq, the order this device stored the
// messages, as messages.page is (store.ts), so that the pages join without gaps or overlaps.
import type { Database } from '@signalapp/sqlcipher';
import type { ChatMessage } from '../../../src-shared/ipc/contract';
import type { HistoryWindow } from '../../../src-shared/ipc/everyday-contract';
import { MessengerError } from '../../../src-shared/ipc/result';
import { every } from './rows';
import { toMessage } from './store';

function seqOf(db: Database, accountId: string, peer: string, id: string): number {
  const seq = db.prepare('SELECT seq FROM messages WHERE id = ? AND account_id = ? AND peer = ?', { pluck: true }).get([id, accountId, peer]);
  if (seq === undefined) throw new MessengerError('not-found', 'That message is not in this conversation.');
  return Number(seq);
}

const exists = (db: Database, sql: string, params: Array<string | number>): boolean => db.prepare(sql, { pluck: true }).get(params) !== undefined;

/** the oldest `limit` messages after the message `after`, oldest first */
export function historyAfter(db: Database, accountId: string, peer: string, after: string, limit: number): ChatMessage[] {
  const seq = seqOf(db, accountId, peer, after);
  return every(
    db.prepare('SELECT * FROM messages WHERE account_id = ? AND peer = ? AND seq > ? ORDER BY seq LIMIT ?').all([accountId, peer, seq, limit]),
    toMessage,
  );
}

/**
 * About `limit` messages around the message `id`: up to half of them before it, the message, the
 * rest after it (more before when there are fewer after), oldest first.
 */
export function historyAround(db: Database, accountId: string, peer: string, id: string, limit: number): HistoryWindow {
  const seq = seqOf(db, accountId, peer, id);
  const afterRows = every(
    db
      .prepare('SELECT * FROM messages WHERE account_id = ? AND peer = ? AND seq > ? ORDER BY seq LIMIT ?')
      .all([accountId, peer, seq, Math.max(0, limit - 1 - Math.floor((limit - 1) / 2))]),
    toMessage,
  );
  const beforeCount = limit - 1 - afterRows.length;
  const beforeRows = every(
    db.prepare('SELECT * FROM messages WHERE account_id = ? AND peer = ? AND seq <= ? ORDER BY seq DESC LIMIT ?').all([accountId, peer, seq, beforeCount + 1]),
    toMessage,
  ).reverse();
  const messages = [...beforeRows, ...afterRows];
  const first = messages[0];
  const last = messages[messages.length - 1];
  const q = (op: '<' | '>') => `SELECT 1 FROM messages WHERE account_id = ? AND peer = ? AND seq ${op} (SELECT seq FROM messages WHERE id = ?) LIMIT 1`;
  return {
    messages,
    hasEarlier: first !== undefined && exists(db, q('<'), [accountId, peer, first.id]),
    hasLater: last !== undefined && exists(db, q('>'), [accountId, peer, last.id]),
  };
}
