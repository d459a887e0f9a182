// shared_key of a push handshake, derived from the OTR session's extra symmetric key (docs/architecture.md §7;
// ChatSecure Push Protocol v3 draft, "Initial Exchange over OTR TLV" step 4). One primitive, two
// spec formulas. The OTR library (src-shared/otr) owns the extra symmetric key itself; this file
// only takes what the OTR layer hands over for the data message that carried the handshake:
//
// - OTRv4 §"Extra Symmetric Key": the message carries a type 7 TLV whose value starts with a
//   4-byte context. With `index` the TLV's position in the message's TLV list (from 0) and
//   `extra_sym_key` that message's extra symmetric key,
//       symkey = KDF(index || context || extra_sym_key, 64)
//   where KDF(usage_ID || values, size) = SHAKE-256("OTRv4" || usage_ID || values, size)
//   (OTRv4 §"Key Derivation Functions"); the index is one byte, as in the spec's example
//   (`KDF(0x01 || 0x0042 || extra_sym_key_1, 64)`).
// - OTRv3 §"Extra symmetric key": the message carries a type 8 TLV whose value begins with a
//   4-byte use indicator; the key is h2(0xFF) of the message's secbytes (256 bits), computed by
//   both sides. OTRv3 defines no further derivation, so shared_key is that key itself; the use
//   indicator must be ours (PUSH_KEY_USE), or the key was meant for something else.
//
// The use indicator / context is 0x000001A4, the push handshake's TLV type (ChatSecure's
// OTRPushTLVHandler), so a key derived for the push handshake never equals one derived for
// another use of the same extra symmetric key.
//
// The knock key (seal.ts: XChaCha20-Poly1305, 32 bytes) is the first 32 bytes of shared_key
// (SHAKE-256's output prefix is itself a SHAKE-256 output of that length).
import { shake256 } from '@noble/hashes/sha3.js';
import { SHARED_KEY_BYTES } from '../../../src-shared/push/seal';
import { PushHandshakeError } from './errors';

/** the 4-byte context (v4 TLV 7) / use indicator (v3 TLV 8) of the push handshake: 0x000001A4 */
export const PUSH_KEY_USE = Uint8Array.of(0x00, 0x00, 0x01, 0xa4);
/** OTRv4 extra symmetric keys are 64 bytes, OTRv3 ones 32 (OTRv4 §"Extra Symmetric Key"; OTRv3 h2) */
const EXTRA_KEY_BYTES = { 3: 32, 4: 64 } as const;
/** the index is one byte in the spec's example; a data message never has more TLVs than that */
const MAX_V4_INDEX = 255;

/** What the OTR layer hands over for the data message that carried TLV 0x01A4. */
export interface ExtraSymmetricKeyInput {
  version: 3 | 4;
  /** that message's extra symmetric key (v4: 64 bytes; v3: 32 bytes) */
  extraSymKey: Uint8Array;
  /** v4: the position of the type 7 TLV in the message's TLV list (from 0); v3: unused */
  tlvIndex: number;
  /** v4: the 4-byte context of the type 7 TLV; v3: the 4-byte use indicator of the type 8 TLV */
  context: Uint8Array;
  /**
   * v4: the OTR library already applied §"Extra Symmetric Key"'s per-TLV derivation
   * (src-shared/otr/v4/extra-key.ts hands out symkey = KDF(index || context || extra_sym_key, 64)
   * for each TLV 7, never extra_sym_key_1 itself): `extraSymKey` is that symkey, used as is, so
   * the spec's formula is applied exactly once (otr/push-link.ts)
   */
  derived?: boolean;
}

/** The interface the handshake codes against (the lead wires it to the OTR session hook). */
export type DeriveSharedKey = (input: ExtraSymmetricKeyInput) => Uint8Array;

const equalBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

export const deriveSharedKey: DeriveSharedKey = (input) => {
  const { version, extraSymKey, tlvIndex, context } = input;
  if (version !== 3 && version !== 4) throw new PushHandshakeError('invalid-extra-symmetric-key', 'unknown OTR version');
  if (!(extraSymKey instanceof Uint8Array) || extraSymKey.length !== EXTRA_KEY_BYTES[version]) {
    throw new PushHandshakeError('invalid-extra-symmetric-key', `an OTRv${version} extra symmetric key is ${EXTRA_KEY_BYTES[version]} bytes`);
  }
  if (!(context instanceof Uint8Array) || !equalBytes(context, PUSH_KEY_USE)) {
    throw new PushHandshakeError('invalid-extra-symmetric-key', 'the key was announced for another use than the push handshake');
  }
  if (version === 3 || input.derived === true) return extraSymKey.slice();
  if (!Number.isInteger(tlvIndex) || tlvIndex < 0 || tlvIndex > MAX_V4_INDEX) {
    throw new PushHandshakeError('invalid-extra-symmetric-key', 'the type 7 TLV index must be one byte');
  }
  const input4 = new Uint8Array(5 + 1 + 4 + extraSymKey.length);
  input4.set(new TextEncoder().encode('OTRv4'), 0);
  input4[5] = tlvIndex;
  input4.set(context, 6);
  input4.set(extraSymKey, 10);
  return shake256(input4, { dkLen: 64 });
};

/** The 32-byte XChaCha20-Poly1305 key that seals knocks under this shared_key. */
export function knockKeyOf(sharedKey: Uint8Array): Uint8Array {
  if (sharedKey.length !== 32 && sharedKey.length !== 64) throw new PushHandshakeError('invalid-extra-symmetric-key', 'shared_key must be 32 or 64 bytes');
  return sharedKey.slice(0, SHARED_KEY_BYTES);
}
