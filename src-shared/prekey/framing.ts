// §"Encoded Messages": a prekey server message travels as the base-64 encoding of its binary form
// followed by "." (no "?OTR:" prefix; otr-implementer-notes.md §14.1).
import { malformed } from '../otr/common/errors';

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** bodies beyond this are refused before decoding (a 255-prekey publication is ~130 KiB) */
export const MAX_ENCODED_BODY_CHARS = 512 * 1024;

export function encodeBody(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return `${btoa(bin)}.`;
}

/** strict: canonical base-64, terminated by exactly one "." */
export function decodeBody(text: string): Uint8Array {
  const body = text.trim();
  if (body.length > MAX_ENCODED_BODY_CHARS) throw malformed('encoded message too long');
  if (!body.endsWith('.')) throw malformed('encoded message must end with "."');
  const b64 = body.slice(0, -1);
  if (!B64.test(b64)) throw malformed('encoded message is not base-64');
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** true if a stanza body looks like a (possibly fragmented) prekey server message */
export function looksLikePrekeyMessage(text: string): boolean {
  const t = text.trim();
  return t.startsWith('?OTRP|') || (t.startsWith('AAQ') && t.endsWith('.'));
}
