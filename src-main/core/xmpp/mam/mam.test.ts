import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { buildMamQuery, ownStanzaId, parseFin, parseMamResult } from './mam';

const me = 'alice@example.org';
const inner = () => xml('message', { from: 'bob@example.org/x', to: me, type: 'chat' }, xml('body', {}, 'hi'));
const result = (attrs: Record<string, string>, ...children: ReturnType<typeof xml>[]) =>
  xml('message', attrs, xml('result', { xmlns: 'urn:xmpp:mam:2', queryid: 'q', id: 'a1' }, ...children));
const forwarded = (...children: ReturnType<typeof xml>[]) => xml('forwarded', { xmlns: 'urn:xmpp:forward:0' }, ...children);
const delay = (stamp = '2026-01-02T03:04:05Z') => xml('delay', { xmlns: 'urn:xmpp:delay', stamp });

describe('XEP-0313 query', () => {
  it('asks one conversation backwards before a time, with the form and RSM (XEP-0059 §2.5)', () => {
    const q = buildMamQuery({ queryId: 'q', with: 'bob@example.org', end: Date.UTC(2026, 0, 2, 3, 4, 5, 500), before: true, max: 10 }).getChild(
      'query',
      'urn:xmpp:mam:2',
    )!;
    expect(q.attrs.queryid).toBe('q');
    const fields = Object.fromEntries(
      q
        .getChild('x', 'jabber:x:data')!
        .getChildren('field')
        .map((f) => [f.attrs.var, f.getChildText('value')]),
    );
    // 'end' rounded up to the whole second: the message at .500 is not left out
    expect(fields).toEqual({ FORM_TYPE: 'urn:xmpp:mam:2', with: 'bob@example.org', end: '2026-01-02T03:04:06Z' });
    const set = q.getChild('set', 'http://jabber.org/protocol/rsm')!;
    expect(set.getChildText('max')).toBe('10');
    expect(set.getChild('before')?.text()).toBe('');
  });
  it('asks for what follows an archive id', () => {
    const set = buildMamQuery({ queryId: 'q', after: 'id-9', max: 100 })
      .getChild('query', 'urn:xmpp:mam:2')!
      .getChild('set', 'http://jabber.org/protocol/rsm')!;
    expect(set.getChildText('after')).toBe('id-9');
  });
});

describe('XEP-0313 results', () => {
  it('takes a result from our own account (or our server: no from)', () => {
    for (const attrs of [{}, { from: me }] as Array<Record<string, string>>) {
      const r = parseMamResult(result(attrs, forwarded(delay(), inner())), me);
      expect(r).toMatchObject({ queryId: 'q', archiveId: 'a1', timestamp: Date.UTC(2026, 0, 2, 3, 4, 5) });
    }
  });
  it('refuses results from anyone else, without a forwarded message, without a delay, with two of them', () => {
    const bad = [
      result({ from: 'mallory@example.org' }, forwarded(delay(), inner())),
      result({ from: `${me}/phone` }, forwarded(delay(), inner())),
      result({}),
      result({}, forwarded(inner())),
      result({}, forwarded(delay())),
      result({}, forwarded(delay('yesterday'), inner())),
      result({}, forwarded(delay(), inner(), inner())),
      result({}, forwarded(delay(), inner()), forwarded(delay(), inner())),
      xml('message', {}, xml('result', { xmlns: 'urn:xmpp:mam:2', queryid: 'q' }, forwarded(delay(), inner()))),
    ];
    for (const el of bad) expect(parseMamResult(el, me)).toBe('malformed');
  });
  it('is not concerned with other messages', () => {
    expect(parseMamResult(inner(), me)).toBeNull();
  });
  it('reads the fin of a page', () => {
    const iq = xml(
      'iq',
      { type: 'result' },
      xml(
        'fin',
        { xmlns: 'urn:xmpp:mam:2', complete: 'true' },
        xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, xml('first', {}, 'a'), xml('last', {}, 'b')),
      ),
    );
    expect(parseFin(iq)).toEqual({ complete: true, first: 'a', last: 'b' });
    expect(parseFin(xml('iq', { type: 'result' }))).toBeNull();
  });
  it('finds the stanza-id our archive gave a live message (XEP-0359), not one by anyone else', () => {
    const el = xml(
      'message',
      {},
      xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: 'other@example.org', id: 'x' }),
      xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: me, id: 'mine' }),
    );
    expect(ownStanzaId(el, me)).toBe('mine');
    expect(ownStanzaId(inner(), me)).toBeNull();
  });
});
