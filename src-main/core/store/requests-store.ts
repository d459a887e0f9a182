// Message requests on disk (issue 13, strangers; migration v11): a request not decided before the
// messenger quits is still there when it starts again, and so is a block made from a request.
// Lives in the profile's SQLCipher database like the history (docs/architecture.md §4).
import type { Database } from '@signalapp/sqlcipher';
import type { MessageRequest } from '../../../src-shared/ipc/contract';
import { every, int, text } from './rows';

export class RequestStore {
  constructor(private readonly db: Database) {}

  /** every held request of the account, its messages oldest first */
  held(accountId: string): MessageRequest[] {
    const heads = every(this.db.prepare('SELECT peer, asked_private FROM message_requests WHERE account_id = ? ORDER BY updated_at').all([accountId]), (r) => ({
      peer: text(r, 'peer'),
      askedPrivate: int(r, 'asked_private') === 1,
    }));
    const messages = this.db.prepare('SELECT body, timestamp FROM message_request_messages WHERE account_id = ? AND peer = ? ORDER BY seq');
    return heads.map((h) => ({
      accountId,
      peer: h.peer,
      askedPrivate: h.askedPrivate,
      messages: every(messages.all([accountId, h.peer]), (r) => ({ body: text(r, 'body'), timestamp: int(r, 'timestamp') })),
    }));
  }

  /** stores the request as it is now (its messages replace the stored ones) */
  save(r: MessageRequest, now: number): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO message_requests (account_id, peer, asked_private, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (account_id, peer) DO UPDATE SET asked_private = excluded.asked_private, updated_at = excluded.updated_at',
        )
        .run([r.accountId, r.peer, r.askedPrivate ? 1 : 0, now]);
      this.db.prepare('DELETE FROM message_request_messages WHERE account_id = ? AND peer = ?').run([r.accountId, r.peer]);
      const insert = this.db.prepare('INSERT INTO message_request_messages (account_id, peer, body, timestamp) VALUES (?, ?, ?, ?)');
      for (const m of r.messages) insert.run([r.accountId, r.peer, m.body, m.timestamp]);
    })();
  }

  /** the request is decided (accepted, blocked or ignored): its messages go with it */
  remove(accountId: string, peer: string): void {
    this.db.prepare('DELETE FROM message_requests WHERE account_id = ? AND peer = ?').run([accountId, peer]);
  }

  blocked(accountId: string): string[] {
    return every(this.db.prepare('SELECT peer FROM message_request_blocks WHERE account_id = ? ORDER BY peer').all([accountId]), (r) => text(r, 'peer'));
  }

  block(accountId: string, peer: string): void {
    this.db.prepare('INSERT INTO message_request_blocks (account_id, peer) VALUES (?, ?) ON CONFLICT DO NOTHING').run([accountId, peer]);
  }
}
