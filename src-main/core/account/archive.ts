// The account's server archive (XEP-0313 MAM, paged with XEP-0059 RSM):
// - catch-up: each new session (not a resumed stream, XEP-0198 §5) asks for what the archive got
//   after the newest entry this device has seen and runs each message through the inbox as if it
//   had arrived live. It brings back what a broken stream lost (Prosody drops the unacknowledged
//   messages of a hibernating session once they are archived, mod_smacks) and what arrived while
//   another device of the account took the live copy. Duplicates go (inbox.ts);
// - earlier: one conversation's archive before its oldest stored message ("load earlier from the
//   server"), stored before the stored history.
// The newest entry seen is kept per account (store/archive-store.ts): the last one a catch-up
// brought, then the ids of live messages (XEP-0359 stanza-id by our bare JID) once the session
// has caught up — archive ids are opaque, only their order of arrival says which is newer.
import { randomUUID } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import type { ChatMessage } from '../../../src-shared/ipc/contract';
import { MessengerError } from '../../../src-shared/ipc/result';
import { archiveCursor, oldestTimestamp, setArchiveCursor, type ArchiveCursor } from '../store/archive-store';
import type { Store } from '../store/store';
import type { XmppClient } from '../xmpp/client/client';
import { buildMamQuery, parseFin, parseMamResult, type ArchivedItem, type MamQuery } from '../xmpp/mam/mam';
import type { Inbox } from './inbox';

/** messages per archive page */
const PAGE = 100;
/** a catch-up stops after this many pages; the next session goes on from where it stopped */
const MAX_PAGES = 50;
/** archive ids of live messages remembered per session (skipped when the catch-up brings them) */
const MAX_LIVE = 5000;
const QUERY_TIMEOUT = 30_000;

export interface ArchiveDeps {
  accountId: string;
  /** our bare JID */
  jid: string;
  store: Store;
  /** when the account was added on this device: a first catch-up starts there */
  createdAt: number;
  inbox: () => Inbox;
  /** the account's client while online */
  online: () => XmppClient | null;
}

export class Archive {
  /** results collected per running query id, handed over when its <fin/> arrives */
  private readonly running = new Map<string, ArchivedItem[]>();
  /** archive ids of the live messages of this session, in arrival order */
  private live = new Map<string, number>();
  private caughtUp = false;
  /** one per new session: a catch-up of an older session stops */
  private generation = 0;
  /** where "load earlier from the server" goes on, per conversation (RSM <first/> of the last page) */
  private readonly backFrom = new Map<string, string>();

  constructor(private readonly deps: ArchiveDeps) {}

  /**
   * Sees every <message/> first: an archive result is taken (true) — kept when it answers a query
   * of ours, dropped when malformed (wrong sender, no forwarded message or delay) or unasked.
   */
  collect(el: Element): boolean {
    const r = parseMamResult(el, this.deps.jid);
    if (r === null) return false;
    if (r !== 'malformed') {
      const list = this.running.get(r.queryId);
      if (list && list.length < PAGE * 2) list.push(r);
    }
    return true;
  }

  /** a new session is being set up (before initial presence brings stored messages) */
  sessionStarting(): void {
    this.generation++;
    this.live = new Map();
    this.caughtUp = false;
    this.backFrom.clear();
  }

  /** a live message the archive holds under `archiveId` */
  onLive(archiveId: string, at: number): void {
    if (this.caughtUp) {
      setArchiveCursor(this.deps.store.database, this.deps.accountId, { id: archiveId, at });
      return;
    }
    if (this.live.size < MAX_LIVE) this.live.set(archiveId, at);
  }

  /** Catches up on what the archive got since the newest entry seen; never throws. */
  async catchUp(client: XmppClient): Promise<void> {
    const gen = this.generation;
    const { store, accountId } = this.deps;
    let cursor = archiveCursor(store.database, accountId);
    let q: Omit<MamQuery, 'queryId' | 'max'> = cursor ? { after: cursor.id } : { start: this.deps.createdAt };
    const brought = new Set<string>();
    try {
      for (let pages = 0; pages < MAX_PAGES; pages++) {
        let page: Awaited<ReturnType<Archive['page']>>;
        try {
          page = await this.page(client, q);
        } catch (e) {
          // §6.1.1 / XEP-0059 §2.6: the entry we knew has left the archive (expired): go by its time
          if (cursor && q.after !== undefined && (e as { condition?: string }).condition === 'item-not-found') {
            q = { start: cursor.at - 60_000 };
            continue;
          }
          return;
        }
        if (gen !== this.generation) return;
        for (const item of page.items) {
          brought.add(item.archiveId);
          if (!this.live.has(item.archiveId)) this.deps.inbox().fromArchive(item);
          cursor = { id: item.archiveId, at: item.timestamp };
        }
        if (cursor) setArchiveCursor(store.database, accountId, cursor);
        if (page.complete || page.items.length === 0 || page.last === null) break;
        q = { after: page.last };
      }
      // live messages the catch-up did not bring were archived after its last page: the newest seen
      let newest: ArchiveCursor | null = null;
      for (const [id, at] of this.live) if (!brought.has(id)) newest = { id, at };
      if (newest) setArchiveCursor(store.database, accountId, newest);
      this.caughtUp = true;
    } catch {
      // a store error or a stream gone: the next session tries again from the cursor
    }
  }

  /**
   * Up to `limit` messages of the conversation with `peer` from the archive, older than its oldest
   * stored message, stored before it (duplicates of stored ones skipped). `complete`: the archive
   * holds nothing older.
   */
  async earlier(peer: string, limit: number): Promise<{ messages: ChatMessage[]; complete: boolean }> {
    const client = this.deps.online();
    if (!client) throw new MessengerError('not-connected', 'The account is not connected, so the server’s history cannot be fetched.');
    const from = this.backFrom.get(peer);
    const end = from === undefined ? oldestTimestamp(this.deps.store.database, this.deps.accountId, peer) : undefined;
    const page = await this.page(client, { with: peer, before: from ?? true, ...(end !== undefined ? { end } : {}) }, limit).catch(() => {
      throw new MessengerError('server-unreachable', 'The server did not return its history.');
    });
    if (page.first !== null) this.backFrom.set(peer, page.first);
    const messages: ChatMessage[] = [];
    // newest first: each is stored before the one stored just before it
    for (const item of [...page.items].reverse()) {
      const m = this.deps.inbox().historyItem(item, peer);
      if (m) messages.push(m);
    }
    return { messages: messages.reverse(), complete: page.complete || page.items.length === 0 };
  }

  /** one page: the query, the results streamed before its answer, the answer's <fin/> */
  private async page(client: XmppClient, q: Omit<MamQuery, 'queryId' | 'max'>, max = PAGE) {
    const queryId = randomUUID();
    const items: ArchivedItem[] = [];
    this.running.set(queryId, items);
    try {
      const answer = await client.iqCaller.request(buildMamQuery({ ...q, queryId, max }), QUERY_TIMEOUT);
      const fin = parseFin(answer);
      if (!fin) throw new MessengerError('internal', 'The archive answered without <fin/>.');
      return { items, ...fin };
    } finally {
      this.running.delete(queryId);
    }
  }
}
