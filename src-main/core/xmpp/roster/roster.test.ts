import { describe, expect, it } from 'vitest';
import xml from '@xmpp/xml';
import { parseItem } from './roster';

describe('roster items (RFC 6121 §2.1)', () => {
  it('reads jid, name, subscription and ask', () => {
    expect(parseItem(xml('item', { jid: 'Bob@Example.org', name: 'Bob', subscription: 'to', ask: 'subscribe' }))).toEqual({
      jid: 'bob@example.org',
      name: 'Bob',
      subscription: 'to',
      pendingOut: true,
    });
    expect(parseItem(xml('item', { jid: 'a@b' }))).toEqual({ jid: 'a@b', name: null, subscription: 'none', pendingOut: false });
    expect(parseItem(xml('item', { jid: 'a@b', subscription: 'remove' }))?.subscription).toBe('remove');
    expect(parseItem(xml('item', { jid: 'a@b', name: 'n'.repeat(500) }))?.name).toHaveLength(200);
  });

  it.each([{}, { jid: '' }, { jid: 'a@b/res' }, { jid: 'server.example' }, { jid: 'a@' }, { jid: 'a@b', subscription: 'all' }])('rejects %j', (attrs) => {
    expect(parseItem(xml('item', attrs))).toBeNull();
  });
});
