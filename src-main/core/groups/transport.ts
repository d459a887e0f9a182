// The XMPP surface the group client needs (docs/architecture.md §2: small modules, explicit deps): send a
// body to a group's address, receive bodies from group addresses, and tell the service when we
// go away (an unavailable presence directed at the group, RFC 6121 §4.6).
import { MessengerError } from '../../../src-shared/ipc/result';
import type { XmppClient } from '../xmpp/client/client';
import { xml } from '../xmpp/client/client';

export interface GroupTransport {
  /** our full JID */
  jid(): string;
  send(to: string, body: string): Promise<void>;
  /** every <message> with a body; returns an unsubscribe function */
  onBody(handler: (from: string, body: string) => void): () => void;
  /** every <message type='error'> (a bounce: e.g. the service's component is not connected); returns an unsubscribe function */
  onBounce(handler: (from: string) => void): () => void;
  sendUnavailable(to: string): Promise<void>;
}

interface StanzaLike {
  name: string;
  attrs: Record<string, string | undefined>;
  getChildText(name: string, xmlns?: string): string | null;
}

/** the account session's surface groups use (account/session.ts: liveClient, attachFeature) */
export interface LiveSession {
  readonly liveClient: XmppClient | null;
  attachFeature(f: { onStanza?(el: StanzaLike): void; onOnline?(client: XmppClient, resumed: boolean): void }): () => void;
}

// XEP-0334: group traffic is per device and already end-to-end encrypted; the service keeps its
// own log, so the server must neither archive nor copy it
const groupMessage = (to: string, body: string) =>
  xml('message', { to, type: 'normal' }, xml('body', {}, body), xml('no-store', { xmlns: 'urn:xmpp:hints' }), xml('no-copy', { xmlns: 'urn:xmpp:hints' }));

const bounceOf = (stanza: StanzaLike, handler: (from: string) => void): void => {
  if (stanza.name === 'message' && stanza.attrs.type === 'error' && stanza.attrs.from) handler(stanza.attrs.from);
};

const bodyOf = (stanza: StanzaLike, handler: (from: string, body: string) => void): void => {
  if (stanza.name !== 'message' || stanza.attrs.type === 'error' || !stanza.attrs.from) return;
  const body = stanza.getChildText('body');
  if (body !== null) handler(stanza.attrs.from, body);
};

/** on one client of its own (tests and tools) */
export function groupTransportOf(client: XmppClient): GroupTransport {
  const e = client.entity;
  return {
    jid() {
      if (!e.jid) throw new Error('XMPP connection is not online');
      return e.jid.toString();
    },
    async send(to, body) {
      await e.send(groupMessage(to, body));
    },
    onBody(handler) {
      const listener = (stanza: StanzaLike): void => bodyOf(stanza, handler);
      e.on('stanza', listener as never);
      return () => void e.removeListener('stanza', listener as never);
    },
    onBounce(handler) {
      const listener = (stanza: StanzaLike): void => bounceOf(stanza, handler);
      e.on('stanza', listener as never);
      return () => void e.removeListener('stanza', listener as never);
    },
    async sendUnavailable(to) {
      await e.send(xml('presence', { to, type: 'unavailable' }));
    },
  };
}

/**
 * On the account's own stream (one account = one stream): whatever client the session has now.
 * The session replaces its client after a disconnect and xmpp.js reconnects the same one; the
 * hook follows both. While offline a send fails (typed); the group catches up on the next
 * 'online' (GroupsDeps.online) from the service's log, so nothing is lost.
 */
export function groupTransportOfSession(session: LiveSession): GroupTransport {
  const live = (): XmppClient => {
    const c = session.liveClient;
    if (!c) throw new MessengerError('not-connected', 'The account is offline.');
    return c;
  };
  return {
    jid() {
      const j = live().entity.jid;
      if (!j) throw new MessengerError('not-connected', 'The account is offline.');
      return j.toString();
    },
    async send(to, body) {
      await live().entity.send(groupMessage(to, body));
    },
    onBody(handler) {
      return session.attachFeature({ onStanza: (el) => bodyOf(el, handler) });
    },
    onBounce(handler) {
      return session.attachFeature({ onStanza: (el) => bounceOf(el, handler) });
    },
    async sendUnavailable(to) {
      await live().entity.send(xml('presence', { to, type: 'unavailable' }));
    },
  };
}
