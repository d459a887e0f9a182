// The live presence of the account's contacts (RFC 6121 §4): per contact bare JID, per resource,
// what it shows. Presence is live state, never stored; it is forgotten when the account goes
// offline. Subscription presence (§3) is the contact list's business (account/contacts.ts).
import type { PresenceShow } from '../../../src-shared/ipc/contract';
import type { Store } from '../store/store';
import { aggregate, type PresenceEvent } from '../xmpp/presence/presence';

type ResourcePresence = { show: PresenceShow; status: string | null };

/** a flood of resources for one contact is bounded */
export const MAX_RESOURCES_PER_CONTACT = 32;

export interface PresenceBookDeps {
  accountId: string;
  store: Store;
  /** the contact's presence changed */
  emitContact(jid: string): void;
}

export class PresenceBook {
  /** bare JID -> resource -> presence */
  private readonly byPeer = new Map<string, Map<string, ResourcePresence>>();

  constructor(private readonly deps: PresenceBookDeps) {}

  /** the contact's presence across its resources: the most available one wins */
  of(jid: string): { show: PresenceShow; status: string | null } {
    return aggregate(this.byPeer.get(jid)?.values() ?? []);
  }

  onPresence(p: Extract<PresenceEvent, { kind: 'available' | 'unavailable' }>): void {
    if (p.kind === 'available') {
      // Presence only from people in the roster (RFC 6121 §4.3: the server only routes it then)
      if (!this.deps.store.contact(this.deps.accountId, p.peer)) return;
      let m = this.byPeer.get(p.peer);
      if (!m) this.byPeer.set(p.peer, (m = new Map()));
      if (!m.has(p.resource) && m.size >= MAX_RESOURCES_PER_CONTACT) return;
      m.set(p.resource, { show: p.show, status: p.status });
      this.deps.emitContact(p.peer);
      return;
    }
    const m = this.byPeer.get(p.peer);
    if (!m?.delete(p.resource)) return;
    if (m.size === 0) this.byPeer.delete(p.peer);
    this.deps.emitContact(p.peer);
  }

  /** the contact left the contact list */
  forget(jid: string): void {
    this.byPeer.delete(jid);
  }

  /** the account is no longer online: everyone is offline as far as we know */
  clear(): void {
    const peers = [...this.byPeer.keys()];
    this.byPeer.clear();
    for (const jid of peers) if (this.deps.store.contact(this.deps.accountId, jid)) this.deps.emitContact(jid);
  }
}
