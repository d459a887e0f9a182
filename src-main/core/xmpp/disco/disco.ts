// Service discovery, the answering side (XEP-0030 §3.1): who we are and which features we
// support, so that contacts know we send and answer receipts (XEP-0184 §4) and pings.
import xml, { type Element } from '@xmpp/xml';
import type { IqCallee } from '@xmpp/iq/callee.js';

export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';

export const FEATURES = [
  NS_DISCO_INFO,
  'urn:xmpp:receipts', // XEP-0184
  'urn:xmpp:ping', // XEP-0199
  'urn:xmpp:sid:0', // XEP-0359
  'http://jabber.org/protocol/chatstates', // XEP-0085 §5.1: we send and show typing notifications
] as const;

export function discoInfo(): Element {
  return xml(
    'query',
    { xmlns: NS_DISCO_INFO },
    // XEP-0030 §3.1 / registry: category 'client', type 'pc' for a desktop client
    xml('identity', { category: 'client', type: 'pc', name: 'Messenger' }),
    ...FEATURES.map((f) => xml('feature', { var: f })),
  );
}

export function disco({ iqCallee }: { iqCallee: IqCallee }): void {
  iqCallee.get(NS_DISCO_INFO, 'query', (ctx) => {
    // XEP-0030 §3.1: a query to a node we do not have is item-not-found
    if (ctx.element?.attrs.node) {
      return xml('error', { type: 'cancel' }, xml('item-not-found', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }));
    }
    return discoInfo();
  });
}
