// Service discovery, the answering side (XEP-0030 §3.1): who we are and which features we
// support, so that contacts know we send and answer receipts (XEP-0184 §4) and pings. The same
// answer is named by a hash in every presence we send (entity capabilities, xmpp/caps).
import xml, { type Element } from '@xmpp/xml';
import type { IqCallee } from '@xmpp/iq/callee.js';
import { CAPS_NODE, capsVer, type DiscoIdentity } from '../caps/caps';
import { NS_NICK } from '../nick/nick';

export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';

export const FEATURES = [
  NS_DISCO_INFO,
  'urn:xmpp:receipts', // XEP-0184
  'urn:xmpp:ping', // XEP-0199
  'urn:xmpp:sid:0', // XEP-0359
  'http://jabber.org/protocol/chatstates', // XEP-0085 §5.1: we send and show typing notifications
  'http://jabber.org/protocol/caps', // XEP-0115 §6.1
  NS_NICK, // XEP-0172
  `${NS_NICK}+notify`, // XEP-0163 §4: send us our contacts' published nicknames (XEP-0172 §4.5)
] as const;

/** XEP-0030 §3.1 / registry: category 'client', type 'pc' for a desktop client */
const IDENTITY: DiscoIdentity = { category: 'client', type: 'pc', name: 'Messenger' };

/** XEP-0115 §5.1: the hash of this disco#info, put in each presence we send */
export const OWN_CAPS_VER = capsVer([IDENTITY], FEATURES);

export function discoInfo(node?: string): Element {
  return xml(
    'query',
    { xmlns: NS_DISCO_INFO, ...(node ? { node } : {}) },
    xml('identity', { category: IDENTITY.category, type: IDENTITY.type, name: IDENTITY.name }),
    ...FEATURES.map((f) => xml('feature', { var: f })),
  );
}

export function disco({ iqCallee }: { iqCallee: IqCallee }): void {
  iqCallee.get(NS_DISCO_INFO, 'query', (ctx) => {
    const node: unknown = ctx.element?.attrs.node;
    // XEP-0115 §6.2: the node our presence named, node#ver, is the same information
    if (node === `${CAPS_NODE}#${OWN_CAPS_VER}`) return discoInfo(node);
    // XEP-0030 §3.1: a query to a node we do not have is item-not-found
    if (node) {
      return xml('error', { type: 'cancel' }, xml('item-not-found', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }));
    }
    return discoInfo();
  });
}
