// Prekey message and prekey ensembles (otrv4.md §"Prekey Message", §"Publishing Prekey
// Ensembles", §"Validating Prekey Ensembles").
//
// Prekey message = SHORT 0x0004 ‖ BYTE 0x0F ‖ INT prekey id ‖ INT owner tag ‖ POINT Y ‖ MPI B.
// The one-time secrets y, b stay on the device, looked up by id when the Non-Interactive-Auth
// message naming it arrives, and deleted after use.
// This module's exports are used by the prekey server too: keep them stable.
import { ByteReader, ByteWriter, bytesToBigint } from '../common/bytes';
import { invalidValue, malformed, OtrError } from '../common/errors';
import type { RandomSource } from '../common/random';
import { type ClientProfile, validateClientProfile } from './client-profile';
import type { Dh3072Engine } from './dh3072';
import { encodePoint, type Point } from './ed448';
import { decodePoint } from './ed448';
import { type DhKeyPair, type EcdhKeyPair, generateDhKeyPair, generateEcdhKeyPair, isValidInstanceTag, validateDhValue } from './keys';
import { type PrekeyProfile, validatePrekeyProfile } from './prekey-profile';

export const OTRV4_VERSION = 0x0004;
export const PREKEY_MESSAGE_TYPE = 0x0f;

export interface PrekeyMessage {
  readonly id: number;
  readonly ownerTag: number;
  readonly y: Point;
  readonly b: bigint;
}

/** what the publisher keeps locally (persist it: it is needed when the Non-Interactive-Auth arrives) */
export interface PrekeySecrets {
  readonly id: number;
  readonly ownerTag: number;
  readonly ecdh: EcdhKeyPair;
  readonly dh: DhKeyPair;
  /** when the owner made it (ms since epoch), for forgetting secrets nobody will use any more */
  madeAt?: number;
}

export function createPrekeyMessage(random: RandomSource, engine: Dh3072Engine, ownerTag: number): { message: PrekeyMessage; secrets: PrekeySecrets } {
  if (!isValidInstanceTag(ownerTag)) throw invalidValue('owner instance tag must be ≥ 0x100');
  const id = Number(bytesToBigint(random(4)));
  const ecdh = generateEcdhKeyPair(random);
  const dh = generateDhKeyPair(random, engine);
  return { message: { id, ownerTag, y: ecdh.public, b: dh.public }, secrets: { id, ownerTag, ecdh, dh } };
}

export function encodePrekeyMessage(m: PrekeyMessage): Uint8Array {
  return new ByteWriter().short(OTRV4_VERSION).byte(PREKEY_MESSAGE_TYPE).int(m.id).int(m.ownerTag).bytes(encodePoint(m.y)).mpi(m.b).finish();
}

export function readPrekeyMessage(r: ByteReader): PrekeyMessage {
  if (r.short('protocol version') !== OTRV4_VERSION) throw malformed('prekey message version must be 4');
  if (r.byte('message type') !== PREKEY_MESSAGE_TYPE) throw malformed('not a prekey message');
  const id = r.int('prekey id');
  const ownerTag = r.int('prekey owner tag');
  const y = decodePoint(r.fixed(57, 'prekey Y'));
  const b = r.mpi('prekey B');
  return { id, ownerTag, y, b };
}

export function decodePrekeyMessage(bytes: Uint8Array): PrekeyMessage {
  const r = new ByteReader(bytes);
  const m = readPrekeyMessage(r);
  r.end('prekey message');
  return m;
}

/** §"Prekey Message" "To verify": Y on the curve (done when decoded), B in the DH group, tag valid. */
export function validatePrekeyMessage(m: PrekeyMessage): void {
  if (!isValidInstanceTag(m.ownerTag)) throw invalidValue('prekey owner tag is below 0x100');
  validateDhValue(m.b, 'prekey B');
}

export interface PrekeyEnsemble {
  readonly clientProfile: ClientProfile;
  readonly prekeyProfile: PrekeyProfile;
  readonly prekeyMessage: PrekeyMessage;
}

/**
 * §"Validating Prekey Ensembles": same instance tag everywhere, both profiles valid, the prekey
 * profile signed by the client profile's H, the prekey message valid, version 4 offered by the
 * profile (the only version a prekey message exists for) and allowed by us.
 */
export function validatePrekeyEnsemble(e: PrekeyEnsemble, v: { nowMs: number; engine: Dh3072Engine; allowV4?: boolean }): void {
  const tag = e.clientProfile.ownerTag;
  if (e.prekeyProfile.ownerTag !== tag || e.prekeyMessage.ownerTag !== tag) throw invalidValue('prekey ensemble instance tags differ');
  validateClientProfile(e.clientProfile, { senderTag: tag, nowMs: v.nowMs });
  validatePrekeyProfile(e.prekeyProfile, { longTermPublicKey: e.clientProfile.publicKey, senderTag: tag, nowMs: v.nowMs });
  validatePrekeyMessage(e.prekeyMessage);
  if (v.allowV4 === false) throw new OtrError('not-allowed', 'version 4 is not allowed by policy');
}

/**
 * §"Receiving Prekey Ensembles": drop invalid ones and duplicates, keep per instance tag the
 * ensembles whose client profile expires latest. Returns the survivors grouped by instance tag.
 */
export function selectPrekeyEnsembles(ensembles: readonly PrekeyEnsemble[], v: { nowMs: number; engine: Dh3072Engine }): Map<number, PrekeyEnsemble[]> {
  const byTag = new Map<number, PrekeyEnsemble[]>();
  const seen = new Set<string>();
  for (const e of ensembles) {
    try {
      validatePrekeyEnsemble(e, v);
    } catch (err) {
      if (err instanceof OtrError) continue;
      throw err;
    }
    const key = `${e.clientProfile.ownerTag}:${e.prekeyMessage.id}:${encodePoint(e.prekeyMessage.y).join(',')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const list = byTag.get(e.clientProfile.ownerTag) ?? [];
    list.push(e);
    byTag.set(e.clientProfile.ownerTag, list);
  }
  for (const [tag, list] of byTag) {
    const latest = list.reduce((m, e) => (e.clientProfile.expires > m ? e.clientProfile.expires : m), list[0]!.clientProfile.expires);
    byTag.set(
      tag,
      list.filter((e) => e.clientProfile.expires === latest),
    );
  }
  return byTag;
}
