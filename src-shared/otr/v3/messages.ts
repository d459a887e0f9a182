// Binary OTRv3 messages (OTRv3 §"D-H Commit Message", §"D-H Key Message", §"Reveal Signature
// Message", §"Signature Message", §"Data Message"). Every message starts SHORT 0x0003 ‖ BYTE type
// ‖ INT sender instance tag ‖ INT receiver instance tag. OTR version 2 messages have the same
// layout with SHORT 0x0002 and no instance tags (OTRv3 §"Policies" ALLOW_V2; the v2 spec's
// message formats); they decode with both tags 0. Decoding throws only OtrError.
import { ByteReader, ByteWriter } from '../common/bytes';
import { malformed, OtrError } from '../common/errors';
import { readMpi, writeMpi } from './mpi';

export const PROTOCOL_VERSION = 3;
export const V2_PROTOCOL_VERSION = 2;
export const MessageType = {
  dhCommit: 0x02,
  data: 0x03,
  dhKey: 0x0a,
  revealSignature: 0x11,
  signature: 0x12,
} as const;

export const MAC_BYTES = 20;
export const CTR_BYTES = 8;
/** §"Data Message" flags */
export const FLAG_IGNORE_UNREADABLE = 0x01;

export interface Header {
  senderTag: number;
  receiverTag: number;
  /** 2: the version 2 layout (no instance tags are written); absent: 3 */
  version?: 2 | 3;
}

export type V3Message =
  | (Header & { type: 'dh-commit'; encryptedGx: Uint8Array; hashedGx: Uint8Array })
  | (Header & { type: 'dh-key'; gy: bigint })
  | (Header & { type: 'reveal-signature'; revealedKey: Uint8Array; encryptedSignature: Uint8Array; mac: Uint8Array })
  | (Header & { type: 'signature'; encryptedSignature: Uint8Array; mac: Uint8Array })
  | (Header & DataMessageFields & { type: 'data' });

export interface DataMessageFields {
  flags: number;
  senderKeyId: number;
  recipientKeyId: number;
  /**
   * the next D-H public key as the MPI's minimal big-endian bytes: a receiver converts it to a
   * number only when it rotates to it (most messages repeat the key the receiver already has)
   */
  nextDh: Uint8Array;
  ctr: Uint8Array;
  encrypted: Uint8Array;
  mac: Uint8Array;
  oldMacKeys: Uint8Array;
  /** the bytes the MAC covers: from the protocol version to the end of the encrypted message */
  authenticated: Uint8Array;
}

function header(type: number, h: Header): ByteWriter {
  if (h.version === V2_PROTOCOL_VERSION) return new ByteWriter().short(V2_PROTOCOL_VERSION).byte(type);
  return new ByteWriter().short(PROTOCOL_VERSION).byte(type).int(h.senderTag).int(h.receiverTag);
}

export function encodeDhCommit(h: Header, encryptedGx: Uint8Array, hashedGx: Uint8Array): Uint8Array {
  return header(MessageType.dhCommit, h).data(encryptedGx).data(hashedGx).finish();
}
export function encodeDhKey(h: Header, gy: bigint): Uint8Array {
  return writeMpi(header(MessageType.dhKey, h), gy).finish();
}
export function encodeRevealSignature(h: Header, revealedKey: Uint8Array, encryptedSignature: Uint8Array, mac: Uint8Array): Uint8Array {
  return header(MessageType.revealSignature, h).data(revealedKey).data(encryptedSignature).bytes(mac).finish();
}
export function encodeSignature(h: Header, encryptedSignature: Uint8Array, mac: Uint8Array): Uint8Array {
  return header(MessageType.signature, h).data(encryptedSignature).bytes(mac).finish();
}

// The data message is every message of a conversation: it is written into one array of its exact
// size and read with views, not through ByteWriter / ByteReader, whose per-field arrays made the
// garbage collector the largest cost of a one-way message (profile in docs/performance.md).
function putInt(out: Uint8Array, at: number, v: number): number {
  out[at] = v >>> 24;
  out[at + 1] = v >>> 16;
  out[at + 2] = v >>> 8;
  out[at + 3] = v;
  return at + 4;
}
function getInt(b: Uint8Array, at: number, what: string): number {
  if (at + 4 > b.length) throw malformed(`truncated ${what}`);
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}
function view(b: Uint8Array, at: number, n: number, what: string): Uint8Array {
  if (at + n > b.length) throw malformed(`truncated ${what}`);
  return b.subarray(at, at + n);
}

/** version (2 or 3), type and, for version 3, the instance tags, read in place (every message is routed by them) */
function readHeader(bytes: Uint8Array): Header & { version: 2 | 3; messageType: number } {
  if (bytes.length < 2) throw malformed('truncated protocol version');
  const version = (bytes[0]! << 8) | bytes[1]!;
  if (version !== PROTOCOL_VERSION && version !== V2_PROTOCOL_VERSION) throw new OtrError('unsupported-version', `protocol version ${version}`);
  if (bytes.length < 3) throw malformed('truncated message type');
  const messageType = bytes[2]!;
  if (version === V2_PROTOCOL_VERSION) return { version, messageType, senderTag: 0, receiverTag: 0 };
  return { version, messageType, senderTag: getInt(bytes, 3, 'sender instance tag'), receiverTag: getInt(bytes, 7, 'receiver instance tag') };
}

/**
 * Lays out a whole data message (§"Data Message") in one array of its exact size, leaving the
 * encrypted message (`encLength` bytes at `encAt`) and the MAC (at `macAt`, over bytes 0…macAt)
 * for the caller to write in place: no part is built separately and copied in. `scratch(n)`, if
 * given, supplies the n-byte array to write into (a sender's reused buffer: data-session.ts).
 */
export function layoutDataMessage(
  h: Header,
  f: Pick<DataMessageFields, 'flags' | 'senderKeyId' | 'recipientKeyId' | 'nextDh' | 'ctr' | 'oldMacKeys'>,
  encLength: number,
  scratch?: (n: number) => Uint8Array,
): { bytes: Uint8Array; encAt: number; macAt: number } {
  if (f.ctr.length !== CTR_BYTES) throw new RangeError('CTR must be 8 bytes');
  const v2 = h.version === V2_PROTOCOL_VERSION;
  const macAt = (v2 ? 3 : 11) + 1 + 4 + 4 + 4 + f.nextDh.length + CTR_BYTES + 4 + encLength;
  const n = macAt + MAC_BYTES + 4 + f.oldMacKeys.length;
  // every byte is written below (ciphertext and MAC by the caller), so a reused array may be given
  const out = scratch ? scratch(n) : new Uint8Array(n);
  out[0] = 0;
  out[1] = v2 ? V2_PROTOCOL_VERSION : PROTOCOL_VERSION;
  out[2] = MessageType.data;
  let at = 3;
  if (!v2) at = putInt(out, putInt(out, at, h.senderTag), h.receiverTag);
  out[at++] = f.flags;
  at = putInt(out, putInt(out, at, f.senderKeyId), f.recipientKeyId);
  at = putInt(out, at, f.nextDh.length);
  out.set(f.nextDh, at);
  at += f.nextDh.length;
  out.set(f.ctr, at);
  const encAt = putInt(out, at + CTR_BYTES, encLength);
  out.set(f.oldMacKeys, putInt(out, macAt + MAC_BYTES, f.oldMacKeys.length));
  return { bytes: out, encAt, macAt };
}

/**
 * A data message whose header ends at `at`. The object is written out in full rather than as
 * `{ ...header, … }`: V8 turns a spread followed by ten more properties into a slow dictionary
 * object, which cost a quarter of receiving a data message (profile in docs/performance.md).
 */
function decodeDataFields(bytes: Uint8Array, at: number, senderTag: number, receiverTag: number): Header & DataMessageFields & { type: 'data' } {
  if (at + 1 > bytes.length) throw malformed('truncated flags');
  const flags = bytes[at]!;
  const senderKeyId = getInt(bytes, at + 1, 'sender keyid');
  const recipientKeyId = getInt(bytes, at + 5, 'recipient keyid');
  const nextDhLen = getInt(bytes, at + 9, 'next DH length');
  const nextDh = view(bytes, at + 13, nextDhLen, 'next DH');
  if (nextDh.length > 0 && nextDh[0] === 0) throw malformed('non-minimal next DH'); // §"Data types": MPIs are minimal
  let p = at + 13 + nextDhLen;
  const ctr = view(bytes, p, CTR_BYTES, 'CTR');
  const encLen = getInt(bytes, p + CTR_BYTES, 'encrypted message length');
  p += CTR_BYTES + 4;
  const encrypted = view(bytes, p, encLen, 'encrypted message');
  p += encLen;
  const authenticated = bytes.subarray(0, p);
  const mac = view(bytes, p, MAC_BYTES, 'MAC');
  const oldLen = getInt(bytes, p + MAC_BYTES, 'old MAC keys length');
  const oldMacKeys = view(bytes, p + MAC_BYTES + 4, oldLen, 'old MAC keys');
  if (oldMacKeys.length % MAC_BYTES !== 0) throw malformed('old MAC keys length');
  if (p + MAC_BYTES + 4 + oldLen !== bytes.length) throw malformed('trailing bytes after OTRv3 message');
  return { senderTag, receiverTag, type: 'data', flags, senderKeyId, recipientKeyId, nextDh, ctr, encrypted, mac, oldMacKeys, authenticated };
}

/** Reads just the header (for routing by version and instance tag before full parsing). */
export function decodeHeader(bytes: Uint8Array): Header & { version: 2 | 3; messageType: number } {
  return readHeader(bytes);
}

/** Decodes a version 3 or version 2 message (`version` tells which). */
export function decodeV3Message(bytes: Uint8Array): V3Message {
  const { version, messageType: type, senderTag, receiverTag } = readHeader(bytes);
  const at = version === V2_PROTOCOL_VERSION ? 3 : 11;
  if (type === MessageType.data) {
    const d: V3Message = decodeDataFields(bytes, at, senderTag, receiverTag);
    if (version === V2_PROTOCOL_VERSION) d.version = version; // afterwards: rare
    return d;
  }
  const h: Header = version === V2_PROTOCOL_VERSION ? { senderTag, receiverTag, version } : { senderTag, receiverTag };
  const r = new ByteReader(bytes.subarray(at));
  let m: V3Message;
  switch (type) {
    case MessageType.dhCommit:
      m = { ...h, type: 'dh-commit', encryptedGx: r.data('encrypted gx'), hashedGx: r.data('hashed gx') };
      if (m.hashedGx.length !== 32) throw malformed('hashed gx length');
      break;
    case MessageType.dhKey:
      m = { ...h, type: 'dh-key', gy: readMpi(r, 'gy') };
      break;
    case MessageType.revealSignature:
      m = {
        ...h,
        type: 'reveal-signature',
        revealedKey: r.data('revealed key'),
        encryptedSignature: r.data('encrypted signature'),
        mac: r.fixed(MAC_BYTES, 'MAC'),
      };
      if (m.revealedKey.length !== 16) throw malformed('revealed key length');
      break;
    case MessageType.signature:
      m = { ...h, type: 'signature', encryptedSignature: r.data('encrypted signature'), mac: r.fixed(MAC_BYTES, 'MAC') };
      break;
    default:
      throw malformed(`unknown OTRv3 message type 0x${type.toString(16)}`);
  }
  r.end('OTRv3 message');
  return m;
}
