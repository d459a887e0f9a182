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
