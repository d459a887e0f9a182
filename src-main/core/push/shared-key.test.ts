import { describe, expect, it } from 'vitest';
import { shake256 } from '@noble/hashes/sha3.js';
import { deriveSharedKey, knockKeyOf, PUSH_KEY_USE } from './shared-key';
import { PushHandshakeError } from './errors';

const key64 = Uint8Array.from({ length: 64 }, (_, i) => i);
const key32 = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);

describe('shared_key from the extra symmetric key', () => {
  it('OTRv4: KDF(index || context || extra_sym_key, 64) with KDF = SHAKE-256("OTRv4" || …) (OTRv4 §"Extra Symmetric Key")', () => {
    const got = deriveSharedKey({ version: 4, extraSymKey: key64, tlvIndex: 1, context: PUSH_KEY_USE });
    // written out from the spec, byte by byte: "OTRv4", index 0x01, context 00 00 01 A4, key
    const expected = shake256(Uint8Array.of(0x4f, 0x54, 0x52, 0x76, 0x34, 0x01, 0x00, 0x00, 0x01, 0xa4, ...key64), { dkLen: 64 });
    expect(Buffer.from(got).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
    expect(got).toHaveLength(64);
  });

  it('OTRv4: another TLV index or extra key gives another shared_key', () => {
    const a = deriveSharedKey({ version: 4, extraSymKey: key64, tlvIndex: 1, context: PUSH_KEY_USE });
    const b = deriveSharedKey({ version: 4, extraSymKey: key64, tlvIndex: 2, context: PUSH_KEY_USE });
    const c = deriveSharedKey({ version: 4, extraSymKey: key64.map((x) => x ^ 1), tlvIndex: 1, context: PUSH_KEY_USE });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
  });

  it('OTRv3: the TLV 8 key itself, when its use indicator is the push handshake (OTRv3 §"Extra symmetric key")', () => {
    const got = deriveSharedKey({ version: 3, extraSymKey: key32, tlvIndex: 0, context: PUSH_KEY_USE });
    expect(Buffer.from(got).equals(Buffer.from(key32))).toBe(true);
    expect(got).not.toBe(key32); // a copy: the caller may wipe its own
  });

  it('refuses keys of the wrong length, another use indicator, a bad index', () => {
    const bad = [
      { version: 4 as const, extraSymKey: key32, tlvIndex: 0, context: PUSH_KEY_USE },
      { version: 3 as const, extraSymKey: key64, tlvIndex: 0, context: PUSH_KEY_USE },
      { version: 4 as const, extraSymKey: key64, tlvIndex: 0, context: Uint8Array.of(0, 0, 0, 0x42) },
      { version: 3 as const, extraSymKey: key32, tlvIndex: 0, context: Uint8Array.of(0, 0, 1) },
      { version: 4 as const, extraSymKey: key64, tlvIndex: 256, context: PUSH_KEY_USE },
      { version: 4 as const, extraSymKey: key64, tlvIndex: -1, context: PUSH_KEY_USE },
    ];
    for (const input of bad) expect(() => deriveSharedKey(input)).toThrow(PushHandshakeError);
  });

  it('the knock key is the first 32 bytes', () => {
    const k = deriveSharedKey({ version: 4, extraSymKey: key64, tlvIndex: 0, context: PUSH_KEY_USE });
    expect(Buffer.from(knockKeyOf(k)).equals(Buffer.from(k.subarray(0, 32)))).toBe(true);
    expect(() => knockKeyOf(new Uint8Array(16))).toThrow(PushHandshakeError);
  });
});
