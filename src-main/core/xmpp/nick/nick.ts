// User nicknames (XEP-0172): the name a person chose for themselves, carried in presence
// subscription requests (§4.1) and in presence (§4.2 permits it in any presence). A contact's
// nickname is shown only where the user gave no roster name (§5: the roster name is the user's
// own choice and wins). Pure; never throws.
import xml, { type Element } from '@xmpp/xml';

export const NS_NICK = 'http://jabber.org/protocol/nick';
/** as long as a roster name may be (src-shared/ipc/everyday-contract contact.rename) */
export const MAX_NICK = 200;

/**
 * The nickname in a stanza, cleaned: control characters and bidi overrides removed (a nickname is
 * shown next to addresses; §7 "Security Considerations": it must not pass for someone else's
 * address or reorder the text around it), white space collapsed, cut to MAX_NICK. Null when none.
 */
export function parseNick(el: Element): string | null {
  const nick = el.getChildren('nick', NS_NICK)[0];
  if (!nick) return null;
  const text = nick
    .text()
    .replace(/[\p{Cc}\u202a-\u202e\u2066-\u2069\u200e\u200f]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, MAX_NICK)
    .trim();
  return text.length > 0 ? text : null;
}

/** §4.1: our nickname in a subscription request (other stanzas go as they are) */
export function withNick(el: Element, nick: string | null | undefined): Element {
  if (!nick || !el.is('presence') || el.attrs.type !== 'subscribe' || el.getChild('nick', NS_NICK)) return el;
  el.append(xml('nick', { xmlns: NS_NICK }, nick));
  return el;
}

export const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
export const NS_PUBSUB_EVENT = 'http://jabber.org/protocol/pubsub#event';

/**
 * §4.5 "Nickname Management": our nickname published to our personal eventing node (XEP-0163
 * §3), which the server sends to every contact who sees our presence and asked for it
 * ("+notify" in their capabilities). One item, id "current" (XEP-0060 §12.20, a singleton
 * node); an empty <nick/> says we no longer have one.
 */
export function publishNick(nick: string | null): Element {
  return xml('pubsub', { xmlns: NS_PUBSUB }, xml('publish', { node: NS_NICK }, xml('item', { id: 'current' }, xml('nick', { xmlns: NS_NICK }, nick ?? ''))));
}

/**
 * A PEP notification of a nickname (XEP-0163 §4.3, an <event/> in a message): the cleaned
 * nickname, or null when it was removed (empty, or the item retracted); undefined when the
 * message is not one. Several items: the last is the current one.
 */
export function parseNickEvent(el: Element): { nick: string | null } | undefined {
  const items = el.getChild('event', NS_PUBSUB_EVENT)?.getChild('items');
  if (items?.attrs.node !== NS_NICK) return undefined;
  const item = items.getChildren('item').at(-1);
  if (!item) return items.getChild('retract') ? { nick: null } : undefined;
  return { nick: parseNick(item) };
}
