// Roster management (RFC 6121 §2): get, set, remove, and roster pushes from our server.
// A push is accepted only from our own bare JID or with no 'from' (RFC 6121 §2.1.6): anyone else
// trying to edit our roster gets an error and changes nothing.
import xml, { type Element } from '@xmpp/xml';
import type { IqCaller } from '@xmpp/iq/caller.js';
import type { IqCallee } from '@xmpp/iq/callee.js';
import type { Subscription } from '../../../../src-shared/ipc/contract';
import { bareJid } from '../jid/jid';

export const NS_ROSTER = 'jabber:iq:roster';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

export interface RosterItem {
  jid: string;
  name: string | null;
  /** 'remove' only in pushes (RFC 6121 §2.1.2.5) */
  subscription: Subscription | 'remove';
  /** RFC 6121 §2.1.2.2: we sent a subscription request that is not answered */
  pendingOut: boolean;
}

const SUBSCRIPTIONS = new Set(['none', 'to', 'from', 'both', 'remove']);

/** Parses one <item/>; null when it is malformed (pure, never throws). */
export function parseItem(item: Element): RosterItem | null {
  const raw = item.attrs.jid;
  const jid = bareJid(raw);
  // roster items are bare JIDs of users (RFC 6121 §2.1.1)
  if (!jid || !raw || raw.includes('/') || !jid.includes('@')) return null;
  const sub = item.attrs.subscription ?? 'none';
  if (!SUBSCRIPTIONS.has(sub)) return null;
  const name = typeof item.attrs.name === 'string' && item.attrs.name.length > 0 ? item.attrs.name.slice(0, 200) : null;
  return { jid, name, subscription: sub as RosterItem['subscription'], pendingOut: item.attrs.ask === 'subscribe' };
}

export interface Roster {
  get(): Promise<RosterItem[]>;
  set(jid: string, name?: string): Promise<void>;
  remove(jid: string): Promise<void>;
}

export function roster({
  iqCaller,
  iqCallee,
  ownBare,
  onPush,
}: {
  iqCaller: IqCaller;
  iqCallee: IqCallee;
  ownBare: () => string | null;
  onPush: (item: RosterItem) => void;
}): Roster {
  iqCallee.set(NS_ROSTER, 'query', (ctx) => {
    const from = ctx.stanza.attrs.from;
    if (from !== undefined && bareJid(from) !== ownBare()) {
      // RFC 6121 §2.1.6: "the client MUST ignore the push" — we answer with an error, change nothing
      return xml('error', { type: 'cancel' }, xml('service-unavailable', { xmlns: NS_STANZAS }));
    }
    const items = (ctx.element as Element).getChildren('item');
    // RFC 6121 §2.1.6: a push contains exactly one item
    const item = items.length === 1 && items[0] ? parseItem(items[0]) : null;
    if (!item) return xml('error', { type: 'modify' }, xml('bad-request', { xmlns: NS_STANZAS }));
    onPush(item);
    return {};
  });

  return {
    async get() {
      const query = await iqCaller.get(xml('query', { xmlns: NS_ROSTER }));
      const items: RosterItem[] = [];
      for (const el of query?.getChildren('item') ?? []) {
        const item = parseItem(el);
        if (item && item.subscription !== 'remove') items.push(item);
      }
      return items;
    },
    async set(jid, name) {
      await iqCaller.set(xml('query', { xmlns: NS_ROSTER }, xml('item', name ? { jid, name } : { jid })));
    },
    async remove(jid) {
      await iqCaller.set(xml('query', { xmlns: NS_ROSTER }, xml('item', { jid, subscription: 'remove' })));
    },
  };
}
