// 1:1 chat messages (RFC 6121 §5) with the extensions the core uses on every message:
// - XEP-0184 delivery receipts: <request/> on what we send, <received id=…/> back,
// - XEP-0359 origin-id: a client-chosen id that survives retransmission, used to drop duplicates
//   after a reconnect (our stanza id and origin-id are the same random UUID),
// - XEP-0203 delay: when the server stored the message for us.
// parseIncoming() is pure and never throws: hostile input yields null.
import xml, { type Element } from '@xmpp/xml';
import { bareJid } from '../../../../src-shared/ipc/jid';

export const NS_RECEIPTS = 'urn:xmpp:receipts';
export const NS_SID = 'urn:xmpp:sid:0';
export const NS_DELAY = 'urn:xmpp:delay';
/** the contract's limit on a body (src-shared/ipc/contract messageBody) */
export const MAX_BODY = 64 * 1024;
const MAX_ID = 256;

export function buildChat(to: string, id: string, body: string): Element {
  return xml('message', { to, type: 'chat', id }, xml('body', {}, body), xml('request', { xmlns: NS_RECEIPTS }), xml('origin-id', { xmlns: NS_SID, id }));
}

/** XEP-0184 §5.1: the receipt goes to the full JID that sent the message. */
export function buildReceipt(to: string, id: string, ofId: string): Element {
  return xml('message', { to, id }, xml('received', { xmlns: NS_RECEIPTS, id: ofId }));
}

export type Incoming =
  | { kind: 'chat'; from: string; peer: string; stanzaId: string | null; remoteId: string | null; body: string; timestamp: number; wantsReceipt: boolean }
  | { kind: 'receipt'; from: string; peer: string; ofId: string }
  | { kind: 'error'; peer: string; ofId: string };

function safeId(v: string | undefined | null): string | null {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_ID) return null;
  return v;
}

function delayStamp(el: Element, now: number): number {
  const delay = el.getChild('delay', NS_DELAY);
  const stamp = delay?.attrs.stamp;
  if (!stamp) return now;
  const t = Date.parse(stamp);
  // a stamp in the future (beyond clock skew) or absurdly old is ignored
  if (!Number.isFinite(t) || t > now + 60_000 || t < Date.UTC(2000, 0, 1)) return now;
  return t;
}

/**
 * Classifies an incoming <message/>. `ownBare` is our bare JID: messages from a missing `from`
 * are from our server (RFC 6120 §8.1.2.1) and never chat.
 */
export function parseIncoming(el: Element, ownBare: string, now = Date.now()): Incoming | null {
  if (!el.is('message')) return null;
  const from = el.attrs.from;
  const peer = bareJid(from);
  if (!from || !peer || !peer.includes('@')) return null;
  const type = el.attrs.type ?? 'normal';

  if (type === 'error') {
    const ofId = safeId(el.attrs.id);
    return ofId ? { kind: 'error', peer, ofId } : null;
  }

  const received = el.getChild('received', NS_RECEIPTS);
  if (received) {
    const ofId = safeId(received.attrs.id);
    return ofId && peer !== ownBare ? { kind: 'receipt', from, peer, ofId } : null;
  }

  if (type !== 'chat' && type !== 'normal') return null; // groupchat/headline: not 1:1 chat
  // the first <body/> in the stanza's own namespace (RFC 6121 §5.2.3); a <body/> of another
  // namespace is somebody's extension, not text for the user
  const bodyEl = el.getChildren('body').find((b) => b.attrs.xmlns === undefined || b.attrs.xmlns === 'jabber:client');
  if (!bodyEl) return null;
  let body = bodyEl.text();
  if (body.trim().length === 0) return null;
  if (body.length > MAX_BODY) body = body.slice(0, MAX_BODY);
  const stanzaId = safeId(el.attrs.id);
  const originId = safeId(el.getChild('origin-id', NS_SID)?.attrs.id);
  return {
    kind: 'chat',
    from,
    peer,
    stanzaId,
    remoteId: originId ?? stanzaId,
    body,
    timestamp: delayStamp(el, now),
    wantsReceipt: stanzaId !== null && el.getChild('request', NS_RECEIPTS) !== undefined,
  };
}

/**
 * A copy of a message our other device sent (XEP-0280 §6, the <message/> inside a sent carbon):
 * to whom, what, and the id to recognise it again. Null when malformed. Pure, never throws.
 */
export function parseSentCopy(el: Element, now = Date.now()): { peer: string; body: string; remoteId: string | null; timestamp: number } | null {
  if (!el.is('message')) return null;
  const peer = bareJid(el.attrs.to);
  if (!peer || !peer.includes('@')) return null;
  const type = el.attrs.type ?? 'normal';
  if (type !== 'chat' && type !== 'normal') return null;
  const bodyEl = el.getChildren('body').find((b) => b.attrs.xmlns === undefined || b.attrs.xmlns === 'jabber:client');
  if (!bodyEl) return null;
  let body = bodyEl.text();
  if (body.trim().length === 0) return null;
  if (body.length > MAX_BODY) body = body.slice(0, MAX_BODY);
  const remoteId = safeId(el.getChild('origin-id', NS_SID)?.attrs.id) ?? safeId(el.attrs.id);
  return { peer, body, remoteId, timestamp: delayStamp(el, now) };
}
