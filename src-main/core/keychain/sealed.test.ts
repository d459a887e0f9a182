// Sealing with the data key (sealed.ts): what is sealed opens only with the same key and name,
// and any change is refused.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SealError, seal, unseal } from './sealed';

const key = randomBytes(32);

describe('sealed values', () => {
  it('open with the same key and name, and are not the plaintext', () => {
    const s = seal(key, 'secret {"x":1}', 'otr-identity:a');
    expect(s.startsWith('v1.')).toBe(true);
    expect(s).not.toContain('secret');
    expect(unseal(key, s, 'otr-identity:a')).toBe('secret {"x":1}');
    // a fresh IV each time
    expect(seal(key, 'secret {"x":1}', 'otr-identity:a')).not.toBe(s);
  });

  it('refuse another name, another key, a changed byte, a cut value or another version', () => {
    const s = seal(key, 'secret', 'otr-identity:a');
    expect(() => unseal(key, s, 'otr-identity:b')).toThrow(SealError);
    expect(() => unseal(randomBytes(32), s, 'otr-identity:a')).toThrow(SealError);
    const raw = Buffer.from(s.slice(3), 'base64');
    for (const i of [0, 12, raw.length - 1]) {
      const changed = Buffer.from(raw);
      changed[i]! ^= 1;
      expect(() => unseal(key, `v1.${changed.toString('base64')}`, 'otr-identity:a')).toThrow(SealError);
    }
    expect(() => unseal(key, `v1.${raw.subarray(0, 20).toString('base64')}`, 'otr-identity:a')).toThrow(SealError);
    expect(() => unseal(key, `v2.${raw.toString('base64')}`, 'otr-identity:a')).toThrow(SealError);
    expect(() => seal(randomBytes(16), 'x', 'n')).toThrow(SealError);
  });
});
