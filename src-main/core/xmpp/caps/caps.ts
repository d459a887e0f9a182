// Entity capabilities (XEP-0115): every presence we send names our disco#info by a hash, so that
// servers and contacts learn our features without asking each time. A PEP service (XEP-0163 §4)
// reads the "+notify" features from it and sends us the items we are interested in (contacts'
// nicknames, XEP-0172 §4.5). Pure.
import { createHash } from 'node:crypto';
import xml, { type Element } from '@xmpp/xml';

export const NS_CAPS = 'http://jabber.org/protocol/caps';
/** XEP-0115 §4 "node": a URI that names the software; ours has no web site, so a URN of its own */
export const CAPS_NODE = 'urn:xmpp:messenger-desktop';

export interface DiscoIdentity {
  category: string;
  type: string;
  lang?: string;
  name?: string;
}

/**
 * XEP-0115 §5.1, the verification string for a disco#info without data forms: identities
 * "category/type/lang/name<" sorted, then features "feature<" sorted (i;octet: byte order of
 * the UTF-8, which for these ASCII names is the order of a plain string comparison), SHA-1,
 * base64.
 */
export function capsVer(identities: readonly DiscoIdentity[], features: readonly string[]): string {
  const byOctet = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  const ids = identities.map((i) => `${i.category}/${i.type}/${i.lang ?? ''}/${i.name ?? ''}`).sort(byOctet);
  const s = [...ids, ...[...features].sort(byOctet)].map((x) => `${x}<`).join('');
  return createHash('sha1').update(s, 'utf8').digest('base64');
}

/** the <c/> element of §4 for our presence */
export function capsElement(ver: string): Element {
  return xml('c', { xmlns: NS_CAPS, hash: 'sha-1', node: CAPS_NODE, ver });
}
