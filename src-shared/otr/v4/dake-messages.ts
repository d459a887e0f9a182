// Wire encodings of the DAKE messages (otrv4.md §"Identity Message", §"Auth-R Message",
// §"Auth-I Message", §"Non-Interactive-Auth Message"; implementer notes §5–§7).
//
//   Identity  0x35: SHORT 4 ‖ 0x35 ‖ INT sender ‖ INT receiver ‖ CLIENT-PROF ‖ POINT Y ‖ MPI B
//                   ‖ POINT ecdh_first ‖ MPI dh_first
//   Auth-R    0x36: SHORT 4 ‖ 0x36 ‖ INT sender ‖ INT receiver ‖ CLIENT-PROF ‖ POINT X ‖ MPI A
//                   ‖ RING-SIG ‖ POINT ecdh_first ‖ MPI dh_first
//   Auth-I    0x37: SHORT 4 ‖ 0x37 ‖ INT sender ‖ INT receiver ‖ RING-SIG
//   Non-Int-Auth 0x0D: SHORT 4 ‖ 0x0D ‖ INT sender ‖ INT receiver ‖ CLIENT-PROF ‖ POINT X ‖ MPI A
//                   ‖ RING-SIG ‖ INT prekey id ‖ MAC(64) ‖ POINT ecdh_first ‖ MPI dh_first
//
// Decoders check structure and decode points (curve, identity, subgroup); the DH values, the
// profiles and the signatures are validated by dake.ts, which has the engine, the clock and the
// keys. Every decoder throws only OtrError.
import { ByteReader, ByteWriter } from '../common/bytes';
import { malformed, OtrError } from '../common/errors';
import { type ClientProfile, readClientProfile } from './client-profile';
import { DH3072_P } from './dh3072';
import { encodePoint, type Point } from './ed448';
import { decodePoint } from './ed448';
import { encodeRingSignature, readRingSignature, type RingSignature } from './rsig';

export const OTRV4 = 0x0004;
export const MessageType = {
  identity: 0x35,
  authR: 0x36,
  authI: 0x37,
  nonInteractiveAuth: 0x0d,
  data: 0x03,
  prekey: 0x0f,
} as const;
export const AUTH_MAC_BYTES = 64;

export interface IdentityMessage {
  type: 'identity';
  senderTag: number;
  receiverTag: number;
  profile: ClientProfile;
  y: Point;
  b: bigint;
  ecdhFirst: Point;
  dhFirst: bigint;
}

export interface AuthRMessage {
  type: 'auth-r';
  senderTag: number;
  receiverTag: number;
  profile: ClientProfile;
  x: Point;
  a: bigint;
  sigma: RingSignature;
  ecdhFirst: Point;
  dhFirst: bigint;
}

export interface AuthIMessage {
  type: 'auth-i';
  senderTag: number;
  receiverTag: number;
  sigma: RingSignature;
}

export interface NonInteractiveAuthMessage {
  type: 'non-interactive-auth';
  senderTag: number;
  receiverTag: number;
  profile: ClientProfile;
  x: Point;
  a: bigint;
  sigma: RingSignature;
  prekeyId: number;
  authMac: Uint8Array;
  ecdhFirst: Point;
  dhFirst: bigint;
}

export type DakeMessage = IdentityMessage | AuthRMessage | AuthIMessage | NonInteractiveAuthMessage;

function header(type: number, senderTag: number, receiverTag: number): ByteWriter {
  return new ByteWriter().short(OTRV4).byte(type).int(senderTag).int(receiverTag);
}

export function encodeDakeMessage(m: DakeMessage): Uint8Array {
  switch (m.type) {
    case 'identity':
      return header(MessageType.identity, m.senderTag, m.receiverTag)
        .bytes(m.profile.encoded)
        .bytes(encodePoint(m.y))
        .mpi(m.b)
        .bytes(encodePoint(m.ecdhFirst))
        .mpi(m.dhFirst)
        .finish();
    case 'auth-r':
      return header(MessageType.authR, m.senderTag, m.receiverTag)
        .bytes(m.profile.encoded)
        .bytes(encodePoint(m.x))
        .mpi(m.a)
        .bytes(encodeRingSignature(m.sigma))
        .bytes(encodePoint(m.ecdhFirst))
        .mpi(m.dhFirst)
        .finish();
    case 'auth-i':
      return header(MessageType.authI, m.senderTag, m.receiverTag).bytes(encodeRingSignature(m.sigma)).finish();
    case 'non-interactive-auth':
      if (m.authMac.length !== AUTH_MAC_BYTES) throw malformed('Auth MAC must be 64 bytes');
      return header(MessageType.nonInteractiveAuth, m.senderTag, m.receiverTag)
        .bytes(m.profile.encoded)
        .bytes(encodePoint(m.x))
        .mpi(m.a)
        .bytes(encodeRingSignature(m.sigma))
        .int(m.prekeyId)
        .bytes(m.authMac)
        .bytes(encodePoint(m.ecdhFirst))
        .mpi(m.dhFirst)
        .finish();
  }
}

const point = (r: ByteReader, what: string): Point => decodePoint(r.fixed(57, what));

/** MPI of a 3072-bit group element: at most 384 bytes (range checks come with validation) */
function dhMpi(r: ByteReader, what: string): bigint {
  const v = r.mpi(what);
  if (v >= DH3072_P) throw malformed(`${what} is larger than the DH modulus`);
  return v;
}

/**
 * Decodes a binary v4 DAKE message (Identity, Auth-R, Auth-I, Non-Interactive-Auth). Throws
 * OtrError('malformed') on structure, OtrError('invalid-value') on a bad point, and
 * OtrError('unsupported-version') if the version is not 4.
 */
export function decodeDakeMessage(bytes: Uint8Array): DakeMessage {
  const r = new ByteReader(bytes);
  const version = r.short('protocol version');
  if (version !== OTRV4) throw new OtrError('unsupported-version', 'not an OTRv4 message');
  const type = r.byte('message type');
  const senderTag = r.int('sender instance tag');
  const receiverTag = r.int('receiver instance tag');
  let m: DakeMessage;
  switch (type) {
    case MessageType.identity: {
      const profile = readClientProfile(r, bytes);
      const y = point(r, 'Y');
      const b = dhMpi(r, 'B');
      const ecdhFirst = point(r, 'ecdh_first');
      const dhFirst = dhMpi(r, 'dh_first');
      m = { type: 'identity', senderTag, receiverTag, profile, y, b, ecdhFirst, dhFirst };
      break;
    }
    case MessageType.authR: {
      const profile = readClientProfile(r, bytes);
      const x = point(r, 'X');
      const a = dhMpi(r, 'A');
      const sigma = readRingSignature(r);
      const ecdhFirst = point(r, 'ecdh_first');
      const dhFirst = dhMpi(r, 'dh_first');
      m = { type: 'auth-r', senderTag, receiverTag, profile, x, a, sigma, ecdhFirst, dhFirst };
      break;
    }
    case MessageType.authI:
      m = { type: 'auth-i', senderTag, receiverTag, sigma: readRingSignature(r) };
      break;
    case MessageType.nonInteractiveAuth: {
      const profile = readClientProfile(r, bytes);
      const x = point(r, 'X');
      const a = dhMpi(r, 'A');
      const sigma = readRingSignature(r);
      const prekeyId = r.int('prekey id');
      const authMac = r.fixed(AUTH_MAC_BYTES, 'Auth MAC');
      const ecdhFirst = point(r, 'ecdh_first');
      const dhFirst = dhMpi(r, 'dh_first');
      m = { type: 'non-interactive-auth', senderTag, receiverTag, profile, x, a, sigma, prekeyId, authMac, ecdhFirst, dhFirst };
      break;
    }
    default:
      throw malformed('not a DAKE message type');
  }
  r.end('DAKE message');
  return m;
}

/** version, type and instance tags of any v4 message that has them (all but the prekey message) */
export function peekV4Header(bytes: Uint8Array): { type: number; senderTag: number; receiverTag: number } {
  const r = new ByteReader(bytes);
  if (r.short('protocol version') !== OTRV4) throw new OtrError('unsupported-version', 'not an OTRv4 message');
  return { type: r.byte('message type'), senderTag: r.int('sender tag'), receiverTag: r.int('receiver tag') };
}
