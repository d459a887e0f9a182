import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { MAX_NICK, NS_NICK, NS_PUBSUB_EVENT, parseNick, parseNickEvent, publishNick, withNick } from './nick';

const presence = (nick?: string) => xml('presence', { type: 'subscribe' }, ...(nick === undefined ? [] : [xml('nick', { xmlns: NS_NICK }, nick)]));

describe('XEP-0172 nicknames', () => {
  it('reads the nickname of a subscription request, cleaned', () => {
    expect(parseNick(presence('  Bob  the\nBuilder '))).toBe('Bob the Builder');
    expect(parseNick(presence('\u202eevil\u202c'))).toBe('evil');
    expect(parseNick(presence('x'.repeat(5000)))).toHaveLength(MAX_NICK);
  });
  it('has none when absent, empty or in another namespace', () => {
    expect(parseNick(presence())).toBeNull();
    expect(parseNick(presence('  \u0000 '))).toBeNull();
    expect(parseNick(xml('presence', {}, xml('nick', {}, 'no namespace')))).toBeNull();
  });
  it('puts our nickname in subscription requests only, once', () => {
    expect(parseNick(withNick(presence(), 'Alice'))).toBe('Alice');
    expect(withNick(xml('presence', { type: 'subscribed' }), 'Alice').getChild('nick', NS_NICK)).toBeUndefined();
    expect(withNick(presence(), null).getChild('nick', NS_NICK)).toBeUndefined();
    expect(withNick(withNick(presence(), 'Alice'), 'Alice').getChildren('nick', NS_NICK)).toHaveLength(1);
  });

  it('reads a PEP notification of a nickname, its removal, and nothing else (§4.5)', () => {
    const event = (...children: ReturnType<typeof xml>[]) =>
      xml('message', { from: 'a@x.example' }, xml('event', { xmlns: NS_PUBSUB_EVENT }, xml('items', { node: NS_NICK }, ...children)));
    const item = (nick: string) => xml('item', { id: 'current' }, xml('nick', { xmlns: NS_NICK }, nick));
    expect(parseNickEvent(event(item('Old'), item(' New\u202e ')))).toEqual({ nick: 'New' });
    expect(parseNickEvent(event(item('')))).toEqual({ nick: null });
    expect(parseNickEvent(event(xml('retract', { id: 'current' })))).toEqual({ nick: null });
    expect(parseNickEvent(event())).toBeUndefined();
    const otherNode = xml('message', {}, xml('event', { xmlns: NS_PUBSUB_EVENT }, xml('items', { node: 'urn:xmpp:avatar:metadata' }, item('x'))));
    expect(parseNickEvent(otherNode)).toBeUndefined();
    expect(parseNickEvent(xml('message', {}, xml('body', {}, 'hi')))).toBeUndefined();
  });
  it('publishes our nickname as the one item of the nick node, empty for none', () => {
    const p = publishNick('Alice').getChild('publish');
    expect(p?.attrs.node).toBe(NS_NICK);
    expect(p?.getChild('item')?.getChild('nick', NS_NICK)?.text()).toBe('Alice');
    expect(publishNick(null).getChild('publish')?.getChild('item')?.getChild('nick', NS_NICK)?.text()).toBe('');
  });
});
