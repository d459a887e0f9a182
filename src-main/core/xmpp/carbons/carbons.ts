// Message carbons (XEP-0280): copies of the messages our other devices send and receive, so the
// conversation is complete on every device. A carbon is trusted only when it comes from our own
// bare JID (XEP-0280 §11, "Security Considerations": anything else is a forgery).
import xml, { type Element } from '@xmpp/xml';
import { bareJid } from '../../../../src-shared/ipc/jid';

export const NS_CARBONS = 'urn:xmpp:carbons:2';
export const NS_FORWARD = 'urn:xmpp:forward:0';

/** XEP-0280 §4: enable for this session */
export function enableCarbons(): Element {
  return xml('enable', { xmlns: NS_CARBONS });
}

export type Carbon = { direction: 'sent' | 'received'; message: Element };

/**
 * Returns the forwarded message of a carbon, or null when `el` is not a carbon or not a valid one
 * (wrong sender, several wrappers, no forwarded <message/>). Pure, never throws.
 */
export function unwrapCarbon(el: Element, ownBare: string): Carbon | null | 'forged' {
  const sent = el.getChildren('sent', NS_CARBONS);
  const received = el.getChildren('received', NS_CARBONS);
  if (sent.length + received.length === 0) return null;
  // §11: only our own account may send us carbons; the 'from' is the bare JID (no resource)
  if (el.attrs.from !== ownBare || bareJid(el.attrs.from) !== ownBare) return 'forged';
  if (sent.length + received.length !== 1) return 'forged';
  const wrapper = (sent[0] ?? received[0]) as Element;
  const forwarded = wrapper.getChildren('forwarded', NS_FORWARD);
  if (forwarded.length !== 1) return 'forged';
  const inner = forwarded[0]?.getChildren('message').filter((m) => m.attrs.xmlns === undefined || m.attrs.xmlns === 'jabber:client') ?? [];
  if (inner.length !== 1) return 'forged';
  return { direction: sent.length === 1 ? 'sent' : 'received', message: inner[0] as Element };
}
