// The XMPP surface the group client needs (docs/architecture.md §2: small modules, explicit deps): send a
// body to a group's address, receive bodies from group addresses, and tell the service when we
// go away (an unavailable presence directed at the group, RFC 6121 §4.6).
import type { XmppClient } from '../xmpp/client/client';
import { xml } from '../xmpp/client/client';

export interface GroupTransport {
  /** our full JID */
  jid(): string;
  send(to: string, body: string): Promise<void>;
  /** every <message> with a body; returns an unsubscribe function */
  onBody(handler: (from: string, body: string) => void): () => void;
  sendUnavailable(to: string): Promise<void>;
}

interface StanzaLike {
  name: string;
  attrs: Record<string, string | undefined>;
  getChildText(name: string, xmlns?: string): string | null;
}

export function groupTransportOf(client: XmppClient): GroupTransport {
  const e = client.entity;
  return {
    jid() {
      if (!e.jid) throw new Error('XMPP connection is not online');
      return e.jid.toString();
    },
    async send(to, body) {
      // XEP-0334: group traffic is per device and already end-to-end encrypted; the service
      // keeps its own log, so the server must neither archive nor copy it
      await e.send(
        xml(
          'message',
          { to, type: 'normal' },
          xml('body', {}, body),
          xml('no-store', { xmlns: 'urn:xmpp:hints' }),
          xml('no-copy', { xmlns: 'urn:xmpp:hints' }),
        ),
      );
    },
    onBody(handler) {
      const listener = (stanza: StanzaLike): void => {
        if (stanza.name !== 'message' || stanza.attrs.type === 'error' || !stanza.attrs.from) return;
        const body = stanza.getChildText('body');
        if (body !== null) handler(stanza.attrs.from, body);
      };
      e.on('stanza', listener as never);
      return () => void e.removeListener('stanza', listener as never);
    },
    async sendUnavailable(to) {
      await e.send(xml('presence', { to, type: 'unavailable' }));
    },
  };
}
