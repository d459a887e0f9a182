// Nicknames over PEP (XEP-0172 §4.5, XEP-0163): ours is published to our personal eventing
// node, so every contact sees it, not only those we asked to subscribe (account/contacts.ts puts
// it in subscription requests, §4.1). Contacts' nicknames arrive as notifications because our
// presence advertises "nick+notify" (xmpp/caps, xmpp/disco).
import type { Element } from '@xmpp/xml';
import { bareJid } from '../../../src-shared/ipc/jid';
import type { XmppClient } from '../xmpp/client/client';
import { parseNickEvent, publishNick } from '../xmpp/nick/nick';

export interface PepNickDeps {
  /** our own bare JID */
  jid: string;
  ownNick(): string | null;
  online(): XmppClient | null;
  /** a contact's published nickname (null: removed); only for someone already a contact */
  nickname(jid: string, nick: string | null): void;
}

export class PepNick {
  constructor(private readonly deps: PepNickDeps) {}

  /** an inbox intercept: true when the message was a nickname notification (handled here) */
  onMessage(el: Element): boolean {
    const event = parseNickEvent(el);
    if (!event) return false;
    // XEP-0163 §4.3: notifications come from the publisher's bare JID, stamped by its server
    const from = bareJid(el.attrs.from);
    if (from && from !== this.deps.jid) this.deps.nickname(from, event.nick);
    return true;
  }

  /**
   * Publishes the stored nickname: after the user changes it (null publishes "none"), and at
   * each new session when one is set, so a change made while offline reaches the node. A
   * server without PEP answers with an error, which leaves the subscription-request path.
   */
  async publish(opts: { evenIfNone: boolean }, client = this.deps.online()): Promise<void> {
    const nick = this.deps.ownNick();
    if (!client || (nick === null && !opts.evenIfNone)) return;
    await client.iqCaller.set(publishNick(nick)).catch(() => undefined);
  }
}
