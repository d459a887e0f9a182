import { describe, expect, it } from 'vitest';
import { bareJid, isValidJid, parseJid, resourceOf } from './jid';

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
});
