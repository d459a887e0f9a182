// OTRv4 §"Key Derivation Functions": KDF, HWC and HCMAC are all
// SHAKE-256("OTRv4" || usage_ID || values, size). The usage IDs are the table of
// otr-implementer-notes.md §2 (current spec numbering, as otr4j; not libotr-ng's draft numbering).
import { shake256 } from '@noble/hashes/sha3.js';
import { ByteWriter } from '../common/bytes';

const DOMAIN = new TextEncoder().encode('OTRv4');

export const Usage = {
  fingerprint: 0x00,
  thirdBraceKey: 0x01,
  braceKey: 0x02,
  sharedSecret: 0x03,
  ssid: 0x04,
  authRBobClientProfile: 0x05,
  authRAliceClientProfile: 0x06,
  authRPhi: 0x07,
  authIBobClientProfile: 0x08,
  authIAliceClientProfile: 0x09,
  authIPhi: 0x0a,
  firstRootKey: 0x0b,
  tmpKey: 0x0c,
  authMacKey: 0x0d,
  nonIntAuthBobClientProfile: 0x0e,
  nonIntAuthAliceClientProfile: 0x0f,
  nonIntAuthPhi: 0x10,
  authMac: 0x11,
  rootKey: 0x12,
  chainKey: 0x13,
  nextChainKey: 0x14,
  messageKey: 0x15,
  macKey: 0x16,
  extraSymmKey: 0x17,
  authenticator: 0x18,
  smpSecret: 0x19,
  auth: 0x1a,
} as const;

export type UsageId = number;

/** KDF(usage_ID || values, size) */
export function kdf(usage: UsageId, values: Uint8Array | Uint8Array[], size: number): Uint8Array {
  const w = new ByteWriter().bytes(DOMAIN).byte(usage);
  for (const v of Array.isArray(values) ? values : [values]) w.bytes(v);
  return shake256(w.finish(), { dkLen: size });
}

/** HWC and HCMAC are the same function as KDF; separate names keep call sites readable. */
export const hwc = kdf;
export const hcmac = kdf;
