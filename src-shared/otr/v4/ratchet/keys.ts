// Key generation and the key derivations of the OTRv4 double ratchet (otrv4.md §"Generating ECDH
// and DH keys", §"Shared Secrets", §"Deriving Double Ratchet Keys", §"Calculating Encryption and
// MAC Keys", §"Extra Symmetric Key"). Usage IDs are those of kdf.ts (current spec numbering).
import { Usage, kdf } from '../kdf';

// The ratchet's key pairs are generated exactly as the DAKE's (§"Generating ECDH and DH keys").
export { generateDhKeyPair, generateEcdhKeyPair, type DhKeyPair, type EcdhKeyPair } from '../keys';

/** brace_key = KDF(usage_third_brace_key ‖ k_dh, 32) */
export function thirdBraceKey(kDh: Uint8Array): Uint8Array {
  return kdf(Usage.thirdBraceKey, kDh, 32);
}

/** brace_key = KDF(usage_brace_key ‖ brace_key, 32) */
export function nextBraceKey(brace: Uint8Array): Uint8Array {
  return kdf(Usage.braceKey, brace, 32);
}

/** K = KDF(usage_shared_secret ‖ K_ecdh ‖ brace_key, 64) */
export function mixedSharedSecret(kEcdh: Uint8Array, brace: Uint8Array): Uint8Array {
  return kdf(Usage.sharedSecret, [kEcdh, brace], 64);
}

/** derive_ratchet_keys(purpose, prev_root_key, K) */
export function deriveRatchetKeys(prevRoot: Uint8Array, k: Uint8Array): { root: Uint8Array; chain: Uint8Array } {
  return {
    root: kdf(Usage.rootKey, [prevRoot, k], 64),
    chain: kdf(Usage.chainKey, [prevRoot, k], 64),
  };
}

/** chain_key[n+1] = KDF(usage_next_chain_key ‖ chain_key[n], 64) */
export function nextChainKey(chain: Uint8Array): Uint8Array {
  return kdf(Usage.nextChainKey, chain, 64);
}

/** MKenc = KDF(usage_message_key ‖ chain_key, 64) */
export function messageKey(chain: Uint8Array): Uint8Array {
  return kdf(Usage.messageKey, chain, 64);
}

/** MKmac = KDF(usage_MAC_key ‖ MKenc, 64) */
export function macKey(mkEnc: Uint8Array): Uint8Array {
  return kdf(Usage.macKey, mkEnc, 64);
}

const FF = Uint8Array.of(0xff);

/** extra_symm_key = KDF(usage_extra_symm_key ‖ 0xFF ‖ chain_key, 64) */
export function extraSymmetricKey(chain: Uint8Array): Uint8Array {
  return kdf(Usage.extraSymmKey, [FF, chain], 64);
}

/** §"Extra Symmetric Key": "only 10 extra symmetric keys can be derived" per message */
export const MAX_EXTRA_KEYS = 10;

/**
 * One step of the extra-key chain (§"Extra Symmetric Key"): KDF(index ‖ context ‖ previous, 64)
 * with index = the BYTE position of the TLV 7 in the TLV list (in the usage-ID slot) and context
 * = its 4-byte use. ../extra-key.ts walks a message's TLV list with it.
 */
export function deriveExtraSubkey(previous: Uint8Array, tlvIndex: number, context: Uint8Array): Uint8Array {
  if (!Number.isInteger(tlvIndex) || tlvIndex < 0 || tlvIndex > 0xff) throw new RangeError('TLV index must be a BYTE');
  if (context.length !== 4) throw new RangeError('context must be the 4-byte use');
  return kdf(tlvIndex, [context, previous], 64);
}
