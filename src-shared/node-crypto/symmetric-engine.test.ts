import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hexToBytes, bytesToHex } from '@noble/hashes/utils.js';
import { nativeV3Symmetric } from './symmetric-engine';
import { pureSymmetric } from '../otr/v3/symmetric';

const native = nativeV3Symmetric();
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });

describe('native OTRv3 symmetric engine', () => {
  it('agrees with the pure engine on hashes, HMACs and AES-CTR for arbitrary inputs', () => {
    fc.assert(
      fc.property(bytes(0, 300), bytes(1, 64), bytes(16, 16), bytes(16, 16), (data, key, aesKey, block) => {
        expect(bytesToHex(native.sha1(data))).toBe(bytesToHex(pureSymmetric.sha1(data)));
        expect(bytesToHex(native.sha256(data))).toBe(bytesToHex(pureSymmetric.sha256(data)));
        expect(bytesToHex(native.hmacSha256(key, data))).toBe(bytesToHex(pureSymmetric.hmacSha256(key, data)));
        const n = native.hmacSha1(key);
        const p = pureSymmetric.hmacSha1(key);
        // a keyed MAC is reused across messages: the second use must not depend on the first
        expect(bytesToHex(n.mac(data))).toBe(bytesToHex(p.mac(data)));
        expect(bytesToHex(n.mac(block))).toBe(bytesToHex(p.mac(block)));
        expect(bytesToHex(native.aes128Ctr(aesKey, block, data))).toBe(bytesToHex(pureSymmetric.aes128Ctr(aesKey, block, data)));
      }),
      { numRuns: 200 },
    );
  });

  it('keyed data-message AES-CTR agrees with the pure engine over counter runs, jumps and long messages', () => {
    const step = fc.record({ jump: fc.integer({ min: -3, max: 40 }), len: fc.integer({ min: 0, max: 1200 }) });
    fc.assert(
      fc.property(bytes(16, 16), fc.bigInt({ min: 0n, max: (1n << 64n) - 50n }), fc.array(step, { minLength: 1, maxLength: 30 }), (key, start, steps) => {
        const n = native.dataCtr(key);
        const p = pureSymmetric.dataCtr(key);
        key.fill(0); // the caller wipes its copy: the keyed cipher keeps working
        let ctr = start;
        for (const { jump, len } of steps) {
          ctr = ctr + BigInt(jump) < 0n ? 0n : ctr + BigInt(jump);
          if (ctr >= 1n << 64n) ctr = (1n << 64n) - 1n;
          const top = hexToBytes(ctr.toString(16).padStart(16, '0'));
          const data = new Uint8Array(len).map((_, i) => i * 7);
          const a = new Uint8Array(len + 3);
          const b = new Uint8Array(len + 3);
          n.crypt(top, data, a, 3);
          p.crypt(top, data, b, 3);
          expect(bytesToHex(a)).toBe(bytesToHex(b));
        }
        n.destroy();
        p.destroy();
        // a destroyed cipher refuses to run rather than encrypt under a wiped key
        expect(() => n.crypt(new Uint8Array(8), new Uint8Array(1), new Uint8Array(1), 0)).toThrow();
      }),
      { numRuns: 100 },
    );
  });

  it('keyed HMAC-SHA1 agrees with the pure engine for data longer than its scratch space', () => {
    fc.assert(
      fc.property(bytes(1, 64), fc.array(bytes(0, 2000), { minLength: 1, maxLength: 5 }), (key, datas) => {
        const n = native.hmacSha1(key);
        const p = pureSymmetric.hmacSha1(key);
        for (const d of datas) expect(bytesToHex(n.mac(d))).toBe(bytesToHex(p.mac(d)));
      }),
      { numRuns: 50 },
    );
  });

  it('matches published vectors (RFC 2202 HMAC-SHA1 case 2, NIST SP 800-38A F.5.1 AES-128-CTR)', () => {
    const mac = native.hmacSha1(new TextEncoder().encode('Jefe'));
    expect(bytesToHex(mac.mac(new TextEncoder().encode('what do ya want for nothing?')))).toBe('effcdf6ae5eb2fa2d27416d5f184df9c259a7c79');
    const ct = native.aes128Ctr(
      hexToBytes('2b7e151628aed2a6abf7158809cf4f3c'),
      hexToBytes('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff'),
      hexToBytes('6bc1bee22e409f96e93d7e117393172a'),
    );
    expect(bytesToHex(ct)).toBe('874d6191b620e3261bef6864990db6ce');
  });

  it('returns plain Uint8Arrays whose slices are copies, and forgets the key on destroy', () => {
    const h = native.sha1(new Uint8Array(3));
    expect(Object.getPrototypeOf(h)).toBe(Uint8Array.prototype);
    const key = new Uint8Array(20).fill(7);
    const m = native.hmacSha1(key);
    const before = bytesToHex(m.mac(new Uint8Array(5)));
    key.fill(0); // the caller wipes its copy: the keyed MAC keeps working
    expect(bytesToHex(m.mac(new Uint8Array(5)))).toBe(before);
    m.destroy();
    expect(bytesToHex(m.mac(new Uint8Array(5)))).not.toBe(before);
  });
});
