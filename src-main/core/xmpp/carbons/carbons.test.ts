import { describe, expect, it } from 'vitest';
import xml from '@xmpp/xml';
import { unwrapCarbon, NS_CARBONS, NS_FORWARD } from './carbons';

const OWN = 'me@example.org';
const wrap = (
  kind: 'sent' | 'received',
  from: string | undefined,
  inner = xml('message', { xmlns: 'jabber:client', from: 'you@example.org/r', to: `${OWN}/other`, type: 'chat' }, xml('body', {}, 'hi')),
) => xml('message', { from, to: `${OWN}/me` }, xml(kind, { xmlns: NS_CARBONS }, xml('forwarded', { xmlns: NS_FORWARD }, inner)));

describe('carbons (XEP-0280)', () => {
  it('unwraps sent and received carbons from our own bare JID', () => {
    const r = unwrapCarbon(wrap('received', OWN), OWN);
    expect(r).toMatchObject({ direction: 'received' });
    expect(r !== null && r !== 'forged' && r.message.getChildText('body')).toBe('hi');
    expect(unwrapCarbon(wrap('sent', OWN), OWN)).toMatchObject({ direction: 'sent' });
  });

  it('is not a carbon without the wrapper', () => {
    expect(unwrapCarbon(xml('message', { from: OWN }, xml('body', {}, 'x')), OWN)).toBeNull();
  });

  it.each([
    ['from someone else (§11)', wrap('received', 'mallory@example.org')],
    ['from another resource of ours, not the bare JID', wrap('received', `${OWN}/evil`)],
    ['with no from', wrap('received', undefined)],
  ])('refuses a carbon %s', (_n, el) => {
    expect(unwrapCarbon(el, OWN)).toBe('forged');
  });

  it('refuses malformed carbons', () => {
    const two = xml(
      'message',
      { from: OWN },
      xml('sent', { xmlns: NS_CARBONS }, xml('forwarded', { xmlns: NS_FORWARD }, xml('message', {}))),
      xml('received', { xmlns: NS_CARBONS }, xml('forwarded', { xmlns: NS_FORWARD }, xml('message', {}))),
    );
    expect(unwrapCarbon(two, OWN)).toBe('forged');
    const empty = xml('message', { from: OWN }, xml('sent', { xmlns: NS_CARBONS }));
    expect(unwrapCarbon(empty, OWN)).toBe('forged');
    const wrongNs = xml(
      'message',
      { from: OWN },
      xml('sent', { xmlns: NS_CARBONS }, xml('forwarded', { xmlns: NS_FORWARD }, xml('message', { xmlns: 'urn:x' }))),
    );
    expect(unwrapCarbon(wrongNs, OWN)).toBe('forged');
  });
});
