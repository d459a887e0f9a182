// OTRv4 Data Message (otrv4.md §"Data Message", §"Data Message Format"): wire encoding, decoding,
// ChaCha20 payload encryption with the all-zero 12-byte nonce and the authenticator.
//
//   SHORT 0x0004 ‖ BYTE 0x03 ‖ INT sender_tag ‖ INT receiver_tag ‖ BYTE flags ‖ INT pn
//   ‖ INT ratchet_id ‖ INT message_id ‖ POINT ecdh ‖ MPI dh (length 0 when absent)
//   ‖ DATA ciphertext ‖ MAC authenticator (64) ‖ DATA old_mac_keys (n × 64)
//
// The authenticator covers everything from the protocol version to the end of the ciphertext
// DATA (§"When you send a Data Message"): KDF(usage_authenticator ‖ MKmac ‖ sections, 64).
// The decoder throws only OtrError; it checks structure, not values (the ratchet validates the
// ECDH point and the DH value only when it needs them, on a new ratchet).
import { chacha20 } from '@noble/ciphers/chacha.js';
import { ByteReader, ByteWriter, equalBytes } from '../common/bytes';
import { OtrError, malformed } from '../common/errors';
import { DH3072_BYTES, DH3072_P } from './dh3072';
import { POINT_BYTES } from './ed448';
import { Usage, kdf } from './kdf';

export const PROTOCOL_VERSION_4 = 0x0004;
export const DATA_MESSAGE_TYPE = 0x03;
/** §"Data Message Format": the only defined flag */
export const FLAG_IGNORE_UNREADABLE = 0x01;
export const MAC_BYTES = 64;
/** §"Data Types": NONCE, "always 0"; ChaCha20 of RFC 8439 (12-byte nonce, block counter 0) */
const ZERO_NONCE = new Uint8Array(12);
/** the smallest valid sender instance tag (§"Instance Tags") */
export const MIN_INSTANCE_TAG = 0x100;

export interface DataMessage {
  senderTag: number;
  receiverTag: number;
  flags: number;
  /** previous chain message number (sender's pn) */
  previousChainLength: number;
  ratchetId: number;
  messageId: number;
  /** POINT, 57 bytes, not yet validated */
  ecdh: Uint8Array;
  /** the public DH key, or null when the MPI is empty */
  dh: bigint | null;
  ciphertext: Uint8Array;
  authenticator: Uint8Array;
  /** concatenated 64-byte MAC keys */
  revealedMacKeys: Uint8Array;
}

export interface DecodedDataMessage extends DataMessage {
  /** the bytes the authenticator covers (version … end of the ciphertext DATA) */
  authenticated: Uint8Array;
}

export type DataMessageHeader = Omit<DataMessage, 'authenticator' | 'revealedMacKeys'>;

function checkUint32(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${what} must be a 32-bit unsigned integer`);
}

/** The authenticated part: version through the ciphertext DATA. */
export function encodeDataMessageSections(m: DataMessageHeader): Uint8Array {
  checkUint32(m.senderTag, 'sender tag');
  checkUint32(m.receiverTag, 'receiver tag');
  checkUint32(m.previousChainLength, 'pn');
  checkUint32(m.ratchetId, 'ratchet id');
  checkUint32(m.messageId, 'message id');
  if (!Number.isInteger(m.flags) || m.flags < 0 || m.flags > 0xff) throw new RangeError('flags must be a BYTE');
  if (m.ecdh.length !== POINT_BYTES) throw new RangeError('ECDH public key must be a 57-byte POINT');
  const w = new ByteWriter()
    .short(PROTOCOL_VERSION_4)
    .byte(DATA_MESSAGE_TYPE)
    .int(m.senderTag)
    .int(m.receiverTag)
    .byte(m.flags)
    .int(m.previousChainLength)
    .int(m.ratchetId)
    .int(m.messageId)
    .bytes(m.ecdh);
  w.mpi(m.dh ?? 0n);
  w.data(m.ciphertext);
  return w.finish();
}

export function encodeDataMessage(m: DataMessage): Uint8Array {
  if (m.authenticator.length !== MAC_BYTES) throw new RangeError('authenticator must be 64 bytes');
  if (m.revealedMacKeys.length % MAC_BYTES !== 0) throw new RangeError('revealed MAC keys must be 64-byte values');
  return new ByteWriter().bytes(encodeDataMessageSections(m)).bytes(m.authenticator).data(m.revealedMacKeys).finish();
}

function readHeader(r: ByteReader): Omit<DataMessageHeader, 'ciphertext'> {
  const version = r.short('protocol version');
  if (version !== PROTOCOL_VERSION_4) throw new OtrError('unsupported-version', `not an OTRv4 message (version ${version})`);
  const type = r.byte('message type');
  if (type !== DATA_MESSAGE_TYPE) throw malformed('not a data message');
  const senderTag = r.int('sender instance tag');
  const receiverTag = r.int('receiver instance tag');
  const flags = r.byte('flags');
  const previousChainLength = r.int('previous chain message number');
  const ratchetId = r.int('ratchet id');
  const messageId = r.int('message id');
  const ecdh = r.fixed(POINT_BYTES, 'public ECDH key');
  const dhBytes = r.data('public DH key');
  if (dhBytes.length > DH3072_BYTES) throw malformed('public DH key longer than 384 bytes');
  if (dhBytes.length > 0 && dhBytes[0] === 0) throw malformed('non-minimal public DH key');
  let dh: bigint | null = null;
  if (dhBytes.length > 0) {
    dh = 0n;
    for (const b of dhBytes) dh = (dh << 8n) | BigInt(b);
    if (dh >= DH3072_P) throw malformed('public DH key out of range');
  }
  return { senderTag, receiverTag, flags, previousChainLength, ratchetId, messageId, ecdh, dh };
}

/**
 * Parses a binary OTRv4 data message (already base64-decoded). Throws OtrError('malformed' or
 * 'unsupported-version') only.
 */
export function decodeDataMessage(bytes: Uint8Array): DecodedDataMessage {
  const r = new ByteReader(bytes);
  const header = readHeader(r);
  const ciphertext = r.data('encrypted message');
  const authenticatedLength = r.position;
  const authenticator = r.fixed(MAC_BYTES, 'authenticator');
  const revealedMacKeys = r.data('old MAC keys');
  if (revealedMacKeys.length % MAC_BYTES !== 0) throw malformed('old MAC keys are not 64-byte values');
  r.end('data message');
  return { ...header, ciphertext, authenticator, revealedMacKeys, authenticated: bytes.slice(0, authenticatedLength) };
}

/**
 * The unauthenticated header only (tags, flags, ids), e.g. to decide whether to answer an
 * unreadable message with ERROR_1 (IGNORE_UNREADABLE) or to route by instance tag.
 */
export function peekDataMessageHeader(bytes: Uint8Array): Omit<DataMessageHeader, 'ciphertext'> {
  return readHeader(new ByteReader(bytes));
}

/** Splits the concatenated revealed MAC keys into 64-byte keys. */
export function splitMacKeys(concatenated: Uint8Array): Uint8Array[] {
  if (concatenated.length % MAC_BYTES !== 0) throw malformed('old MAC keys are not 64-byte values');
  const out: Uint8Array[] = [];
  for (let o = 0; o < concatenated.length; o += MAC_BYTES) out.push(concatenated.slice(o, o + MAC_BYTES));
  return out;
}

/** §"When you send a Data Message": ChaCha20 with the first 32 bytes of MKenc and nonce 0. */
export function chachaXor(mkEnc: Uint8Array, data: Uint8Array): Uint8Array {
  if (mkEnc.length < 32) throw new RangeError('MKenc must be at least 32 bytes');
  return chacha20(mkEnc.subarray(0, 32), ZERO_NONCE, data);
}

/** Authenticator = KDF(usage_authenticator ‖ MKmac ‖ data_message_sections, 64) */
export function computeAuthenticator(mkMac: Uint8Array, sections: Uint8Array): Uint8Array {
  return kdf(Usage.authenticator, [mkMac, sections], MAC_BYTES);
}

/** constant-time check of the authenticator of a decoded message */
export function verifyAuthenticator(mkMac: Uint8Array, m: DecodedDataMessage): boolean {
  return equalBytes(computeAuthenticator(mkMac, m.authenticated), m.authenticator);
}

/**
 * Builds and encodes a complete data message: encrypts `plaintext` under MKenc, authenticates
 * under MKmac and appends the MAC keys to reveal.
 */
export function sealDataMessage(
  header: Omit<DataMessageHeader, 'ciphertext'>,
  plaintext: Uint8Array,
  mkEnc: Uint8Array,
  mkMac: Uint8Array,
  revealedMacKeys: Uint8Array,
): Uint8Array {
  const ciphertext = chachaXor(mkEnc, plaintext);
  const sections = encodeDataMessageSections({ ...header, ciphertext });
  const authenticator = computeAuthenticator(mkMac, sections);
  return new ByteWriter().bytes(sections).bytes(authenticator).data(revealedMacKeys).finish();
}
