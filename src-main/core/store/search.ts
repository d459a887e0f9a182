// Full-text search over every stored message (issue 17), on the FTS5 index of migration v7
// (migrations.ts). What the user types is always a plain search: it is split into words and each
// word becomes an FTS5 string (SQLite FTS5 §3.1 "FTS5 Strings": inside double quotes, a double
// quote is doubled), so `"`, `NEAR(`, `AND`, `*` or `col:` in the input are never query syntax and
// never a syntax error. All words must occur (FTS5 §3.4: implicit AND); the last one also matches
// as a prefix (§3.3), so a word being typed already finds. Newest first (ranking by recency: the
// index is walked in descending rowid = seq order and stops after `limit` hits).
import type { Database } from '@signalapp/sqlcipher';
import type { SearchResult } from '../../../src-shared/ipc/contract';
import { every, int, oneOf, text, type Row } from './rows';

/** marks around a match in the snippet FTS5 makes (control characters: a body holding them gets a wrong highlight, nothing worse) */
const OPEN = '\u0002';
const CLOSE = '\u0003';
/** words of context the snippet keeps around the matches (FTS5 §5.1.2 snippet(), at most 64) */
const SNIPPET_TOKENS = 12;

/** The FTS5 query for what the user typed; undefined if it holds no word to search for. */
export function ftsQuery(input: string): string | undefined {
  // a word must contain a letter or digit: the unicode61 tokenizer drops everything else, and a
  // string of punctuation only would be an empty phrase
  const words = input
    .split(/\s+/u)
    .filter((w) => /[\p{L}\p{N}]/u.test(w))
    .slice(0, 16);
  if (words.length === 0) return undefined;
  const quoted = words.map((w) => `"${w.replaceAll('"', '""')}"`);
  quoted[quoted.length - 1] += '*';
  return quoted.join(' ');
}

/** a snippet with the marks taken out and turned into [start, end) ranges of the plain text */
export function unmark(marked: string): { snippet: string; highlights: Array<[number, number]> } {
  let snippet = '';
  const highlights: Array<[number, number]> = [];
  let start = -1;
  for (const ch of marked) {
    if (ch === OPEN) start = snippet.length;
    else if (ch === CLOSE) {
      if (start >= 0) highlights.push([start, snippet.length]);
      start = -1;
    } else snippet += ch;
  }
  return { snippet, highlights };
}

function toResult(r: Row): SearchResult {
  return {
    accountId: text(r, 'account_id'),
    peer: text(r, 'peer'),
    messageId: text(r, 'id'),
    direction: oneOf(r, 'direction', ['in', 'out'] as const),
    timestamp: int(r, 'timestamp'),
    ...unmark(text(r, 'snip')),
  };
}

/** Messages matching `input`, newest first, in one account or all of them. */
export function searchMessages(db: Database, input: string, limit: number, accountId?: string): SearchResult[] {
  const match = ftsQuery(input);
  if (match === undefined) return [];
  const sql = `SELECT m.id, m.account_id, m.peer, m.direction, m.timestamp,
      snippet(messages_fts, 0, '${OPEN}', '${CLOSE}', '…', ${SNIPPET_TOKENS}) AS snip
    FROM messages_fts JOIN messages m ON m.seq = messages_fts.rowid
    WHERE messages_fts MATCH ? ${accountId !== undefined ? 'AND m.account_id = ?' : ''}
    ORDER BY messages_fts.rowid DESC LIMIT ?`;
  const params = accountId !== undefined ? [match, accountId, limit] : [match, limit];
  return every(db.prepare(sql).all(params), toResult);
}
