import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import xml from '@xmpp/xml';
import { buildChat, buildReceipt, MAX_BODY, parseIncoming } from './messages';

const OWN = 'me@example.org';
const NOW = Date.UTC(2026, 0, 1);

describe('chat messages (RFC 6121 §5, XEP-0184, XEP-0359)', () => {
  it('builds a chat message with a receipt request and an origin-id equal to its id', () => {
    const el = buildChat('you@example.org', 'id-1', 'hi <&>');
    expect(el.attrs).toMatchObject({ to: 'you@example.org', type: 'chat', id: 'id-1' });
    expect(el.getChildText('body')).toBe('hi <&>');
    expect(el.getChild('request', 'urn:xmpp:receipts')).toBeDefined();
    expect(el.getChild('origin-id', 'urn:xmpp:sid:0')?.attrs.id).toBe('id-1');
    expect(el.toString()).toContain('hi &lt;&amp;&gt;');
  });

  it('parses a chat, preferring origin-id for dedupe and honouring a sane delay', () => {
    const el = xml(
      'message',
      { from: 'You@Example.org/phone', type: 'chat', id: 's1' },
      xml('body', {}, 'hello'),
      xml('request', { xmlns: 'urn:xmpp:receipts' }),
      xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'o1' }),
      xml('delay', { xmlns: 'urn:xmpp:delay', stamp: '2025-12-31T23:00:00Z' }),
    );
    expect(parseIncoming(el, OWN, NOW)).toEqual({
      kind: 'chat',
      from: 'You@Example.org/phone',
      peer: 'you@example.org',
      stanzaId: 's1',
      remoteId: 'o1',
      body: 'hello',
      timestamp: Date.UTC(2025, 11, 31, 23),
      wantsReceipt: true,
    });
  });

  it('falls back to the stanza id, ignores future or garbage delays, truncates huge bodies', () => {
    const big = parseIncoming(
      xml(
        'message',
        { from: 'a@b', id: 'x' },
        xml('body', {}, 'z'.repeat(MAX_BODY + 10)),
        xml('delay', { xmlns: 'urn:xmpp:delay', stamp: '2999-01-01T00:00:00Z' }),
      ),
      OWN,
      NOW,
    );
    expect(big).toMatchObject({ kind: 'chat', remoteId: 'x', timestamp: NOW, wantsReceipt: false });
    expect(big?.kind === 'chat' && big.body.length).toBe(MAX_BODY);
    const garbage = parseIncoming(
      xml('message', { from: 'a@b' }, xml('body', {}, 'q'), xml('delay', { xmlns: 'urn:xmpp:delay', stamp: 'yesterday' })),
      OWN,
      NOW,
    );
    expect(garbage).toMatchObject({ kind: 'chat', timestamp: NOW, remoteId: null, stanzaId: null });
  });

  it('reads receipts and errors; a receipt from ourselves is ignored', () => {
    expect(parseIncoming(xml('message', { from: 'a@b/r' }, xml('received', { xmlns: 'urn:xmpp:receipts', id: 'm1' })), OWN, NOW)).toEqual({
      kind: 'receipt',
      from: 'a@b/r',
      peer: 'a@b',
      ofId: 'm1',
    });
    expect(parseIncoming(xml('message', { from: `${OWN}/x` }, xml('received', { xmlns: 'urn:xmpp:receipts', id: 'm1' })), OWN, NOW)).toBeNull();
    expect(parseIncoming(xml('message', { from: 'a@b', type: 'error', id: 'm2' }), OWN, NOW)).toEqual({ kind: 'error', peer: 'a@b', ofId: 'm2' });
    expect(buildReceipt('a@b/r', 'r1', 'm1').getChild('received', 'urn:xmpp:receipts')?.attrs.id).toBe('m1');
  });

  it.each([
    ['no from (from our server)', xml('message', { type: 'chat' }, xml('body', {}, 'x'))],
    ['a server JID', xml('message', { from: 'example.org', type: 'chat' }, xml('body', {}, 'x'))],
    ['a malformed from', xml('message', { from: 'a@', type: 'chat' }, xml('body', {}, 'x'))],
    ['no body', xml('message', { from: 'a@b', type: 'chat' })],
    ['a blank body', xml('message', { from: 'a@b', type: 'chat' }, xml('body', {}, ' \n\t'))],
    ['a body of another namespace', xml('message', { from: 'a@b', type: 'chat' }, xml('body', { xmlns: 'urn:x' }, 'x'))],
    ['groupchat', xml('message', { from: 'a@b', type: 'groupchat' }, xml('body', {}, 'x'))],
    ['headline', xml('message', { from: 'a@b', type: 'headline' }, xml('body', {}, 'x'))],
    ['a receipt without id', xml('message', { from: 'a@b' }, xml('received', { xmlns: 'urn:xmpp:receipts' }))],
    ['an error without id', xml('message', { from: 'a@b', type: 'error' })],
    ['not a message', xml('presence', { from: 'a@b' })],
  ])('ignores %s', (_name, el) => {
    expect(parseIncoming(el, OWN, NOW)).toBeNull();
  });

  it('never throws on arbitrary attributes and children', () => {
    const attr = fc.option(fc.string({ maxLength: 40 }), { nil: undefined });
    fc.assert(
      fc.property(
        attr,
        attr,
        attr,
        fc.array(fc.tuple(fc.constantFrom('body', 'received', 'origin-id', 'delay', 'request', 'x'), attr, attr, fc.string({ maxLength: 30 })), {
          maxLength: 5,
        }),
        (from, type, id, kids) => {
          const el = xml('message', { from, type, id }, ...kids.map(([name, xmlns, idAttr, text]) => xml(name, { xmlns, id: idAttr, stamp: idAttr }, text)));
          const r = parseIncoming(el, OWN, NOW);
          if (r?.kind === 'chat') expect(r.body.length).toBeLessThanOrEqual(MAX_BODY);
        },
      ),
      { numRuns: 500 },
    );
  });
});
