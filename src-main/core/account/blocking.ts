// Blocking (XEP-0191 Blocking Command): the block list is the server's, so it holds on every
// device of the account and survives restarts; the server itself then drops what a blocked address
// sends us and keeps our presence from it (§3.3). The core mirrors the list per session (fetched
// at sign-in, §3.2, and kept current by the server's pushes, §3.3-3.4) and also drops what might
// still arrive from a blocked address (a stanza in flight when the block was set).
import xml, { type Element } from '@xmpp/xml';
import { MessengerError } from '../../../src-shared/ipc/result';
import { bareJid } from '../../../src-shared/ipc/jid';
import type { XmppClient } from '../xmpp/client/client';
import { conditionName } from '../errors';
import type { CoreEvents } from './events';

export const NS_BLOCKING = 'urn:xmpp:blocking';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
/** a server's list beyond this is cut: bounded memory against a hostile server */
export const MAX_BLOCKED = 10_000;

/** the JIDs of a <blocklist/>, <block/> or <unblock/> (pure, never throws) */
export function blockItems(el: Element | undefined): string[] {
  const out: string[] = [];
  for (const item of el?.getChildren('item') ?? []) {
    const jid = typeof item.attrs.jid === 'string' ? item.attrs.jid.toLowerCase() : '';
    if (jid.length > 0 && jid.length <= 3071) out.push(jid);
    if (out.length >= MAX_BLOCKED) break;
  }
  return out;
}

export interface BlockingDeps {
  accountId: string;
  /** our bare JID */
  jid: string;
  events: CoreEvents;
  online(): XmppClient | null;
  /** an address was blocked: what we knew of its presence is stale (the server stops routing it, §3.3) */
  onBlocked?(jid: string): void;
}

export class Blocking {
  private readonly blocked = new Set<string>();

  constructor(private readonly deps: BlockingDeps) {}

  /** the server's pushes on a new client (§3.3, §3.4); accepted only from our own account (as roster pushes) */
  attach(client: XmppClient): void {
    const handle = (kind: 'block' | 'unblock') =>
      client.iqCallee.set(NS_BLOCKING, kind, (ctx) => {
        const from = ctx.stanza.attrs.from;
        if (from !== undefined && bareJid(from) !== this.deps.jid) {
          return xml('error', { type: 'cancel' }, xml('service-unavailable', { xmlns: NS_STANZAS }));
        }
        const items = blockItems(ctx.element as Element);
        if (kind === 'block')
          for (const j of items) {
            this.blocked.add(j);
            this.deps.onBlocked?.(j);
          }
        // §3.4: an <unblock/> without items unblocks everyone
        else if (items.length === 0) this.blocked.clear();
        else for (const j of items) this.blocked.delete(j);
        this.emit();
        return {};
      });
    handle('block');
    handle('unblock');
  }

  /** §3.2: the list at the start of a session; a server without XEP-0191 leaves it empty */
  async refresh(client: XmppClient): Promise<void> {
    const list = await client.iqCaller.get(xml('blocklist', { xmlns: NS_BLOCKING })).catch(() => undefined);
    if (!list) return;
    this.blocked.clear();
    for (const j of blockItems(list)) this.blocked.add(j);
    this.emit();
  }

  isBlocked(jid: string): boolean {
    if (this.blocked.has(jid)) return true;
    // XEP-0191 §3.3 / XEP-0016 matching: a blocked domain covers every address at it
    const at = jid.lastIndexOf('@');
    return at >= 0 && this.blocked.has(jid.slice(at + 1));
  }

  list(): string[] {
    return [...this.blocked].sort();
  }

  async block(jid: string): Promise<void> {
    await this.command('block', jid);
    this.blocked.add(jid);
    this.deps.onBlocked?.(jid);
    this.emit();
  }

  async unblock(jid: string): Promise<void> {
    await this.command('unblock', jid);
    this.blocked.delete(jid);
    this.emit();
    // While blocked, the server dropped their presence, and unblocking does not make it probe them
    // again (Prosody's mod_blocklist sends them ours only). RFC 6121 §4.3 leaves probing to servers
    // ("SHOULD NOT" for clients); one probe here, after an explicit unblock, is the only way to
    // show their presence before our next session, and the server answers it only if we are
    // subscribed to them (§4.3.2), so it reveals nothing new.
    await this.deps
      .online()
      ?.entity.send(xml('presence', { to: jid, type: 'probe' }))
      .catch(() => {});
  }

  /** a message from a blocked address: dropped (true) */
  screens(el: Element): boolean {
    const peer = bareJid(el.attrs.from);
    return peer !== null && this.isBlocked(peer);
  }

  private async command(kind: 'block' | 'unblock', jid: string): Promise<void> {
    const client = this.deps.online();
    if (!client) throw new MessengerError('not-connected', `${this.deps.jid} is not connected; connect it first.`);
    try {
      await client.iqCaller.set(xml(kind, { xmlns: NS_BLOCKING }, xml('item', { jid })));
    } catch (e) {
      const err = e as { name?: string; condition?: string };
      if (err.name === 'TimeoutError') throw new MessengerError('timeout', 'The server did not answer in time.');
      if (err.name === 'StanzaError') throw new MessengerError('invalid-argument', `The server refused to ${kind} (${conditionName(err.condition)}).`);
      throw new MessengerError('not-connected', `${this.deps.jid} lost its connection; try again.`);
    }
  }

  private emit(): void {
    this.deps.events.emit('blocklist.updated', { accountId: this.deps.accountId, blocked: this.list() });
  }
}
