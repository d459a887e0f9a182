import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import xml from '@xmpp/xml';
import { advertisesPreApproval, aggregate, NS_PRE_APPROVAL, parsePresence, subscriptionRequest, subscriptionStanza } from './presence';

describe('presence (RFC 6121 §3, §4)', () => {
  it('reads availability with show and status', () => {
    expect(parsePresence(xml('presence', { from: 'a@b/r' }, xml('show', {}, 'away'), xml('status', {}, 'lunch')))).toEqual({
      kind: 'available',
      peer: 'a@b',
      resource: 'r',
      show: 'away',
      status: 'lunch',
    });
    expect(parsePresence(xml('presence', { from: 'a@b/r' }))).toMatchObject({ kind: 'available', show: 'online', status: null });
    expect(parsePresence(xml('presence', { from: 'a@b/r' }, xml('show', {}, 'bogus')))).toMatchObject({ show: 'online' });
    expect(parsePresence(xml('presence', { from: 'a@b/r' }, xml('status', {}, 's'.repeat(5000))))).toMatchObject({ status: 's'.repeat(1024) });
  });

  it('reads unavailability (errors count as unavailable) and the four subscription types', () => {
    expect(parsePresence(xml('presence', { from: 'a@b/r', type: 'unavailable' }))).toEqual({ kind: 'unavailable', peer: 'a@b', resource: 'r' });
    expect(parsePresence(xml('presence', { from: 'a@b', type: 'error' }))).toEqual({ kind: 'unavailable', peer: 'a@b', resource: '' });
    for (const t of ['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed'] as const) {
      expect(parsePresence(xml('presence', { from: 'A@B/x', type: t }))).toEqual({ kind: t, peer: 'a@b' });
      expect(subscriptionStanza(t, 'a@b').attrs).toEqual({ to: 'a@b', type: t });
    }
  });

  it('ignores probes, unknown types, servers and malformed senders', () => {
    expect(parsePresence(xml('presence', { from: 'a@b', type: 'probe' }))).toBeNull();
    expect(parsePresence(xml('presence', { from: 'a@b', type: 'weird' }))).toBeNull();
    expect(parsePresence(xml('presence', { from: 'example.org' }))).toBeNull();
    expect(parsePresence(xml('presence', {}))).toBeNull();
    expect(parsePresence(xml('presence', { from: '@b' }))).toBeNull();
  });

  it('aggregates resources: the most available wins', () => {
    expect(aggregate([])).toEqual({ show: 'offline', status: null });
    expect(
      aggregate([
        { show: 'dnd', status: 'busy' },
        { show: 'chat', status: 'free' },
        { show: 'away', status: null },
      ]),
    ).toEqual({ show: 'chat', status: 'free' });
  });

  it('never throws', () => {
    const attr = fc.option(fc.string({ maxLength: 30 }), { nil: undefined });
    fc.assert(
      fc.property(attr, attr, attr, attr, (from, type, show, status) => {
        parsePresence(xml('presence', { from, type }, show !== undefined && xml('show', {}, show), status !== undefined && xml('status', {}, status)));
      }),
      { numRuns: 500 },
    );
  });
});

describe('subscriptionRequest (RFC 6121 §3.1.1, §3.4)', () => {
  it('pre-approves first where the server supports it and they do not see us yet', () => {
    expect(subscriptionRequest('b@x', { preApproval: true, theySeeUs: false }).map((e) => e.attrs.type)).toEqual(['subscribed', 'subscribe']);
    expect(subscriptionRequest('b@x', { preApproval: true, theySeeUs: true }).map((e) => e.attrs.type)).toEqual(['subscribe']);
    expect(subscriptionRequest('b@x', { preApproval: false, theySeeUs: false }).map((e) => e.attrs.type)).toEqual(['subscribe']);
  });

  it('reads the pre-approval stream feature', () => {
    expect(advertisesPreApproval(xml('stream:features', {}, xml('sub', { xmlns: NS_PRE_APPROVAL })))).toBe(true);
    expect(advertisesPreApproval(xml('stream:features', {}, xml('bind', { xmlns: 'urn:ietf:params:xml:ns:xmpp-bind' })))).toBe(false);
  });
});
