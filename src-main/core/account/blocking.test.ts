// XEP-0191 list handling of account/blocking.ts: items parsed defensively, a blocked domain covers
// its addresses, a message from a blocked address is screened out.
import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { Blocking, blockItems, NS_BLOCKING } from './blocking';
import { CoreEvents } from './events';

describe('blocking (XEP-0191)', () => {
  it('parses items, lower case, skipping empty and oversized ones', () => {
    const list = xml(
      'blocklist',
      { xmlns: NS_BLOCKING },
      xml('item', { jid: 'Bob@X.example' }),
      xml('item', {}),
      xml('item', { jid: 'a'.repeat(4000) }),
      xml('item', { jid: 'spam.example' }),
    );
    expect(blockItems(list)).toEqual(['bob@x.example', 'spam.example']);
    expect(blockItems(undefined)).toEqual([]);
  });

  it('screens messages from blocked addresses and domains', async () => {
    const b = new Blocking({ accountId: 'acc', jid: 'me@x.example', events: new CoreEvents(), online: () => null });
    await b.refresh({
      iqCaller: { get: async () => xml('blocklist', {}, xml('item', { jid: 'bob@x.example' }), xml('item', { jid: 'spam.example' })) },
    } as never);
    expect(b.screens(xml('message', { from: 'bob@x.example/phone' }))).toBe(true);
    expect(b.screens(xml('message', { from: 'anyone@spam.example/r' }))).toBe(true);
    expect(b.screens(xml('message', { from: 'carol@x.example/r' }))).toBe(false);
    expect(b.list()).toEqual(['bob@x.example', 'spam.example']);
    await expect(b.block('carol@x.example')).rejects.toMatchObject({ code: 'not-connected' });
  });
});
