// Presence (RFC 6121 §4) and presence subscriptions (RFC 6121 §3) as plain functions over stanzas.
// parsePresence() is pure and never throws; unknown types are ignored (RFC 6120 §8.2.2).
import xml, { type Element } from '@xmpp/xml';
import type { PresenceShow } from '../../../../src-shared/ipc/contract';
import { bareJid, resourceOf } from '../jid/jid';

export type PresenceEvent =
  | { kind: 'available'; peer: string; resource: string; show: PresenceShow; status: string | null }
  | { kind: 'unavailable'; peer: string; resource: string }
  | { kind: 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed'; peer: string };

const SHOWS = new Set(['chat', 'away', 'xa', 'dnd']);

export function parsePresence(el: Element): PresenceEvent | null {
  if (!el.is('presence')) return null;
  const peer = bareJid(el.attrs.from);
  if (!peer || !peer.includes('@')) return null;
  const type = el.attrs.type;
  switch (type) {
    case undefined: {
      const showText = el.getChildText('show');
      // RFC 6121 §4.7.2.1: no <show/> means available ("online" here)
      const show: PresenceShow = showText && SHOWS.has(showText) ? (showText as PresenceShow) : 'online';
      const statusText = el.getChildText('status');
      const status = statusText ? statusText.slice(0, 1024) : null;
      return { kind: 'available', peer, resource: resourceOf(el.attrs.from), show, status };
    }
    case 'unavailable':
    case 'error':
      return { kind: 'unavailable', peer, resource: resourceOf(el.attrs.from) };
    case 'subscribe':
    case 'subscribed':
    case 'unsubscribe':
    case 'unsubscribed':
      // RFC 6121 §3.1.3: subscription stanzas are addressed bare; we key them by bare JID anyway
      return { kind: type, peer };
    default:
      return null; // 'probe' is for servers; anything else is not presence
  }
}

/** RFC 6121 §3: type is one of subscribe / subscribed / unsubscribe / unsubscribed, to a bare JID */
export function subscriptionStanza(type: 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed', to: string): Element {
  return xml('presence', { to, type });
}

/** RFC 6121 §3.4.1: the stream feature of a server that supports subscription pre-approval */
export const NS_PRE_APPROVAL = 'urn:xmpp:features:pre-approval';

export function advertisesPreApproval(features: Element): boolean {
  return features.getChild('sub', NS_PRE_APPROVAL) !== undefined;
}

/**
 * RFC 6121 §3.1.1 with §3.4 where the server supports it: a request to see `to`'s presence,
 * preceded by a pre-approval of their request back (unless they already see ours). Their server
 * then answers their request itself, so one subscription stanza fewer reaches us — it matters under
 * an anti-flood limit such as ejabberd's mod_pres_counter.
 */
export function subscriptionRequest(to: string, opts: { preApproval: boolean; theySeeUs: boolean }): Element[] {
  const out = [subscriptionStanza('subscribe', to)];
  if (opts.preApproval && !opts.theySeeUs) out.unshift(subscriptionStanza('subscribed', to));
  return out;
}

/** RFC 6121 §4.2: initial presence (available, no show) */
export function initialPresence(): Element {
  return xml('presence', {});
}

/** Aggregates the presence of all resources of a contact: the most available one wins. */
const RANK: Record<PresenceShow, number> = { chat: 5, online: 4, away: 3, xa: 2, dnd: 1, offline: 0 };
export function aggregate(resources: Iterable<{ show: PresenceShow; status: string | null }>): { show: PresenceShow; status: string | null } {
  let best: { show: PresenceShow; status: string | null } = { show: 'offline', status: null };
  for (const r of resources) if (RANK[r.show] > RANK[best.show]) best = r;
  return best;
}
