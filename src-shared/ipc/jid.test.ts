import { describe, expect, it } from 'vitest';
import { bareJid, bareKey, isValidJid, parseJid, resourceOf } from './jid';

describe('jid (RFC 7622 §3)', () => {
  it('splits local, domain and resource', () => {
    expect(parseJid('Alice@Example.org/phone/1')).toEqual({ local: 'Alice', domain: 'example.org', resource: 'phone/1' });
    expect(bareJid('Alice@Example.org/x')).toBe('alice@example.org');
    expect(bareJid('example.org')).toBe('example.org');
    expect(resourceOf('a@b/r@s')).toBe('r@s');
  });

  it.each(['', '@', 'a@', '@b', '/r', 'a@b/', 'a@b@c', 'a b@c', 'a@b c', '\u0000@x', 'x'.repeat(1024) + '@b', 'a@' + 'd'.repeat(1024), 'a@.b', "o'k@b"])(
    'rejects %j',
    (v) => {
      expect(isValidJid(v)).toBe(false);
      expect(bareJid(v)).toBeNull();
    },
  );

  it('rejects non-strings without throwing', () => {
    expect(parseJid(undefined as unknown as string)).toBeNull();
    expect(bareJid(undefined)).toBeNull();
  });

  it('bareKey: the bare JID of a well-formed address, and never null for anything else', () => {
    expect(bareKey('Alice@Example.org/phone')).toBe('alice@example.org');
    expect(bareKey('alice@example.org.')).toBe('alice@example.org');
    // refused by bareJid (a space in the localpart): still a stable key, lower case, no resource
    expect(bareKey('Al ice@Example.org/x')).toBe('al ice@example.org');
  });
});
