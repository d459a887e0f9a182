// Known answers for the JavaScript SHA-1 and keyed HMAC-SHA1 of hmac-sha1.ts (RFC 3174 §7.3 test
// inputs, RFC 2202 §3 HMAC-SHA1 test cases) and a property test against node:crypto (OpenSSL) on
// random inputs of every length 0..300, with keys shorter than, equal to and longer than a block.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { HmacSha1, sha1 } from './hmac-sha1';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const repeat = (b: number, n: number): Uint8Array => new Uint8Array(n).fill(b);

describe('SHA-1 (RFC 3174)', () => {
  it('gives the digests of the RFC 3174 §7.3 test inputs', () => {
    expect(bytesToHex(sha1(ascii('abc')))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(bytesToHex(sha1(ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe('84983e441c3bd26ebaae4aa1f95129e5e54670f1');
    expect(bytesToHex(sha1(repeat(0x61, 1_000_000)))).toBe('34aa973cd4c4daa4f61eeb2bdbad27316534016f');
    expect(bytesToHex(sha1(ascii('0123456701234567012345670123456701234567012345670123456701234567'.repeat(10))))).toBe(
      'dea356a2cddd90c7a7ecedc5ebb563934f460452',
    );
  });

  it('gives the digest of the empty input and of inputs at the padding boundaries', () => {
    expect(bytesToHex(sha1(new Uint8Array(0)))).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
    for (const n of [55, 56, 63, 64, 65, 119, 120, 128]) {
      const d = randomBytes(n);
      expect(bytesToHex(sha1(d)), `length ${n}`).toBe(createHash('sha1').update(d).digest('hex'));
    }
  });
});

describe('HMAC-SHA1 (RFC 2202 §3)', () => {
  const cases: Array<[Uint8Array, Uint8Array, string]> = [
    [repeat(0x0b, 20), ascii('Hi There'), 'b617318655057264e28bc0b6fb378c8ef146be00'],
    [ascii('Jefe'), ascii('what do ya want for nothing?'), 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79'],
    [repeat(0xaa, 20), repeat(0xdd, 50), '125d7342b9ac11cd91a39af48aa17b4f63f175d3'],
    [hexToBytes('0102030405060708090a0b0c0d0e0f10111213141516171819'), repeat(0xcd, 50), '4c9007f4026250c6bc8414f9bf50c86c2d7235da'],
    [repeat(0x0c, 20), ascii('Test With Truncation'), '4c1a03424b55e07fe7f27be1d58bb9324a9a5a04'],
    [repeat(0xaa, 80), ascii('Test Using Larger Than Block-Size Key - Hash Key First'), 'aa4ae5e15272d00e95705637ce8a3b55ed402112'],
    [repeat(0xaa, 80), ascii('Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data'), 'e8e99d0f45237d786d6bbaa7965c7808bbff1a91'],
  ];
  it('gives the MACs of the seven test cases, by mac() and by macInto() at an offset', () => {
    for (const [key, data, want] of cases) {
      const h = new HmacSha1(key);
      expect(bytesToHex(h.mac(data))).toBe(want);
      const out = new Uint8Array(30).fill(0xee);
      h.macInto(data, out, 7);
      expect(bytesToHex(out.subarray(7, 27))).toBe(want);
      expect(out[6]).toBe(0xee);
      expect(out[27]).toBe(0xee);
    }
  });

  it('equals node:crypto on random data of every length 0..300 and keys of lengths 0..100', () => {
    const keys = [0, 1, 16, 20, 63, 64, 65, 100].map((n) => randomBytes(n));
    const macs = keys.map((k) => new HmacSha1(k));
    for (let n = 0; n <= 300; n++) {
      const data = randomBytes(n);
      keys.forEach((k, i) => {
        expect(bytesToHex(macs[i]!.mac(data)), `key ${k.length}, data ${n}`).toBe(createHmac('sha1', k).update(data).digest('hex'));
      });
      expect(bytesToHex(sha1(data)), `sha1 ${n}`).toBe(createHash('sha1').update(data).digest('hex'));
    }
  });

  it('equals node:crypto on data that shares leading blocks with the data before (the kept midstates)', () => {
    const key = randomBytes(20);
    const h = new HmacSha1(key);
    const base = randomBytes(400);
    for (let round = 0; round < 600; round++) {
      // a random length, and sometimes one byte changed at a random place (often inside the kept blocks)
      const r = randomBytes(4);
      const data = Buffer.from(base.subarray(0, (r[0]! | (r[1]! << 8)) % 401));
      if (r[2]! % 3 !== 0 && data.length > 0) data[(r[3]! * 7 + round) % data.length]! ^= 1 + (r[2]! % 255);
      if (round % 5 === 0) base[(r[3]! + round) % 400]! ^= 0x80; // the base drifts too
      expect(bytesToHex(h.mac(data)), `round ${round}, length ${data.length}`).toBe(createHmac('sha1', key).update(data).digest('hex'));
    }
  });

  it('keeps its key when the caller wipes its copy, interleaves keys, and forgets the key on destroy', () => {
    const key = new Uint8Array(20).fill(7);
    const other = new HmacSha1(new Uint8Array(20).fill(9));
    const h = new HmacSha1(key);
    const data = ascii('data message');
    const want = createHmac('sha1', Buffer.from(key)).update(data).digest('hex');
    key.fill(0);
    expect(bytesToHex(h.mac(data))).toBe(want);
    other.mac(data); // the shared schedule and working state carry nothing from one MAC to the next
    expect(bytesToHex(h.mac(data))).toBe(want);
    h.destroy();
    expect(bytesToHex(h.mac(data))).not.toBe(want);
  });
});
