// Classification of an incoming chat message and the `?OTR:` envelope shared by OTRv3 and OTRv4
// (OTRv3 §"Encoded messages", §"Receiving Fragments"; OTRv4 §"Encoded Messages", §"Fragmentation").
// Version-neutral: the caller decides what to do with each kind. The order of the checks follows
// the specs: fragments (`?OTR|`, and v2's `?OTR,`) before `?OTR:`; then errors, queries, and
// plaintext possibly carrying a whitespace tag.
import { pureBase64, type Base64Codec } from './base64';
import { malformed } from './errors';
import { parseErrorMessage } from './error-message';
import { parseQueryMessage } from './query';
import { findWhitespaceTag } from './whitespace';

export const ENCODED_PREFIX = '?OTR:';
export const ENCODED_SUFFIX = '.';

/** `?OTR:` ‖ base64(bytes) ‖ `.` */
export function encodeOtrMessage(bytes: Uint8Array, codec: Base64Codec = pureBase64): string {
  return ENCODED_PREFIX + codec.encode(bytes) + ENCODED_SUFFIX;
}

/**
 * Decodes the first `?OTR:…​.` in `text` (libotr accepts it anywhere in the message and ignores
 * what follows the dot). Throws OtrError('malformed') when the dot is missing or the base64 is bad.
 */
export function decodeOtrMessage(text: string): Uint8Array {
  return decodeAt(text, text.indexOf(ENCODED_PREFIX), pureBase64);
}

function decodeAt(text: string, start: number, codec: Base64Codec): Uint8Array {
  if (start < 0) throw malformed('not an encoded OTR message');
  const end = text.indexOf(ENCODED_SUFFIX, start + ENCODED_PREFIX.length);
  if (end < 0) throw malformed('encoded OTR message without terminating "."');
  return codec.decode(text.slice(start + ENCODED_PREFIX.length, end));
}

export type IncomingMessage =
  /** `?OTR|…` (v3/v4) or `?OTR,…` (v2): hand to the fragment parser of the version */
  | { kind: 'fragment'; text: string }
  /** `?OTR:…` decoded; version and type are the first three bytes (undefined if too short) */
  | { kind: 'encoded'; bytes: Uint8Array; version: number | undefined; messageType: number | undefined }
  /** an OTR error message; `message` is the human-readable part */
  | { kind: 'error'; message: string }
  /** a query message; `versions` lists every version offered (1 for `?OTR?`), `text` the whole message */
  | { kind: 'query'; versions: number[]; text: string }
  /** anything else; `text` has the whitespace tag removed, `tagVersions` the versions it offered (empty if untagged) */
  | { kind: 'plaintext'; text: string; tagVersions: number[] };

/** Sorts out what an incoming message is. Throws only OtrError('malformed') (bad `?OTR:` base64). */
export function classifyMessage(text: string, codec: Base64Codec = pureBase64): IncomingMessage {
  // the common case, a whole encoded message, is told by one scan for '?OTR' (no regex, no split)
  const otr = text.indexOf('?OTR');
  if (otr >= 0 && (text.includes('?OTR|', otr) || text.startsWith('?OTR,'))) return { kind: 'fragment', text };
  const encoded = otr < 0 ? -1 : text.indexOf(ENCODED_PREFIX, otr);
  if (encoded >= 0) {
    const bytes = decodeAt(text, encoded, codec);
    return {
      kind: 'encoded',
      bytes,
      version: bytes.length >= 2 ? (bytes[0]! << 8) | bytes[1]! : undefined,
      messageType: bytes.length >= 3 ? bytes[2] : undefined,
    };
  }
  const err = parseErrorMessage(text);
  if (err !== undefined) return { kind: 'error', message: err };
  const q = parseQueryMessage(text);
  if (q !== undefined) return { kind: 'query', versions: q, text };
  const ws = findWhitespaceTag(text);
  if (ws) return { kind: 'plaintext', text: ws.text, tagVersions: ws.versions };
  return { kind: 'plaintext', text, tagVersions: [] };
}
