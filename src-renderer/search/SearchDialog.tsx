// Search across all conversations (issue 15): a dialog (Ctrl+K / Cmd+K, or "Search messages" in the
// sidebar) with a search field and the matching messages, newest first — who, when, and a snippet
// with the matching words marked. Keyboard only: type, Down moves to the results (Up / Down /
// Home / End among them, Up from the first goes back to the field), Enter or a click opens the
// conversation at the message (timeline/Timeline.tsx scrolls to it and highlights it).
import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { SearchResult } from '../../src-shared/ipc/contract';
import { useApp, useAppState } from '../context';
import { plainWords } from '../errors';
import { contactKey } from '../store';
import { Dialog } from '../ui/Dialog';
import { ErrorAlert } from '../ui/ErrorAlert';

export const SEARCH_FIELD_ID = 'message-search';
/** typing settles this long before the query goes out (one request per pause, not per key) */
const SETTLE_MS = 150;

const when = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** the snippet with its highlight ranges as <mark> */
export function Marked({ text, ranges }: { text: string; ranges: Array<[number, number]> }) {
  const out: ReactNode[] = [];
  let at = 0;
  for (const [start, end] of [...ranges].sort((a, b) => a[0] - b[0])) {
    if (start < at || end <= start || end > text.length) continue;
    if (start > at) out.push(text.slice(at, start));
    out.push(<mark key={start}>{text.slice(start, end)}</mark>);
    at = end;
  }
  if (at < text.length) out.push(text.slice(at));
  return <>{out}</>;
}

export function SearchDialog({ onClose }: { onClose: () => void }) {
  const { actions } = useApp();
  const contacts = useAppState((s) => s.contacts);
  const accounts = useAppState((s) => s.accounts);
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<SearchResult[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const list = useRef<HTMLUListElement>(null);
  const field = useRef<HTMLInputElement>(null);
  const countId = useId();
  const several = Object.keys(accounts).length > 1;

  useEffect(() => {
    if (!query.trim()) {
      setResults(null);
      return;
    }
    let stale = false;
    const t = setTimeout(() => {
      void actions.search(query).then((r) => {
        if (stale) return;
        if (r.ok) {
          setResults(r.value);
          setError(null);
        } else setError(plainWords(r.error));
      });
    }, SETTLE_MS);
    return () => {
      stale = true;
      clearTimeout(t);
    };
  }, [query, actions]);

  const open = async (r: SearchResult) => {
    onClose();
    await actions.openAt(r.accountId, r.peer, r.messageId);
  };

  const buttons = () => [...(list.current?.querySelectorAll<HTMLButtonElement>('button') ?? [])];
  const onListKey = (e: KeyboardEvent) => {
    const els = buttons();
    const at = els.indexOf(document.activeElement as HTMLButtonElement);
    let next: HTMLElement | undefined | null;
    if (e.key === 'ArrowDown') next = els[Math.min(at + 1, els.length - 1)];
    else if (e.key === 'ArrowUp') next = at <= 0 ? field.current : els[at - 1];
    else if (e.key === 'Home') next = els[0];
    else if (e.key === 'End') next = els[els.length - 1];
    else return;
    e.preventDefault();
    next?.focus();
  };
  const onFieldKey = (e: KeyboardEvent) => {
    if (e.nativeEvent.isComposing) return;
    if (e.key === 'ArrowDown' || (e.key === 'Enter' && results && results.length > 0)) {
      e.preventDefault();
      if (e.key === 'Enter' && results?.[0]) void open(results[0]);
      else buttons()[0]?.focus();
    }
  };

  return (
    <Dialog closeButton title="Search messages" onClose={onClose} className="search-dialog">
      <label htmlFor={SEARCH_FIELD_ID} className="sr-only">
        Search all conversations
      </label>
      <input
        ref={field}
        id={SEARCH_FIELD_ID}
        type="search"
        placeholder="Words to find in every conversation"
        autoComplete="off"
        aria-describedby={countId}
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={onFieldKey}
      />
      <p id={countId} className="hint search-count" role="status">
        {results === null
          ? 'Down arrow moves to the results; Enter opens the first.'
          : results.length === 0
            ? 'No message matches.'
            : results.length === 1
              ? '1 message found.'
              : `${results.length} messages found.`}
      </p>
      <ErrorAlert error={error} />
      {results && results.length > 0 && (
        <ul ref={list} className="search-results" aria-label="Search results" onKeyDown={onListKey}>
          {results.map((r) => {
            const c = contacts[contactKey(r.accountId, r.peer)];
            return (
              <li key={r.messageId}>
                <button type="button" className="search-result" onClick={() => void open(r)}>
                  <span className="search-result-head">
                    <strong>{c?.name ?? r.peer}</strong>
                    {several && <span className="hint"> as {accounts[r.accountId]?.jid}</span>}
                    <time dateTime={new Date(r.timestamp).toISOString()}>{when.format(new Date(r.timestamp))}</time>
                  </span>
                  <span className="search-snippet">
                    {r.direction === 'out' ? 'You: ' : ''}
                    <Marked text={r.snippet} ranges={r.highlights} />
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </Dialog>
  );
}
