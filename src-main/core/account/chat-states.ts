// Typing notifications both ways (XEP-0085 Chat State Notifications). Ours are standalone
// <message/>s holding one state element and no body (§5.5), addressed to the contact's bare JID,
// with the XEP-0334 <no-store/> hint so that no server keeps them offline or in an archive. They
// never carry text and never travel inside OTR: in a private conversation they say as much as in a
// plain one (that the user types, not what), which is what chat states are (metadata, §8).
// They are sent only to a contact who supports them (§5.1): one who sent us a chat state, or one
// of whose online devices lists the feature in disco#info (XEP-0030); never to a stranger, a blocked
// contact or an offline one. Only changes of state are sent ('composing' once, not per key), and
// 'composing' turns into 'paused' after PAUSE_AFTER_MS without a new one.
import { randomUUID } from 'node:crypto';
import xml, { type Element } from '@xmpp/xml';
import type { ChatState } from '../../../src-shared/ipc/everyday-contract';
import { bareJid } from '../../../src-shared/ipc/jid';
import type { XmppClient } from '../xmpp/client/client';
import { NS_DISCO_INFO } from '../xmpp/disco/disco';
import type { CoreEvents } from './events';

export const NS_CHATSTATES = 'http://jabber.org/protocol/chatstates';
const NS_HINTS = 'urn:xmpp:hints';
const STATES: readonly ChatState[] = ['active', 'composing', 'paused', 'inactive', 'gone'];
/** §5.2 suggests pausing after a short idle period; 5 s as Gajim and Conversations do */
export const PAUSE_AFTER_MS = 5_000;
/** a contact's device that does not answer disco#info in this time is taken as not supporting */
const DISCO_TIMEOUT_MS = 10_000;

/** the chat state element of a <message/>, if it has exactly one we know (pure, never throws) */
export function parseChatState(el: Element): ChatState | null {
  const found = el.children.filter((c): c is Element => typeof c !== 'string' && c.attrs.xmlns === NS_CHATSTATES);
  if (found.length !== 1) return null;
  const name = found[0]!.name as ChatState;
  return STATES.includes(name) ? name : null;
}

/** §5.5: a standalone notification, no body; not stored offline nor archived (XEP-0334 §4) */
export function chatStateStanza(to: string, state: ChatState): Element {
  return xml('message', { to, type: 'chat', id: randomUUID() }, xml(state, { xmlns: NS_CHATSTATES }), xml('no-store', { xmlns: NS_HINTS }));
}

export interface ChatStatesDeps {
  accountId: string;
  /** our bare JID */
  jid: string;
  events: CoreEvents;
  online(): XmppClient | null;
  /** the full JIDs the contact is online with (presence-book.ts) */
  resources(peer: string): string[];
  /** a contact of this account (a contact entry, not blocked): only they see and send chat states */
  isContact(peer: string): boolean;
}

export class ChatStates {
  /** contacts known to support chat states: they sent one (§5.1) */
  private readonly supporting = new Set<string>();
  /** disco#info answers per full JID, for this session */
  private readonly disco = new Map<string, Promise<boolean>>();
  /** what we last said to each contact */
  private readonly said = new Map<string, ChatState>();
  /** what each contact last said to us */
  private readonly heard = new Map<string, ChatState>();
  private readonly pauseTimers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly deps: ChatStatesDeps) {}

  /** the user's state in the conversation with `peer` (the renderer's chatState.set) */
  async set(peer: string, state: ChatState): Promise<void> {
    clearTimeout(this.pauseTimers.get(peer));
    this.pauseTimers.delete(peer);
    if (state === 'composing') {
      const t = setTimeout(() => void this.set(peer, 'paused').catch(() => {}), PAUSE_AFTER_MS);
      t.unref();
      this.pauseTimers.set(peer, t);
    }
    const before = this.said.get(peer);
    if (before === state) return;
    // nothing was said yet: only 'composing' starts the conversation about states
    if (before === undefined && state !== 'composing') return;
    if (!this.deps.isContact(peer)) return;
    const client = this.deps.online();
    if (!client || !(await this.supports(client, peer))) return;
    this.said.set(peer, state);
    await client.entity.send(chatStateStanza(peer, state));
  }

  /** a message of ours went to `peer`: we are 'active' again (§5.3); said standalone since our content carries no state */
  async sent(peer: string): Promise<void> {
    const before = this.said.get(peer);
    if (before === 'composing' || before === 'paused') return this.set(peer, 'active').catch(() => {});
    clearTimeout(this.pauseTimers.get(peer));
    this.pauseTimers.delete(peer);
  }

  /**
   * An incoming <message/> (not a carbon copy). Returns true when it was only a chat state (it
   * has no body, nothing else is to be done with it).
   */
  onMessage(el: Element): boolean {
    const type = el.attrs.type ?? 'normal';
    if (type !== 'chat' && type !== 'normal') return false;
    const peer = bareJid(el.attrs.from);
    if (!peer || peer === this.deps.jid || !peer.includes('@')) return false;
    const hasBody = el.getChild('body') !== undefined;
    if (!this.deps.isContact(peer)) return !hasBody && parseChatState(el) !== null;
    const state = parseChatState(el);
    if (state) {
      this.supporting.add(peer);
      this.hear(peer, state);
      return !hasBody;
    }
    // §5.3: a message with content and no state ends their composing as far as we can tell
    if (hasBody) {
      const last = this.heard.get(peer);
      if (last === 'composing' || last === 'paused') this.hear(peer, 'active');
    }
    return false;
  }

  /** the contact went offline: whatever they were typing is not coming now */
  offline(peer: string): void {
    const last = this.heard.get(peer);
    if (last === 'composing' || last === 'paused') this.hear(peer, 'gone');
  }

  /** a new session: devices and their features may have changed */
  reset(): void {
    for (const t of this.pauseTimers.values()) clearTimeout(t);
    this.pauseTimers.clear();
    this.disco.clear();
    this.said.clear();
    for (const peer of [...this.heard.keys()]) this.offline(peer);
    this.heard.clear();
  }

  private hear(peer: string, state: ChatState): void {
    this.heard.set(peer, state);
    this.deps.events.emit('chatState.changed', { accountId: this.deps.accountId, peer, state });
  }

  private async supports(client: XmppClient, peer: string): Promise<boolean> {
    if (this.supporting.has(peer)) return true;
    const full = this.deps.resources(peer);
    if (full.length === 0) return false;
    const answers = await Promise.all(full.map((to) => this.discoOf(client, to)));
    return answers.some(Boolean);
  }

  private discoOf(client: XmppClient, to: string): Promise<boolean> {
    let p = this.disco.get(to);
    if (!p) {
      p = client.iqCaller
        .get(xml('query', { xmlns: NS_DISCO_INFO }), to, DISCO_TIMEOUT_MS)
        .then((q) => (q?.getChildren('feature') ?? []).some((f) => f.attrs.var === NS_CHATSTATES))
        .catch(() => false);
      this.disco.set(to, p);
    }
    return p;
  }
}
