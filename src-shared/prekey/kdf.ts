// OTRv4 Prekey Server §"Key Derivation Functions":
//   KDF(usage_ID, values, size) = SHAKE-256("OTR-Prekey-Server" || usage_ID || values, size)
// with its own domain string and usage table (otr-implementer-notes.md §14.2). The server
// fingerprint is the exception: it uses the OTRv4 KDF (see fingerprint.ts).
import { shake256 } from '@noble/hashes/sha3.js';
import { ByteWriter } from '../otr/common/bytes';

const DOMAIN = new TextEncoder().encode('OTR-Prekey-Server');

export const PrekeyUsage = {
  fingerprint: 0x00,
  sk: 0x01,
  initiatorClientProfile: 0x02,
  initiatorPrekeyCompositeIdentity: 0x03,
  initiatorPrekeyCompositePhi: 0x04,
  receiverClientProfile: 0x05,
  receiverPrekeyCompositeIdentity: 0x06,
  receiverPrekeyCompositePhi: 0x07,
  preMacKey: 0x08,
  preMac: 0x09,
  storageInfoMac: 0x0a,
  statusMac: 0x0b,
  successMac: 0x0c,
  failureMac: 0x0d,
  prekeyMessage: 0x0e,
  clientProfile: 0x0f,
  prekeyProfile: 0x10,
  auth: 0x11,
  proofContext: 0x12,
  proofMessageEcdh: 0x13,
  proofMessageDh: 0x14,
  proofSharedEcdh: 0x15,
  macProofs: 0x16,
  proofCLambda: 0x17,
} as const;

/** KDF(usage_ID, values, size); size in bytes (the spec: "unlike in the SHAKE standard") */
export function prekeyKdf(usage: number, values: Uint8Array | Uint8Array[], size: number): Uint8Array {
  if (!Number.isInteger(usage) || usage < 0 || usage > 0xff) throw new RangeError('usage_ID is a BYTE');
  if (!Number.isInteger(size) || size <= 0) throw new RangeError('size must be a positive byte count');
  const w = new ByteWriter().bytes(DOMAIN).byte(usage);
  for (const v of Array.isArray(values) ? values : [values]) w.bytes(v);
  return shake256(w.finish(), { dkLen: size });
}
