import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { KnockSealError, knockAssociatedData, openKnock, sealKnock } from './seal';
import { b64urlDecode, b64urlEncode } from './b64url';
import type { KnockEnvelope, KnockSecret, PushAddress } from './wire';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const vector = JSON.parse(readFileSync(join(import.meta.dirname, 'vectors/knock-seal.json'), 'utf8')) as {
  shared_key_hex: string;
  nonce_hex: string;
  to: PushAddress;
  from: PushAddress;
  secret: KnockSecret;
  associated_data_hex: string;
  envelope: KnockEnvelope;
};

describe('XChaCha20-Poly1305 primitive', () => {
  it('matches draft-irtf-cfrg-xchacha-03 A.3.1', () => {
    const pt = new TextEncoder().encode("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
    const ct = xchacha20poly1305(
      hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f'),
      hex('404142434445464748494a4b4c4d4e4f5051525354555657'),
      hex('50515253c0c1c2c3c4c5c6c7'),
    ).encrypt(pt);
    expect(Buffer.from(ct).toString('hex')).toBe(
      'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e' +
        'c0875924c1c7987947deafd8780acf49',
    );
  });
});

describe('knock sealing', () => {
  const key = hex(vector.shared_key_hex);

  it('reproduces the committed vector and opens it', () => {
    expect(Buffer.from(knockAssociatedData(vector.secret.id, vector.to, vector.from)).toString('hex')).toBe(vector.associated_data_hex);
    const env = sealKnock({ sharedKey: key, to: vector.to, from: vector.from, secret: vector.secret, random: () => hex(vector.nonce_hex) });
    expect(env).toEqual(vector.envelope);
    expect(openKnock(key, vector.envelope)).toEqual(vector.secret);
  });

  it('fails to open when any public field or the blob is changed, or with another key', () => {
    const e = vector.envelope;
    const tampered: KnockEnvelope[] = [
      { ...e, to: { ...e.to, push_name: 'mallory' } },
      { ...e, to: { ...e.to, endpoint: 'https://evil.example/api/v1/' } },
      { ...e, from: { ...e.from, push_name: 'eve' } },
      { ...e, from: { ...e.from, endpoint: 'https://push.example.net/api/v1/' } },
      { ...e, id: 'AAECAwQFBgcICQoLDA0ODx' },
    ];
    const blob = b64urlDecode(e.sealed);
    for (let i = 0; i < blob.length; i += 7) {
      const b = blob.slice();
      b[i]! ^= 1;
      tampered.push({ ...e, sealed: b64urlEncode(b) });
    }
    for (const t of tampered) expect(() => openKnock(key, t)).toThrow(KnockSealError);
    const other = key.slice();
    other[0]! ^= 0x80;
    expect(() => openKnock(other, e)).toThrowError(expect.objectContaining({ code: 'unreadable' }));
  });

  it('refuses bad keys, short blobs and a secret whose id differs from the envelope id', () => {
    expect(() => openKnock(new Uint8Array(31), vector.envelope)).toThrowError(expect.objectContaining({ code: 'invalid-key' }));
    expect(() => openKnock(key, { ...vector.envelope, sealed: 'AAAA' })).toThrowError(expect.objectContaining({ code: 'unreadable' }));
    expect(() =>
      sealKnock({ sharedKey: key, to: vector.to, from: vector.from, secret: { ...vector.secret, id: 'short' }, random: () => hex(vector.nonce_hex) }),
    ).toThrow(KnockSealError);
    expect(() => sealKnock({ sharedKey: key, to: vector.to, from: vector.from, secret: vector.secret, random: () => new Uint8Array(12) })).toThrow(
      KnockSealError,
    );
    expect(() =>
      sealKnock({
        sharedKey: key,
        to: { endpoint: 'ftp://x/', push_name: 'a' },
        from: vector.from,
        secret: vector.secret,
        random: () => hex(vector.nonce_hex),
      }),
    ).toThrow(KnockSealError);
  });

  it('round-trips arbitrary secrets (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.string({ minLength: 1, maxLength: 200 }),
        fc.string({ minLength: 1, maxLength: 200 }),
        (k, account, buddy) => {
          const secret = { ...vector.secret, account_name: account, buddy_name: buddy };
          const env = sealKnock({ sharedKey: k, to: vector.to, from: vector.from, secret, random: (n) => new Uint8Array(n).fill(7) });
          expect(openKnock(k, env)).toEqual(secret);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('base64url', () => {
  it('refuses non-canonical and non-alphabet input', () => {
    expect(b64urlEncode(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
    expect(() => b64urlDecode('-_9')).toThrow();
    expect(() => b64urlDecode('ab+/')).toThrow();
    expect(() => b64urlDecode('YQ==')).toThrow();
  });
});
