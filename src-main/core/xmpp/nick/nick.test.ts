import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { MAX_NICK, NS_NICK, parseNick, withNick } from './nick';

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
});
