// The transitional signature of a Client Profile (otrv4.md §"Client Profile Data Type": field
// 0x0007 CLIENT-SIG, "a signature over fields 0x0001, 0x0002, 0x0003, 0x0004, 0x0005 and 0x0006
// only"; §"Create a Client Profile Signature": "Sign m with the user's OTRv3 DSA key";
// §"Validating a Client Profile" step 8: "If the Transitional Signature and OTRv3 DSA key are
// present …, verify their validity using the OTRv3 DSA key").
//
// CLIENT-SIG "is the same signature as used in OTRv3": r ‖ s, len(q) bytes each, big-endian. As in
// OTRv3 (§"Authenticated Key Exchange": the value is "taken modulo q instead of being truncated,
// and not hashed again") the signed value m — the typed fields (SHORT type ‖ field) 0x0001–0x0006
// as they appear in the profile, without INT n, like the EdDSA signature (D3) — is used as the
// integer H = m mod q, not hashed first. otr4j does the same (DSAKeyPair.signRS / verifySignature
// take the bytes as an unsigned integer mod q). docs/otrv4-decisions.md D4.
import { ByteReader } from '../common/bytes';
import { invalidValue, OtrError } from '../common/errors';
import type { RandomSource } from '../common/random';
import { type DsaPrivateKey, dsaSign, dsaVerify, encodePublicKey, type PowFn, readPublicKey } from '../v3/dsa';

/** what createClientProfile / createLocalIdentity / renewProfiles take to add fields 6 and 7 */
export interface TransitionalSigner {
  /** the OTRv3 PUBKEY encoding (SHORT 0x0000 ‖ MPI p, q, g, y) */
  dsaPublicKey: Uint8Array;
  /** CLIENT-SIG over m: r ‖ s */
  sign: (m: Uint8Array) => Uint8Array;
}

/** A signer for the user's OTRv3 long-term DSA key (the v3 identity's key). */
export function transitionalSigner(key: DsaPrivateKey, random: RandomSource, pow?: PowFn): TransitionalSigner {
  return { dsaPublicKey: encodePublicKey(key), sign: (m) => dsaSign(key, m, random, pow) };
}

// Profiles are re-sent with every DAKE for a week: remember the ones already verified (bounded).
const verified = new Set<string>();
const MAX_REMEMBERED = 256;

/**
 * §"Validating a Client Profile" step 8. `dsaPublicKey` is the PUBKEY bytes of field 6, `m` the
 * signed fields, `signature` field 7. Throws OtrError('invalid-value') when the DSA key is not an
 * acceptable OTRv3 key (1024–3072-bit p, 160-bit q, g and y of order q: v3/dsa.ts) or the
 * signature does not verify.
 */
export function verifyTransitionalSignature(dsaPublicKey: Uint8Array, m: Uint8Array, signature: Uint8Array, pow?: PowFn): void {
  const id = `${hex(dsaPublicKey)}|${hex(signature)}|${hex(m)}`;
  if (verified.has(id)) return;
  let ok: boolean;
  try {
    const r = new ByteReader(dsaPublicKey);
    const key = readPublicKey(r, pow);
    r.end('PUBKEY');
    ok = dsaVerify(key, m, signature, pow);
  } catch (e) {
    if (e instanceof OtrError) throw invalidValue(`client profile DSA key is not usable: ${e.message}`);
    throw e;
  }
  if (!ok) throw invalidValue('client profile transitional signature is invalid');
  if (verified.size >= MAX_REMEMBERED) verified.clear();
  verified.add(id);
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
