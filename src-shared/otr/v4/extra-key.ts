// The keys of the TLV 7s of one data message (otrv4.md §"Extra Symmetric Key").
//
// The message's extra symmetric key is `extra_sym_key_1 = KDF(usage_extra_symm_key ‖ 0xFF ‖
// chain_key, 64)` (ratchet/keys.ts). Each TLV 7 then gets the next key of a chain:
//
//   extra_sym_key_{n+1} = KDF(index ‖ context ‖ extra_sym_key_n, 64)
//
// where `index` is the TLV's position (from 0) in the message's TLV list, as a BYTE taking the
// usage-ID slot of KDF, and `context` the first 4 bytes of the TLV's value (its "use"; 4 zero
// bytes when the TLV is shorter). The spec's worked example: TLVs 1, 7 (0x0042), 2, 7 (0x104A),
// 3, 7 (0x0001) give KDF(0x01 ‖ 0x0042 ‖ k1), KDF(0x03 ‖ 0x104A ‖ k2), KDF(0x05 ‖ 0x0001 ‖ k3).
// So the first TLV 7 never gets extra_sym_key_1 itself. Both sides compute the same list: the
// sender from the TLVs it sends, the receiver from those it received. "Only 10 extra symmetric
// keys can be derived": TLV 7s after the tenth in one message get no key. An index that does not
// fit a BYTE (a TLV list of more than 256 entries) gets no key either.
import type { Tlv } from '../common/tlv';
import { V4TlvType } from '../common/tlv';
import { deriveExtraSubkey, MAX_EXTRA_KEYS } from './ratchet/keys';

export interface ExtraKey {
  /** the TLV's position in the message's TLV list, from 0 */
  index: number;
  /** the TLV's 4-byte context (use), big-endian as a number */
  use: number;
  /** what followed the context in the TLV */
  useData: Uint8Array;
  /** the derived 64-byte key */
  key: Uint8Array;
}

/**
 * The key of every TLV 7 in `tlvs`, in order, from the message's extra symmetric key
 * (`extra_sym_key_1`, 64 bytes). Intermediate keys are wiped; `messageExtraKey` is left as is.
 */
export function extraKeysOfTlvs(messageExtraKey: Uint8Array, tlvs: readonly Tlv[]): ExtraKey[] {
  const out: ExtraKey[] = [];
  let previous = messageExtraKey;
  for (let index = 0; index < tlvs.length && index <= 0xff && out.length < MAX_EXTRA_KEYS; index++) {
    const tlv = tlvs[index]!;
    if (tlv.type !== V4TlvType.extraSymmetricKey) continue;
    const context = tlv.value.length >= 4 ? tlv.value.subarray(0, 4) : new Uint8Array(4);
    const key = deriveExtraSubkey(previous, index, context);
    // §"Extra Symmetric Key": "After each extra_sym_key_n is used to derive the next one, it
    // should be safely deleted" — the caller owns extra_sym_key_1, and each derived key is handed out
    out.push({
      index,
      use: new DataView(context.buffer, context.byteOffset, 4).getUint32(0),
      useData: tlv.value.length > 4 ? tlv.value.slice(4) : new Uint8Array(0),
      key: key.slice(),
    });
    if (previous !== messageExtraKey) previous.fill(0);
    previous = key;
  }
  if (previous !== messageExtraKey) previous.fill(0);
  return out;
}

/** the TLV 7 for a use and its data (§"TLV Record Types": type 7, "4-byte indication of use") */
export function extraKeyTlv(use: number, useData: Uint8Array = new Uint8Array(0)): Tlv {
  if (!Number.isInteger(use) || use < 0 || use > 0xffffffff) throw new RangeError('use must be a 32-bit unsigned integer');
  const value = new Uint8Array(4 + useData.length);
  new DataView(value.buffer).setUint32(0, use);
  value.set(useData, 4);
  return { type: V4TlvType.extraSymmetricKey, value };
}
