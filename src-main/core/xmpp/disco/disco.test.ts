import { describe, expect, it } from 'vitest';
import xml from '@xmpp/xml';
import { createClient } from '../client/client';
import { CAPS_NODE, capsVer } from '../caps/caps';
import { disco, discoInfo, FEATURES, NS_DISCO_INFO, OWN_CAPS_VER } from './disco';

describe('disco#info (XEP-0030 §3.1)', () => {
  it('lists a client identity and our features', () => {
    const q = discoInfo();
    expect(q.getChild('identity')?.attrs).toMatchObject({ category: 'client', type: 'pc' });
    expect(q.getChildren('feature').map((f) => f.attrs.var)).toEqual([...FEATURES]);
  });

  it('hashes to the ver our presence names, and asks for contacts’ nicknames (+notify)', () => {
    const q = discoInfo();
    const identity = q.getChild('identity')?.attrs as { category: string; type: string; name: string };
    const features = q.getChildren('feature').map((f) => String(f.attrs.var));
    expect(capsVer([identity], features)).toBe(OWN_CAPS_VER);
    expect(features).toContain('http://jabber.org/protocol/nick+notify');
  });

  it('answers a query with a result, the caps node with the same result, and another node with item-not-found', async () => {
    const c = createClient({ domain: 'example.org', credentials: { username: 'u', password: 'p' } });
    disco({ iqCallee: c.iqCallee });
    const sent: string[] = [];
    const replied = new Promise<void>((resolve) => {
      c.entity.send = async (el) => {
        sent.push(el.toString());
        if (sent.length === 3) resolve();
      };
    });
    c.entity._onElement(xml('iq', { type: 'get', from: 'a@example.org/r', id: 'q1' }, xml('query', { xmlns: NS_DISCO_INFO })));
    c.entity._onElement(xml('iq', { type: 'get', from: 'a@example.org/r', id: 'q2' }, xml('query', { xmlns: NS_DISCO_INFO, node: 'x' })));
    const capsNode = `${CAPS_NODE}#${OWN_CAPS_VER}`;
    c.entity._onElement(xml('iq', { type: 'get', from: 'a@example.org/r', id: 'q3' }, xml('query', { xmlns: NS_DISCO_INFO, node: capsNode })));
    await replied;
    expect(sent[0]).toContain('type="result"');
    expect(sent[0]).toContain('urn:xmpp:receipts');
    expect(sent[1]).toContain('item-not-found');
    expect(sent[2]).toContain('type="result"');
    expect(sent[2]).toContain(`node="${capsNode}"`);
    expect(sent[2]).toContain('http://jabber.org/protocol/nick+notify');
  });
});
