// The conversation's timeline: messages and events in time order (items.ts), windowed (window.ts)
// so that a long history stays light, with "load earlier" from the local store and a "new
// messages" pill: while the user reads older ones, new ones never move the view. Opened at a search
// result it shows the page around that message, scrolled to it and highlighted, with "load later"
// towards the newest; the contact's typing notification is its last line. Once the local store
// has nothing older, older messages can be fetched from the server's archive (server-history.ts).
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { ChatMessage } from '../../src-shared/ipc/contract';
import type { OtrNotice, OtrStatus } from '../../src-shared/ipc/otr-contract';
import { useApp, useAppState } from '../context';
import { useOtrState } from '../otr/context';
import { useOtrDialog } from '../otr/dialogs';
import { otrKey, type OtrStateEvent } from '../otr/otr-store';
import { contactKey } from '../store';
import { buildTimeline } from './items';
import { MessageRow, NoticeRow, StateRow } from './rows';
import { Waiting } from './Waiting';
import { Typing } from './Typing';
import { FIRST, markAt, MAX, resolve, STEP, type Range } from './window';
import { useServerHistory } from './server-history';

const NO_MESSAGES: ChatMessage[] = [];
const NO_NOTICES: OtrNotice[] = [];
const NO_EVENTS: OtrStateEvent[] = [];
/** px from an edge of the scroll area at which the window moves (or the view counts as at the bottom) */
const EDGE = 400;
const BOTTOM = 40;

export function Timeline({
  accountId,
  peer,
  status,
  contactOffline,
}: {
  accountId: string;
  peer: string;
  status: OtrStatus | undefined;
  contactOffline: boolean;
}) {
  const { actions } = useApp();
  const key = contactKey(accountId, peer);
  const messages = useAppState((s) => s.messages[key] ?? NO_MESSAGES);
  const hasEarlier = useAppState((s) => s.hasEarlier[key] ?? false);
  const hasLater = useAppState((s) => s.hasLater[key] ?? false);
  // the message a search result opened the conversation at (this Timeline is mounted anew for each opening)
  const focusId = useAppState((s) => (s.focus?.key === key ? s.focus.messageId : null));
  const notices = useOtrState((s) => s.notices[otrKey(accountId, peer)] ?? NO_NOTICES);
  const events = useOtrState((s) => s.events[otrKey(accountId, peer)] ?? NO_EVENTS);
  const showDialog = useOtrDialog((s) => s.show);
  const items = useMemo(() => buildTimeline(messages, notices, events), [messages, notices, events]);

  const [range, setRange] = useState<Range>({ start: null, end: null });
  const [newCount, setNewCount] = useState(0);
  const [loading, setLoading] = useState(false);
  const server = useServerHistory(key);
  const scroller = useRef<HTMLDivElement>(null);
  /** the view is at the newest item: new ones scroll into view */
  const pinned = useRef(focusId === null);
  const jumped = useRef(false);
  /** an item whose place on screen must not change across the next render(s) */
  const anchor = useRef<{ key: string; top: number; keep: boolean } | null>(null);
  const lastKey = useRef<string | null>(null);
  /**
   * the first frame with messages is out: the window may have its full length (window.ts FIRST);
   * opened at a search result it has it at once, so that the result is in the first frame
   */
  const [warm, setWarm] = useState(focusId !== null);

  const { start, end } = resolve(items, range, warm ? undefined : FIRST);
  const n = items.length;
  const queued = status?.queued ?? 0;
  const onVerify = useCallback(() => showDialog(otrKey(accountId, peer), 'verify'), [showDialog, accountId, peer]);

  /** remembers the first item visible, to keep it where it is while the window changes */
  const capture = (keep: boolean) => {
    const el = scroller.current;
    if (!el) return;
    const top = el.getBoundingClientRect().top;
    for (const li of el.querySelectorAll<HTMLElement>('[data-key]')) {
      const r = li.getBoundingClientRect();
      if (r.bottom > top) {
        anchor.current = { key: li.dataset.key!, top: r.top, keep };
        return;
      }
    }
  };

  // The first rows are on screen: the rest of the window comes after that frame, not in it. The
  // next animation frame's callback runs just before that frame is drawn; the idle callback it asks
  // for, after it (and after more urgent work: the conversation's other answers, a new message).
  const hasItems = n > 0;
  useEffect(() => {
    if (warm || !hasItems) return;
    let idle: number | undefined;
    const frame = requestAnimationFrame(() => {
      idle = requestIdleCallback(() => setWarm(true), { timeout: 200 });
    });
    return () => {
      cancelAnimationFrame(frame);
      if (idle !== undefined) cancelIdleCallback(idle);
    };
  }, [warm, hasItems]);

  // A smaller window (or a taller composer) shrinks the view without a scroll event: the view that
  // was at the newest item stays there, else the last message and the composer part ways.
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => {
      if (pinned.current && !anchor.current) el.scrollTop = el.scrollHeight;
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (focusId !== null && !jumped.current) {
      // once: the searched message in the middle of the view, with the focus (read out, and Tab goes on from there)
      const li = el.querySelector<HTMLElement>(`[data-key="${CSS.escape(`m:${focusId}`)}"]`);
      if (li) {
        jumped.current = true;
        el.scrollTop += li.getBoundingClientRect().top - el.getBoundingClientRect().top - (el.clientHeight - li.offsetHeight) / 2;
        li.focus({ preventScroll: true });
      }
    }
    const a = anchor.current;
    if (a) {
      const li = el.querySelector<HTMLElement>(`[data-key="${CSS.escape(a.key)}"]`);
      if (li) {
        el.scrollTop += li.getBoundingClientRect().top - a.top;
        a.top = li.getBoundingClientRect().top;
      }
      if (!a.keep) anchor.current = null;
    } else if (pinned.current) {
      el.scrollTop = el.scrollHeight;
    }
    // new items at the end while the user reads older ones: count them for the pill
    const last = items[n - 1]?.key ?? null;
    if (lastKey.current !== null && last !== lastKey.current && !pinned.current) {
      let added = 0;
      for (let i = n - 1; i >= 0 && items[i]!.key !== lastKey.current; i--)
        if (items[i]!.kind === 'message' && (items[i] as { m: ChatMessage }).m.direction === 'in') added++;
      if (added > 0) setNewCount((c) => c + added);
    }
    lastKey.current = last;
    // following the newest items: keep the window at most MAX long
    if (range.end === null && pinned.current && end - start > MAX) setRange({ start: null, end: null });
  });

  const earlier = async () => {
    if (start > 0) {
      capture(false);
      const s = Math.max(0, start - STEP);
      setRange({ start: markAt(items, s), end: end - s > MAX ? markAt(items, s + MAX - 1) : range.end === null ? null : markAt(items, end - 1) });
      return;
    }
    if (!hasEarlier || loading) return;
    setLoading(true);
    capture(true);
    const first = markAt(items, 0);
    const endMark = range.end ?? markAt(items, n - 1);
    await actions.loadEarlier(accountId, peer);
    setLoading(false);
    // the window now also takes in up to STEP of the items loaded; its end stays where it was
    setRange({ start: first, end: endMark, back: STEP });
    if (anchor.current) anchor.current.keep = false;
  };

  /** the local history is exhausted: the next older page from the server's archive, put above the view */
  const fromServer = async () => {
    if (loading) return;
    setLoading(true);
    capture(true);
    const first = markAt(items, 0);
    const endMark = range.end ?? markAt(items, n - 1);
    await actions.loadEarlierFromServer(accountId, peer);
    setLoading(false);
    if (first) setRange({ start: first, end: endMark, back: STEP });
    if (anchor.current) anchor.current.keep = false;
  };

  const later = () => {
    if (range.end === null) {
      if (hasLater && !loading) void loadLater();
      return;
    }
    capture(false);
    const e = Math.min(n, end + STEP);
    setRange({ start: e - start > MAX ? markAt(items, e - MAX) : markAt(items, start), end: e >= n ? null : markAt(items, e - 1) });
  };

  const loadLater = async () => {
    setLoading(true);
    capture(false);
    // the window keeps its start (at most MAX items once the page is in): the view does not jump
    const keepFrom = markAt(items, Math.max(start, n + STEP * 2 - MAX));
    await actions.loadLater(accountId, peer);
    setLoading(false);
    setRange({ start: keepFrom, end: null });
  };

  const toNewest = () => {
    if (hasLater) void actions.toNewest(accountId, peer);
    pinned.current = true;
    anchor.current = null;
    setNewCount(0);
    setRange({ start: null, end: null });
  };

  const onScroll = () => {
    const el = scroller.current;
    if (!el || anchor.current?.keep) return;
    const fromBottom = el.scrollHeight - el.scrollTop - el.clientHeight;
    pinned.current = fromBottom < BOTTOM && range.end === null && !hasLater;
    // reading older items: the window's start stays put, so that new items never shift the view
    if (!pinned.current && range.start === null) setRange({ start: markAt(items, start), end: range.end });
    if (pinned.current && newCount > 0) setNewCount(0);
    if (el.scrollTop < EDGE && (start > 0 || hasEarlier)) void earlier();
    else if (fromBottom < EDGE && (range.end !== null || hasLater)) later();
  };

  const rows = [];
  for (let i = start; i < end; i++) {
    const it = items[i]!;
    if (it.kind === 'message') {
      const m = it.m;
      rows.push(
        <MessageRow key={it.key} m={m} waiting={queued > 0 && m.direction === 'out' && m.encrypted && m.delivery === 'pending'} highlight={m.id === focusId} />,
      );
    } else if (it.kind === 'notice') rows.push(<NoticeRow key={it.key} n={it.n} onVerify={onVerify} />);
    else rows.push(<StateRow key={it.key} ev={it.ev} peer={peer} />);
  }

  return (
    <div className="timeline">
      {/* the history is focusable, so that it scrolls with the keyboard (WCAG 2.1.1) */}
      <div ref={scroller} className="history" role="log" aria-label="Messages" tabIndex={0} onScroll={onScroll}>
        {(start > 0 || hasEarlier) && (
          <div className="load-earlier">
            <button type="button" disabled={loading} onClick={() => void earlier()}>
              {loading ? 'Loading earlier messages…' : 'Load earlier messages'}
            </button>
          </div>
        )}
        {start === 0 && !hasEarlier && !hasLater && !server.done && (
          <div className="load-earlier">
            <button type="button" disabled={loading} onClick={() => void fromServer()}>
              {loading ? 'Fetching history from the server…' : 'Fetch older history from the server'}
            </button>
            {server.failed && !loading && <p className="hint">The server’s history could not be fetched. Try again when the account is online.</p>}
          </div>
        )}
        {n === 0 ? <p className="hint">No messages yet.</p> : <ol>{rows}</ol>}
        {(range.end !== null || hasLater) && (
          <div className="load-later">
            <button type="button" disabled={loading} onClick={later}>
              {loading ? 'Loading later messages…' : 'Load later messages'}
            </button>
          </div>
        )}
        {range.end === null && !hasLater && status && <Waiting status={status} contactOffline={contactOffline} />}
        {range.end === null && !hasLater && <Typing accountId={accountId} peer={peer} />}
      </div>
      {(newCount > 0 || range.end !== null || hasLater) && (
        <button type="button" className="new-pill" onClick={toNewest}>
          {newCount > 0 ? (newCount === 1 ? '1 new message' : `${newCount} new messages`) : 'Jump to the newest'} ↓
        </button>
      )}
    </div>
  );
}
