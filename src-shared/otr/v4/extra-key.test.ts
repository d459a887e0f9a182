// otrv4.md §"Extra Symmetric Key", the worked example: TLVs 1, 7 (0x0042), 2, 7 (0x104A), 3,
// 7 (0x0001) give KDF(0x01 ‖ 0x0042 ‖ k1), KDF(0x03 ‖ 0x104A ‖ k2), KDF(0x05 ‖ 0x0001 ‖ k3), with
// KDF(x, 64) = SHAKE-256("OTRv4" ‖ x, 64) and the context as its 4 bytes.
import { shake256 } from '@noble/hashes/sha3.js';
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../common/bytes';
import { V4TlvType } from '../common/tlv';
import { extraKeysOfTlvs, extraKeyTlv } from './extra-key';
import { fromHex } from './keys';

const OTRV4 = new TextEncoder().encode('OTRv4');
const kdf = (...parts: Uint8Array[]) => shake256(concatBytes(OTRV4, ...parts), { dkLen: 64 });
const hex = (s: string) => fromHex(s.replace(/\s+/g, ''));
const k1 = kdf(hex('17 ff'), new Uint8Array(64).fill(0x5a)); // extra_sym_key_1 of some chain key

describe('extra symmetric keys of a TLV list', () => {
  it('follows the worked example of the spec', () => {
    const tlv = (type: number, value = new Uint8Array(0)) => ({ type, value });
    const tlvs = [tlv(1), extraKeyTlv(0x0042), tlv(2), extraKeyTlv(0x104a, hex('abcd')), tlv(3), extraKeyTlv(0x0001)];
    const k2 = kdf(hex('01 00000042'), k1);
    const k3 = kdf(hex('03 0000104a'), k2);
    const k4 = kdf(hex('05 00000001'), k3);
    const keys = extraKeysOfTlvs(k1, tlvs);
    expect(keys.map((k) => [k.index, k.use, k.key])).toEqual([
      [1, 0x42, k2],
      [3, 0x104a, k3],
      [5, 0x0001, k4],
    ]);
    expect(keys[1]!.useData).toEqual(hex('abcd'));
    // the message's own key is never handed out, and is left to its owner
    expect(keys.some((k) => k.key.every((b, i) => b === k1[i]))).toBe(false);
    expect(k1.some((b) => b !== 0)).toBe(true);
  });

  it('a TLV 7 without context uses 4 zero bytes; a single TLV 7 at index 0', () => {
    expect(extraKeysOfTlvs(k1, [{ type: V4TlvType.extraSymmetricKey, value: hex('01') }])).toEqual([
      { index: 0, use: 0, useData: new Uint8Array(0), key: kdf(hex('00 00000000'), k1) },
    ]);
    expect(extraKeysOfTlvs(k1, [extraKeyTlv(0x01a4, hex('70757368'))])[0]!.key).toEqual(kdf(hex('00 000001a4'), k1));
  });

  it('derives at most 10 keys per message', () => {
    const many = Array.from({ length: 12 }, (_, i) => extraKeyTlv(i));
    expect(extraKeysOfTlvs(k1, many).map((k) => k.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
