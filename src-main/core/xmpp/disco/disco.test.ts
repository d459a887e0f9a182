import { describe, expect, it } from 'vitest';
import xml from '@xmpp/xml';
import { createClient } from '../client/client';
import { disco, discoInfo, FEATURES, NS_DISCO_INFO } from './disco';

describe('disco#info (XEP-0030 §3.1)', () => {
  it('lists a client identity and our features', () => {
    const q = discoInfo();
    expect(q.getChild('identity')?.attrs).toMatchObject({ category: 'client', type: 'pc' });
    expect(q.getChildren('feature').map((f) => f.attrs.var)).toEqual([...FEATURES]);
  });

  it('answers a query with a result, and a node query with item-not-found', async () => {
    const c = createClient({ domain: 'example.org', credentials: { username: 'u', password: 'p' } });
    disco({ iqCallee: c.iqCallee });
    const sent: string[] = [];
    const replied = new Promise<void>((resolve) => {
      c.entity.send = async (el) => {
        sent.push(el.toString());
        if (sent.length === 2) resolve();
      };
    });
    c.entity._onElement(xml('iq', { type: 'get', from: 'a@example.org/r', id: 'q1' }, xml('query', { xmlns: NS_DISCO_INFO })));
    c.entity._onElement(xml('iq', { type: 'get', from: 'a@example.org/r', id: 'q2' }, xml('query', { xmlns: NS_DISCO_INFO, node: 'x' })));
    await replied;
    expect(sent[0]).toContain('type="result"');
    expect(sent[0]).toContain('urn:xmpp:receipts');
    expect(sent[1]).toContain('item-not-found');
  });
});
