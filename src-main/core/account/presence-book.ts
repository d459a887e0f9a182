// The live presence of the account's contacts (RFC 6121 §4): per contact bare JID, per resource,
// what it shows. Presence is live state, never stored; it is forgotten when the account goes
// offline. Subscription presence (§3) is the contact list's business (account/contacts.ts).
import type { PresenceShow } from '../../../src-shared/ipc/contract';
import type { Store } from '../store/store';
import { aggregate, type PresenceEvent } from '../xmpp/presence/presence';

type ResourcePresence = { show: PresenceShow; status: string | null };

/** a flood of resources for one contact is bounded */
export const MAX_RESOURCES_PER_CONTACT = 32;
/** presence kept for senders not (yet) in the contact list: bounded */
export const MAX_PEERS_NOT_IN_ROSTER = 256;

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
      // The server routes presence only from contacts we are subscribed to (RFC 6121 §4.3), but
      // it may come before our roster answer (a new device: the probes answer our initial
      // presence). It is kept, not dropped, and shows once the roster names the contact
      // (account/contacts.ts emits the contact with what this book holds).
      const known = this.deps.store.contact(this.deps.accountId, p.peer) !== undefined;
      let m = this.byPeer.get(p.peer);
      if (!m) {
        if (!known && this.notInRoster() >= MAX_PEERS_NOT_IN_ROSTER) return;
        this.byPeer.set(p.peer, (m = new Map()));
      }
      if (!m.has(p.resource) && m.size >= MAX_RESOURCES_PER_CONTACT) return;
      m.set(p.resource, { show: p.show, status: p.status });
      if (known) this.deps.emitContact(p.peer);
      return;
    }
    const m = this.byPeer.get(p.peer);
    if (!m?.delete(p.resource)) return;
    if (m.size === 0) this.byPeer.delete(p.peer);
    if (this.deps.store.contact(this.deps.accountId, p.peer)) this.deps.emitContact(p.peer);
  }

  private notInRoster(): number {
    let n = 0;
    for (const jid of this.byPeer.keys()) if (!this.deps.store.contact(this.deps.accountId, jid)) n++;
    return n;
  }

  /** the full JIDs the contact is online with (chat states ask their devices what they support) */
  resources(jid: string): string[] {
    return [...(this.byPeer.get(jid)?.keys() ?? [])].map((r) => (r ? `${jid}/${r}` : jid));
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
