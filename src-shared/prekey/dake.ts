// The DAKEZ between a publisher and the Prekey Server (otrv4-prekey-server.md §"Key Exchange",
// §"DAKE-1/2/3 Message", §"Shared Session State", §"Prekey Server Composite Identity",
// §"Shared Secrets", §"Generating Shared Secrets") and the MACs of the messages that ride on it
// (§"Prekey Publication Message", §"Storage Information Request Message", §"Storage Status
// Message", §"Success Message", §"Failure Message"; otr-implementer-notes.md §14.3–14.6).
// Pure building blocks used by both the server (src-server/prekey) and the client
// (src-main/core/prekey); the ring signature is the OTRv4 library's, with this spec's KDF.
import { ByteWriter, equalBytes } from '../otr/common/bytes';
import { invalidValue } from '../otr/common/errors';
import type { RandomSource } from '../otr/common/random';
import { Fn, type Point, ecdh, leBytesToBigint } from '../otr/v4/ed448';
import { type RingSignature, type RingSignatureOptions, ringSign, ringVerify } from '../otr/v4/rsig';
import { FINGERPRINT_BYTES } from '../otr/v4/keys';
import { hwc, Usage } from '../otr/v4/kdf';
import { PrekeyUsage, prekeyKdf } from './kdf';
import { type CompositeIdentity, PrekeyMessageType, encodeCompositeIdentity } from './messages';

const utf8 = new TextEncoder();

/**
 * §"Public keys and Fingerprints": the server fingerprint uses the *OTRv4* KDF,
 * KDF_1(usage_fingerprint, byte(H), 56), over the raw POINT (the Go server hashes the typed
 * ED448-PUBKEY instead: implementer notes §14.2).
 */
export function serverFingerprint(publicKey: Point): Uint8Array {
  return hwc(Usage.fingerprint, publicKey.toBytes(), FINGERPRINT_BYTES);
}

/** §"Discovering a Prekey Server": 112 hexadecimal digits (upper case, as the spec's example) */
export function serverFingerprintHex(publicKey: Point): string {
  let s = '';
  for (const b of serverFingerprint(publicKey)) s += b.toString(16).padStart(2, '0');
  return s.toUpperCase();
}

/**
 * §"Shared Session State" for XMPP: phi = DATA(publisher's bare JID) || DATA(Prekey Server's bare
 * JID). The general text also says to sort strings; the XMPP section fixes this order, which is
 * the order both ends use here.
 */
export function xmppPhi(publisherBareJid: string, serverJid: string): Uint8Array {
  return new ByteWriter().data(utf8.encode(publisherBareJid)).data(utf8.encode(serverJid)).finish();
}

export interface Transcript {
  /** the publisher's CLIENT-PROF, as sent in DAKE-1 */
  clientProfile: Uint8Array;
  compositeIdentity: CompositeIdentity;
  /** POINT I and POINT S */
  i: Uint8Array;
  s: Uint8Array;
  phi: Uint8Array;
}

/** DAKE-2 t = 0x00 || KDF(0x02, CP) || KDF(0x03, CompID) || I || S || KDF(0x04, phi) */
export function dake2T(x: Transcript): Uint8Array {
  return new ByteWriter()
    .byte(0x00)
    .bytes(prekeyKdf(PrekeyUsage.initiatorClientProfile, x.clientProfile, 64))
    .bytes(prekeyKdf(PrekeyUsage.initiatorPrekeyCompositeIdentity, encodeCompositeIdentity(x.compositeIdentity), 64))
    .bytes(x.i)
    .bytes(x.s)
    .bytes(prekeyKdf(PrekeyUsage.initiatorPrekeyCompositePhi, x.phi, 64))
    .finish();
}

/** DAKE-3 t = 0x01 || KDF(0x05, CP) || KDF(0x06, CompID) || I || S || KDF(0x07, phi) */
export function dake3T(x: Transcript): Uint8Array {
  return new ByteWriter()
    .byte(0x01)
    .bytes(prekeyKdf(PrekeyUsage.receiverClientProfile, x.clientProfile, 64))
    .bytes(prekeyKdf(PrekeyUsage.receiverPrekeyCompositeIdentity, encodeCompositeIdentity(x.compositeIdentity), 64))
    .bytes(x.i)
    .bytes(x.s)
    .bytes(prekeyKdf(PrekeyUsage.receiverPrekeyCompositePhi, x.phi, 64))
    .finish();
}

/**
 * The RSig of OTRv4 §"Ring Signature Authentication" with this spec's KDF: "for the computation
 * of c, it will use the usage_auth defined in this specification" — HashToScalar over
 * KDF("OTR-Prekey-Server", 0x11, …, 57). Message framing as our OTRv4 library (DATA(m)).
 */
const rsigOptions = {
  hash: (d: Uint8Array): bigint => Fn.create(leBytesToBigint(prekeyKdf(PrekeyUsage.auth, d, 57))),
} as const;

/**
 * `signerPublic`: the signer's public key, when the caller holds it with the secret (saves the
 * constant-time multiplication that would find it again). `memberKind`: what each ring member
 * is, for how its term is computed (rsig.ts; the server's own key, a publisher's key, an
 * ephemeral key).
 */
export function prekeyRingSign(
  random: RandomSource,
  secret: bigint,
  ring: readonly [Point, Point, Point],
  t: Uint8Array,
  extra: Pick<RingSignatureOptions, 'signerPublic' | 'memberKind'> = {},
): RingSignature {
  return ringSign(random, secret, ring, t, { ...rsigOptions, ...extra });
}

/**
 * `knownSecrets`: ring members whose secrets the verifier holds (its own ephemeral key of this
 * DAKE, a publisher's own long-term key): each term is then one constant-time multiplication by
 * G instead of a walk over the point or a window table (rsig.ts). The verdict is the same.
 * `memberKind` as for prekeyRingSign.
 */
export function prekeyRingVerify(
  ring: readonly [Point, Point, Point],
  sigma: RingSignature,
  t: Uint8Array,
  extra: Pick<RingSignatureOptions, 'knownSecrets' | 'memberKind'> = {},
): boolean {
  return ringVerify(ring, sigma, t, { ...rsigOptions, ...extra });
}

/**
 * §"Generating Shared Secrets": ECDH(a, B) = a · (B · cofactor), refused if it is the identity;
 * SK = KDF(usage_SK, SK_ecdh, 64). (The current spec multiplies by the cofactor; libotr-ng and the
 * Go server do not: implementer notes §14.4. Both ends here follow the spec.)
 */
export function sharedSecret(secret: bigint, theirPublic: Point): Uint8Array {
  // B · cofactor by two doublings: B is public, so noble's constant-time multiply(4n) (a whole
  // ladder, ~1.3 ms) is not needed for it; the secret scalar still goes through ecdh's multiply
  const skEcdh = ecdh(secret, theirPublic.double().double());
  const sk = prekeyKdf(PrekeyUsage.sk, skEcdh, 64);
  skEcdh.fill(0);
  return sk;
}

/** prekey_mac_k = KDF(usage_preMAC_key, SK, 64) */
export function prekeyMacKey(sk: Uint8Array): Uint8Array {
  return prekeyKdf(PrekeyUsage.preMacKey, sk, 64);
}

/** Storage Information MAC = KDF(usage_storage_info_MAC, prekey_mac_k || message type, 64) */
export function storageInfoMac(macKey: Uint8Array): Uint8Array {
  return prekeyKdf(PrekeyUsage.storageInfoMac, [macKey, Uint8Array.of(PrekeyMessageType.storageInfoRequest)], 64);
}

/** Status MAC = KDF(usage_status_MAC, prekey_mac_k || type || receiver tag || stored number, 64) */
export function storageStatusMac(macKey: Uint8Array, receiverTag: number, stored: number): Uint8Array {
  const body = new ByteWriter().bytes(macKey).byte(PrekeyMessageType.storageStatus).int(receiverTag).int(stored).finish();
  return prekeyKdf(PrekeyUsage.statusMac, body, 64);
}

/** Success / Failure MAC = KDF(usage_success_MAC | usage_failure_MAC, prekey_mac_k || type || receiver tag, 64) */
export function resultMac(macKey: Uint8Array, kind: 'success' | 'failure', receiverTag: number): Uint8Array {
  const type = kind === 'success' ? PrekeyMessageType.success : PrekeyMessageType.failure;
  const usage = kind === 'success' ? PrekeyUsage.successMac : PrekeyUsage.failureMac;
  return prekeyKdf(usage, new ByteWriter().bytes(macKey).byte(type).int(receiverTag).finish(), 64);
}

/**
 * Prekey MAC (§"Prekey Publication Message"; the four case formulas of the spec are garbled, this
 * is the single formula libotr-ng computes, implementer notes §14.5):
 * KDF(0x09, prekey_mac_k || 0x08 || N || KDF(0x0E, PMs, 64) || K || [KDF(0x0F, CP, 64)] || J ||
 *     [KDF(0x10, PP, 64)] || KDF(0x16, Proofs, 64), 64)
 */
export function publicationMac(
  macKey: Uint8Array,
  p: { prekeyMessages: Uint8Array[]; clientProfile?: Uint8Array; prekeyProfile?: Uint8Array; proofs: Uint8Array },
): Uint8Array {
  const w = new ByteWriter()
    .bytes(macKey)
    .byte(PrekeyMessageType.publication)
    .byte(p.prekeyMessages.length)
    .bytes(prekeyKdf(PrekeyUsage.prekeyMessage, p.prekeyMessages, 64))
    .byte(p.clientProfile ? 1 : 0);
  if (p.clientProfile) w.bytes(prekeyKdf(PrekeyUsage.clientProfile, p.clientProfile, 64));
  w.byte(p.prekeyProfile ? 1 : 0);
  if (p.prekeyProfile) w.bytes(prekeyKdf(PrekeyUsage.prekeyProfile, p.prekeyProfile, 64));
  w.bytes(prekeyKdf(PrekeyUsage.macProofs, p.proofs, 64));
  return prekeyKdf(PrekeyUsage.preMac, w.finish(), 64);
}

export function checkMac(expected: Uint8Array, received: Uint8Array, what: string): void {
  if (!equalBytes(expected, received)) throw invalidValue(`${what} does not verify`);
}
