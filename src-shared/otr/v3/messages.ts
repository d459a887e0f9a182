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

/** reads version (2 or 3), type and, for version 3, the instance tags */
function readHeader(r: ByteReader): Header & { version: 2 | 3; messageType: number } {
  const version = r.short('protocol version');
  if (version !== PROTOCOL_VERSION && version !== V2_PROTOCOL_VERSION) throw new OtrError('unsupported-version', `protocol version ${version}`);
  const messageType = r.byte('message type');
  if (version === V2_PROTOCOL_VERSION) return { version, messageType, senderTag: 0, receiverTag: 0 };
  return { version, messageType, senderTag: r.int('sender instance tag'), receiverTag: r.int('receiver instance tag') };
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

/** the MAC'd part of a data message (§"Data Message": version … encrypted message) */
export function encodeDataAuthenticated(h: Header, f: Pick<DataMessageFields, 'flags' | 'senderKeyId' | 'recipientKeyId' | 'nextDh' | 'ctr' | 'encrypted'>): Uint8Array {
  if (f.ctr.length !== CTR_BYTES) throw new RangeError('CTR must be 8 bytes');
  return header(MessageType.data, h).byte(f.flags).int(f.senderKeyId).int(f.recipientKeyId).data(f.nextDh).bytes(f.ctr).data(f.encrypted).finish();
}
export function encodeDataMessage(authenticated: Uint8Array, mac: Uint8Array, oldMacKeys: Uint8Array): Uint8Array {
  return new ByteWriter().bytes(authenticated).bytes(mac).data(oldMacKeys).finish();
}

/** Reads just the header (for routing by version and instance tag before full parsing). */
export function decodeHeader(bytes: Uint8Array): Header & { version: 2 | 3; messageType: number } {
  return readHeader(new ByteReader(bytes));
}

/** Decodes a version 3 or version 2 message (`version` tells which). */
export function decodeV3Message(bytes: Uint8Array): V3Message {
  const r = new ByteReader(bytes);
  const { version, messageType: type, senderTag, receiverTag } = readHeader(r);
  const h: Header = version === V2_PROTOCOL_VERSION ? { senderTag, receiverTag, version } : { senderTag, receiverTag };
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
      m = { ...h, type: 'reveal-signature', revealedKey: r.data('revealed key'), encryptedSignature: r.data('encrypted signature'), mac: r.fixed(MAC_BYTES, 'MAC') };
      if (m.revealedKey.length !== 16) throw malformed('revealed key length');
      break;
    case MessageType.signature:
      m = { ...h, type: 'signature', encryptedSignature: r.data('encrypted signature'), mac: r.fixed(MAC_BYTES, 'MAC') };
      break;
    case MessageType.data: {
      const flags = r.byte('flags');
      const senderKeyId = r.int('sender keyid');
      const recipientKeyId = r.int('recipient keyid');
      const nextDh = r.data('next DH');
      if (nextDh.length > 0 && nextDh[0] === 0) throw malformed('non-minimal next DH'); // §"Data types": MPIs are minimal
      const ctr = r.fixed(CTR_BYTES, 'CTR');
      const encrypted = r.data('encrypted message');
      const authenticated = bytes.slice(0, r.position);
      const mac = r.fixed(MAC_BYTES, 'MAC');
      const oldMacKeys = r.data('old MAC keys');
      if (oldMacKeys.length % MAC_BYTES !== 0) throw malformed('old MAC keys length');
      // written out rather than `{ ...h, … }`: V8 turns a spread followed by ten more properties
      // into a slow dictionary object, which cost a quarter of receiving a data message (profile
      // in docs/performance.md); a version 2 message gets its `version` afterwards (rare)
      m = { senderTag: h.senderTag, receiverTag: h.receiverTag, type: 'data', flags, senderKeyId, recipientKeyId, nextDh, ctr, encrypted, mac, oldMacKeys, authenticated };
      if (h.version !== undefined) m.version = h.version;
      break;
    }
    default:
      throw malformed(`unknown OTRv3 message type 0x${type.toString(16)}`);
  }
  r.end('OTRv3 message');
  return m;
}
