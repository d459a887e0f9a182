// The XMPP form of OTR traffic (docs/architecture.md §5). An OTR message is per device and must not be
// copied or archived: an archived or carbon-copied OTR data message can never be read by another
// device, and archiving it only leaks metadata. It must still be kept for offline delivery: a
// contact who is offline gets the query, or an offline start (Non-Interactive-Auth and the data
// messages after it), when they come back. So every OTR message carries (as
// xep-xxxx-current-otr-usage.md §"Processing Hints" advises):
// - <body> with the OTR text (OTRv3 §"OTR messages" travel as ordinary message text),
// - XEP-0334 §4 hints <no-copy/> and <no-permanent-store/> (not <no-store/>, which also forbids
//   the offline storage a server that honours it would otherwise use),
// - XEP-0280 §7 <private xmlns='urn:xmpp:carbons:2'/> (no carbon copies to our other devices),
// - XEP-0380 §3 <encryption xmlns='urn:xmpp:eme:0' namespace='urn:xmpp:otr:0'/> so that clients
//   without OTR can say why the body looks like noise.
// Data messages additionally ask for a XEP-0184 receipt and carry an XEP-0359 origin-id equal to
// the id of the ChatMessage they carry (the receipt then marks that message delivered).
import xml, { type Element } from '@xmpp/xml';

export const NS_HINTS = 'urn:xmpp:hints';
export const NS_CARBONS = 'urn:xmpp:carbons:2';
export const NS_EME = 'urn:xmpp:eme:0';
export const NS_OTR = 'urn:xmpp:otr:0';
const NS_RECEIPTS = 'urn:xmpp:receipts';
const NS_SID = 'urn:xmpp:sid:0';

export function buildOtrMessage(to: string, id: string, body: string, opts: { receipt?: boolean } = {}): Element {
  return xml(
    'message',
    { to, type: 'chat', id },
    xml('body', {}, body),
    xml('no-copy', { xmlns: NS_HINTS }),
    xml('no-permanent-store', { xmlns: NS_HINTS }),
    xml('private', { xmlns: NS_CARBONS }),
    xml('encryption', { xmlns: NS_EME, namespace: NS_OTR, name: 'OTR' }),
    ...(opts.receipt ? [xml('request', { xmlns: NS_RECEIPTS }), xml('origin-id', { xmlns: NS_SID, id })] : []),
  );
}

/** Whether a body is OTR protocol text (query, encoded message, fragment, error) rather than a plain message. */
export function isOtrText(body: string): boolean {
  return body.includes('?OTR');
}

/**
 * Whether a body is (the first fragment of) an encoded OTR data message, the kind that carries a
 * person's text: the encoding's header is the protocol version (2, 3 or 4) then type 0x03,
 * "AAID", "AAMD" or "AAQD" in base64 (OTRv3 §"Data Message", OTRv4 §"Data Message"). A first
 * fragment (k = 1, OTRv3 §"Fragmentation", OTRv4 §"Fragmentation") carries that header too;
 * later fragments, key exchanges, queries and errors are not counted.
 */
export function isOtrDataMessage(body: string): boolean {
  const text = body.trim();
  return /^\?OTR:AA[IMQ]D/.test(text) || /^\?OTR\|[^,]*,0*1,\d+,\?OTR:AA[IMQ]D/.test(text);
}
