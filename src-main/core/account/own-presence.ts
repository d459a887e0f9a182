// The user's own presence (RFC 6121 §4.2, §4.7): available, away or do not disturb, with a status
// message, broadcast by the server to every contact who sees our presence. It is what each new
// session announces as its initial presence, so it holds across reconnects of this run; a new
// run starts available (as Pidgin and Gajim do without a saved status).
import xml, { type Element } from '@xmpp/xml';
import type { OwnShow } from '../../../src-shared/ipc/everyday-contract';
import { capsElement } from '../xmpp/caps/caps';
import type { XmppClient } from '../xmpp/client/client';
import { OWN_CAPS_VER } from '../xmpp/disco/disco';
import type { CoreEvents } from './events';

/** RFC 6121 §4.7.2.1: 'online' is the absence of <show/> */
export function presenceStanza(show: OwnShow, status: string): Element {
  const children: Element[] = [];
  if (show !== 'online') children.push(xml('show', {}, show));
  if (status.length > 0) children.push(xml('status', {}, status));
  // XEP-0115 §4: what we support, hashed; PEP reads our "+notify" interests from it
  children.push(capsElement(OWN_CAPS_VER));
  return xml('presence', {}, ...children);
}

export class OwnPresence {
  private show: OwnShow = 'online';
  private status = '';

  constructor(private readonly deps: { accountId: string; events: CoreEvents; online(): XmppClient | null }) {}

  /** the initial presence of a new session (RFC 6121 §4.2) */
  stanza(): Element {
    return presenceStanza(this.show, this.status);
  }

  current(): { accountId: string; show: OwnShow; status: string } {
    return { accountId: this.deps.accountId, show: this.show, status: this.status };
  }

  /** RFC 6121 §4.4: an update goes out at once while online; offline it waits for the next session */
  async set(show: OwnShow, status: string): Promise<{ accountId: string; show: OwnShow; status: string }> {
    this.show = show;
    this.status = status;
    await this.deps.online()?.entity.send(this.stanza());
    const now = this.current();
    this.deps.events.emit('presence.own', now);
    return now;
  }
}
