// The small XMPP surface the prekey client needs (docs/architecture.md §2: protocol features are small
// modules with explicit dependencies). Discovery is XEP-0030 IQs; the prekey protocol itself is
// <message> stanzas with the encoded message in <body> (otrv4-prekey-server.md §"A Prekey Server
// for OTRv4 over XMPP"). `xmppClientAdapter` binds it to an @xmpp/client entity; tests and the
// core pass a real connection; `prekeyXmppOf` makes it from one of the core's XMPP clients.
import { xml, type XmppClient } from '../xmpp/client/client';

export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
export const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
export const NS_PREKEY_SERVER = 'http://jabber.org/protocol/otrv4-prekey-server';

export interface StanzaError {
  condition: string;
  text?: string;
}

/** the subset of an ltx/@xmpp/xml Element used here */
export interface XmlNode {
  name: string;
  attrs: Record<string, string | undefined>;
  children: (XmlNode | string)[];
  getChild(name: string, xmlns?: string): XmlNode | undefined;
  getChildren(name: string, xmlns?: string): XmlNode[];
  getChildText(name: string, xmlns?: string): string | null;
}

export interface PrekeyXmpp {
  /** our own full JID (bound resource) */
  jid(): string;
  /** sends <iq type='get' to=…><query xmlns=… node=…/></iq> and resolves with the result's <query/> */
  discoQuery(to: string, xmlns: typeof NS_DISCO_INFO | typeof NS_DISCO_ITEMS, node?: string): Promise<XmlNode>;
  /** sends <message to=…><body>…</body></message> */
  sendMessage(to: string, body: string): Promise<void>;
  /**
   * every incoming <message> with a body, and every <message type='error'> (then `body` is null
   * and `error` says why, e.g. the prekey server's rate limit); returns an unsubscribe function
   */
  onMessage(handler: (from: string, body: string | null, error?: StanzaError) => void): () => void;
}

/** structural view of an @xmpp/client entity (no import: the core stays free of its types) */
export interface XmppClientLike {
  jid: { toString(): string } | null;
  iqCaller: { request(stanza: unknown, timeout?: number): Promise<XmlNode> };
  send(stanza: unknown): Promise<void>;
  on(event: 'stanza', listener: (stanza: XmlNode) => void): unknown;
  removeListener(event: 'stanza', listener: (stanza: XmlNode) => void): unknown;
}

export type XmlFactory = (name: string, attrs?: Record<string, string>, ...children: unknown[]) => unknown;

export function xmppClientAdapter(client: XmppClientLike, xml: XmlFactory, opts: { iqTimeoutMs?: number } = {}): PrekeyXmpp {
  return {
    jid(): string {
      if (!client.jid) throw new Error('XMPP connection is not online');
      return client.jid.toString();
    },
    async discoQuery(to, xmlns, node) {
      const attrs: Record<string, string> = { xmlns };
      if (node) attrs.node = node;
      const result = await client.iqCaller.request(xml('iq', { type: 'get', to }, xml('query', attrs)), opts.iqTimeoutMs ?? 15_000);
      // iqCaller resolves with the child element of the result IQ
      return result.name === 'query' ? result : (result.getChild('query', xmlns) ?? result);
    },
    async sendMessage(to, body) {
      // XEP-0334 hints: prekey protocol traffic is per device and must not be archived or copied
      await client.send(
        xml(
          'message',
          { to, type: 'normal' },
          xml('body', {}, body),
          xml('no-store', { xmlns: 'urn:xmpp:hints' }),
          xml('no-copy', { xmlns: 'urn:xmpp:hints' }),
        ),
      );
    },
    onMessage(handler) {
      const listener = (stanza: XmlNode): void => {
        const from = stanza.attrs.from;
        if (stanza.name !== 'message' || !from) return;
        if (stanza.attrs.type === 'error') {
          const err = stanza.getChild('error');
          const condition = err?.children.find((c): c is XmlNode => typeof c !== 'string' && c.name !== 'text')?.name ?? 'undefined-condition';
          const text = err?.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas') ?? undefined;
          handler(from, null, { condition, ...(text ? { text } : {}) });
          return;
        }
        const body = stanza.getChildText('body');
        if (body !== null) handler(from, body);
      };
      client.on('stanza', listener);
      return () => void client.removeListener('stanza', listener);
    },
  };
}

/** the prekey protocol's XMPP surface (xmpp.ts) on one of the core's connections */
export function prekeyXmppOf(client: XmppClient, opts: { iqTimeoutMs?: number } = {}): PrekeyXmpp {
  const e = client.entity;
  return xmppClientAdapter(
    {
      get jid() {
        return e.jid;
      },
      iqCaller: { request: (s, t) => client.iqCaller.request(s as Parameters<typeof client.iqCaller.request>[0], t) as Promise<XmlNode> },
      send: (s) => e.send(s as Parameters<typeof e.send>[0]),
      on: (ev, f) => e.on(ev, f as (el: unknown) => void),
      removeListener: (ev, f) => e.removeListener(ev, f as (el: unknown) => void),
    },
    xml as unknown as XmlFactory,
    opts,
  );
}
