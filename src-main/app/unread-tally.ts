// The unread total behind the app icon's badge (issue 15, "Notifications": the dock / taskbar
// shows how many messages wait). The core already counts unread messages per conversation and
// sends the count with every contact update; this keeps the latest count per conversation and
// says when the total changed. No Electron here, so that it can be tested in Node.
import type { Contact, MessengerEvent } from '../../src-shared/ipc/contract';

export class UnreadTally {
  private readonly byConversation = new Map<string, number>();
  private sum = 0;

  get total(): number {
    return this.sum;
  }

  /** the counts at start (app.snapshot); returns the total */
  seed(contacts: readonly Contact[]): number {
    for (const c of contacts) this.set(c.accountId, c.jid, c.unread);
    return this.sum;
  }

  /** the new total when this event changed it, else null */
  onEvent(e: MessengerEvent): number | null {
    const before = this.sum;
    if (e.name === 'contact.updated') {
      const c = e.payload as Contact;
      this.set(c.accountId, c.jid, c.unread);
    } else if (e.name === 'contact.removed') {
      const { accountId, jid } = e.payload as { accountId: string; jid: string };
      this.set(accountId, jid, 0);
    } else if (e.name === 'account.removed') {
      const { accountId } = e.payload as { accountId: string };
      for (const key of [...this.byConversation.keys()]) if (key.startsWith(`${accountId}\n`)) this.setKey(key, 0);
    }
    return this.sum === before ? null : this.sum;
  }

  private set(accountId: string, jid: string, unread: number): void {
    // a count that is not a sane number is taken as none rather than poisoning the total
    this.setKey(`${accountId}\n${jid}`, Number.isSafeInteger(unread) && unread > 0 ? unread : 0);
  }

  private setKey(key: string, unread: number): void {
    this.sum += unread - (this.byConversation.get(key) ?? 0);
    if (unread === 0) this.byConversation.delete(key);
    else this.byConversation.set(key, unread);
  }
}
