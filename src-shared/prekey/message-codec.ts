// What every OTRv4 Prekey Server message shares (otrv4-prekey-server.md §"Key Exchange" and the
// message sections; otr-implementer-notes.md §14): the type bytes, the field sizes, the
// `SHORT version || BYTE type` header and the checks the family codecs (dake-messages.ts,
// publication-messages.ts, status-messages.ts, ensemble-messages.ts) run on what they write and
// read. The spec asks receivers to accept "0x0004 or a higher version"; the layouts are the
// version-4 ones, so a higher version is accepted and reported for the caller to decide.
import { type ByteReader, type ByteWriter } from '../otr/common/bytes';
import { OtrError, malformed } from '../otr/common/errors';
import { PUBKEY_TYPE_ED448 } from '../otr/v4/key-type';

export const PREKEY_PROTOCOL_VERSION = 4;

export const PrekeyMessageType = {
  dake1: 0x35,
  dake2: 0x36,
  dake3: 0x37,
  publication: 0x08,
  storageInfoRequest: 0x09,
  storageStatus: 0x0b,
  success: 0x06,
  failure: 0x05,
  ensembleQuery: 0x10,
  ensembleRetrieval: 0x13,
  noPrekeyEnsembles: 0x0e,
} as const;

export const POINT_BYTES = 57;
export const SCALAR_BYTES = 57;
export const MAC_BYTES = 64;
export const RING_SIG_BYTES = 6 * SCALAR_BYTES;
/** ED448-PUBKEY's type, written little-endian (otr/v4/key-type.ts) */
export const ED448_PUBKEY_TYPE = PUBKEY_TYPE_ED448;
/** identities are bare JIDs (RFC 7622 caps each part at 1023 bytes) */
const MAX_IDENTITY_BYTES = 3071;

export const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export function header(w: ByteWriter, type: number, version = PREKEY_PROTOCOL_VERSION): ByteWriter {
  return w.short(version).byte(type);
}

export function checkTag(tag: number, what: string): void {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xffffffff) throw malformed(`${what} is not an INT`);
}

export function checkLen(b: Uint8Array, n: number, what: string): void {
  if (b.length !== n) throw malformed(`${what} must be ${n} bytes`);
}

export function readVersion(r: ByteReader): number {
  const version = r.short('protocol version');
  if (version < PREKEY_PROTOCOL_VERSION) {
    throw new OtrError('unsupported-version', `prekey server protocol version ${version} is not supported`);
  }
  return version;
}

export function readString(r: ByteReader, what: string, max = MAX_IDENTITY_BYTES): string {
  const b = r.data(what);
  if (b.length > max) throw malformed(`${what} too long`);
  try {
    return utf8Decoder.decode(b);
  } catch {
    throw malformed(`${what} is not UTF-8`);
  }
}
