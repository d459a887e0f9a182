import { describe, expect, it } from 'vitest';
import { capsElement, capsVer, CAPS_NODE, NS_CAPS } from './caps';

describe('entity capabilities (XEP-0115)', () => {
  it('computes the verification string of the XEP-0115 §5.2 simple example', () => {
    // §5.2: identity client/pc//Exodus 0.9.1, four features, ver QgayPKawpkPSDYmwT/WM94uAlu0=
    const ver = capsVer(
      [{ category: 'client', type: 'pc', name: 'Exodus 0.9.1' }],
      ['http://jabber.org/protocol/disco#info', 'http://jabber.org/protocol/disco#items', 'http://jabber.org/protocol/muc', 'http://jabber.org/protocol/caps'],
    );
    expect(ver).toBe('QgayPKawpkPSDYmwT/WM94uAlu0=');
  });

  it('does not depend on the order the features are listed in', () => {
    const id = [{ category: 'client', type: 'pc', name: 'Messenger' }];
    expect(capsVer(id, ['b', 'a', 'c'])).toBe(capsVer(id, ['c', 'b', 'a']));
    expect(capsVer(id, ['a', 'b'])).not.toBe(capsVer(id, ['a', 'b', 'c']));
  });

  it('names our node and the hash in the presence element', () => {
    const c = capsElement('abc=');
    expect(c.attrs).toEqual({ xmlns: NS_CAPS, hash: 'sha-1', node: CAPS_NODE, ver: 'abc=' });
  });
});
