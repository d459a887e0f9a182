// The user's own presence (RFC 6121 §4.2, §4.7): available, away or do not disturb, with a status
// message, broadcast by the server to every contact who sees our presence. It is what each new
// session announces as its initial presence, so it holds across reconnects; it is kept in the
// profile's accounts row (store/migrations.ts v17), so that it holds across restarts too: the
// user who left "Away: at lunch" is not announced as available when the messenger starts again.
import xml, { type Element } from '@xmpp/xml';
import type { Database } from '@signalapp/sqlcipher';
import { ownShows, type OwnShow } from '../../../src-shared/ipc/everyday-contract';
import { capsElement } from '../xmpp/caps/caps';
import type { XmppClient } from '../xmpp/client/client';
import { OWN_CAPS_VER } from '../xmpp/disco/disco';
import type { CoreEvents } from './events';

/** as the IPC contract bounds it (presence.set): a longer stored value is cut, not refused */
const MAX_STATUS = 500;

/** RFC 6121 §4.7.2.1: 'online' is the absence of <show/> */
export function presenceStanza(show: OwnShow, status: string): Element {
  const children: Element[] = [];
  if (show !== 'online') children.push(xml('show', {}, show));
  if (status.length > 0) children.push(xml('status', {}, status));
  // XEP-0115 §4: what we support, hashed; PEP reads our "+notify" interests from it
  children.push(capsElement(OWN_CAPS_VER));
  return xml('presence', {}, ...children);
}

/** the saved presence of an account; anything unreadable is the default (available, no message) */
export function savedPresence(db: Database, accountId: string): { show: OwnShow; status: string } {
  const row = db.prepare('SELECT own_show, own_status FROM accounts WHERE id = ?').get([accountId]) as { own_show: unknown; own_status: unknown } | undefined;
  const show = ownShows.find((s) => s === row?.own_show) ?? 'online';
  const status = typeof row?.own_status === 'string' ? row.own_status.slice(0, MAX_STATUS) : '';
  return { show, status };
}

export class OwnPresence {
  private show: OwnShow = 'online';
  private status = '';

  constructor(private readonly deps: { accountId: string; events: CoreEvents; online(): XmppClient | null; db?: Database }) {
    if (deps.db) ({ show: this.show, status: this.status } = savedPresence(deps.db, deps.accountId));
  }

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
    // saved first: what the user chose holds even if sending it fails (it goes with the next session)
    this.deps.db?.prepare('UPDATE accounts SET own_show = ?, own_status = ? WHERE id = ?').run([show, status, this.deps.accountId]);
    await this.deps.online()?.entity.send(this.stanza());
    const now = this.current();
    this.deps.events.emit('presence.own', now);
    return now;
  }
}
