import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OtrError } from '../otr/common/errors';
import { pureBase64 } from '../otr/common/base64';
import { nativeBase64 } from './base64-codec';

/** what a decoder does with `s`: the bytes, or the OtrError code */
function outcome(decode: (s: string) => Uint8Array, s: string): string {
  try {
    return `ok ${Array.from(decode(s)).join(',')}`;
  } catch (e) {
    if (!(e instanceof OtrError)) throw e;
    return `err ${e.code}`;
  }
}

describe('native base64 codec (Buffer) for ?OTR: messages', () => {
  it('encodes as the pure codec does', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        expect(nativeBase64.encode(b)).toBe(pureBase64.encode(b));
      }),
    );
  });

  it('is exactly as strict as the pure decoder (same bytes or the same error)', () => {
    const alphabet = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ .!\n'.split(''));
    const texts = fc.oneof(
      fc.array(alphabet, { maxLength: 24 }).map((cs) => cs.join('')),
      fc.uint8Array({ maxLength: 40 }).map((b) => pureBase64.encode(b)),
      fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => pureBase64.encode(b).replace(/=+$/, '')),
      fc.string({ maxLength: 20 }),
    );
    fc.assert(
      fc.property(texts, (s) => {
        expect(outcome(nativeBase64.decode, s)).toBe(outcome(pureBase64.decode, s));
      }),
      { numRuns: 2000 },
    );
    for (const bad of ['Zg=', 'Z', 'Zm9v!', 'Zh==', 'Zm9=v', 'Zg===', 'Zm-v', 'Zm_v', 'Zm 9v']) {
      expect(() => nativeBase64.decode(bad)).toThrow(OtrError);
    }
    expect(Array.from(nativeBase64.decode('Zg'))).toEqual([0x66]);
  });
});
