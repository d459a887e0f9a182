// The prekey server as an XMPP component (XEP-0114, @xmpp/component) — otrv4-prekey-server.md
// §"A Prekey Server for OTRv4 over XMPP": disco#info answers identity auth/otr-prekey and the
// feature http://jabber.org/protocol/otrv4-prekey-server; disco#items answers the fingerprint
// item (node 'fingerprint', name = 112 hex digits); protocol traffic is <message> bodies.
import { bringOnline, component, NS_DISCO_INFO, NS_DISCO_ITEMS, takeDown, xml, type XmlElement } from '../xmpp-component';
import type { PrekeyServerProtocol, RefusalReply, Reply } from './protocol';

const NS_PREKEY_SERVER = 'http://jabber.org/protocol/otrv4-prekey-server';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

export interface ComponentOptions {
  /** e.g. xmpp://127.0.0.1:5347 */
  service: string;
  /** the component JID, e.g. prekeys.example.org */
  domain: string;
  password: string;
  protocol: PrekeyServerProtocol;
  /** the disco name of the service */
  name?: string;
  log?: (line: string) => void;
}

export interface RunningComponent {
  stop(): Promise<void>;
}

export async function startComponent(o: ComponentOptions): Promise<RunningComponent> {
  const entity = component({ service: o.service, domain: o.domain, password: o.password });
  const log = o.log ?? (() => undefined);
  const name = o.name ?? 'OTR Prekey Server';
  entity.on('error', (e) => log(`component error: ${e.message}`));

  entity.iqCallee.get(NS_DISCO_INFO, 'query', (ctx) => {
    const node = ctx.element.attrs.node;
    return xml(
      'query',
      { xmlns: NS_DISCO_INFO, ...(node ? { node } : {}) },
      xml('identity', { category: 'auth', type: 'otr-prekey', name }),
      xml('feature', { var: NS_DISCO_INFO }),
      xml('feature', { var: NS_DISCO_ITEMS }),
      xml('feature', { var: NS_PREKEY_SERVER }),
    );
  });
  entity.iqCallee.get(NS_DISCO_ITEMS, 'query', (ctx) => {
    const node = ctx.element.attrs.node;
    if (node && node !== 'fingerprint') return xml('query', { xmlns: NS_DISCO_ITEMS, node });
    // §"Discovering a Prekey Server": "an item where node has the value fingerprint, and the
    // name will contain the hexadecimal representation of the fingerprint"
    return xml(
      'query',
      { xmlns: NS_DISCO_ITEMS, ...(node ? { node } : {}) },
      xml('item', { jid: o.domain, node: 'fingerprint', name: o.protocol.fingerprint }),
    );
  });

  entity.on('stanza', (stanza) => {
    if (stanza.name !== 'message' || stanza.attrs.type === 'error') return;
    const from = stanza.attrs.from;
    const body = stanza.getChildText('body');
    if (!from || body === null) return;
    o.protocol
      .handle(from, body)
      .then((replies) => Promise.all(replies.map((r) => entity.send(toStanza(o.domain, from, stanza.attrs.id, r)))))
      .catch((e: unknown) => log(`handling a message failed: ${e instanceof Error ? e.message : String(e)}`));
  });

  // a wrong secret (not-authorized) throws here, and the connection is not retried
  await bringOnline(entity);
  log(`prekey server online as ${o.domain}`);
  return { stop: () => takeDown(entity) };
}

function toStanza(domain: string, to: string, id: string | undefined, r: Reply | RefusalReply): XmlElement {
  if ('body' in r) {
    return xml(
      'message',
      { from: domain, to, type: 'normal' },
      xml('body', {}, r.body),
      xml('no-store', { xmlns: 'urn:xmpp:hints' }),
      xml('no-copy', { xmlns: 'urn:xmpp:hints' }),
    );
  }
  // RFC 6120 §8.3: a message error bounces to the sender with the condition and a text
  return xml(
    'message',
    { from: domain, to, type: 'error', ...(id ? { id } : {}) },
    xml('error', { type: r.error === 'policy-violation' ? 'wait' : 'modify' }, xml(r.error, { xmlns: NS_STANZAS }), xml('text', { xmlns: NS_STANZAS }, r.text)),
  );
}
