// Byte helpers of the group protocol: unambiguous concatenation for signed and associated data,
// constant-time comparison (the nonce check of step 5), and base64 for the JSON wire format.
import { base64Decode, base64Encode } from '../otr/common/base64';
import { groupError } from './errors';

const enc = new TextEncoder();

export { framed } from '../encoding/framed';

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** constant-time equality (a timing difference must not reveal how much of a nonce matched) */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

export const b64 = (b: Uint8Array): string => base64Encode(b);

/** strict base64 of an exact length (or at most `max` bytes when `exact` is omitted) */
export function unb64(text: string, what: string, exact?: number, max = 1 << 20): Uint8Array {
  let out: Uint8Array;
  try {
    out = base64Decode(text);
  } catch {
    throw groupError('malformed', `${what} is not base64`);
  }
  if (exact !== undefined && out.length !== exact) throw groupError('malformed', `${what} must be ${exact} bytes`);
  if (out.length > max) throw groupError('malformed', `${what} is too long`);
  return out;
}

export const utf8 = (s: string): Uint8Array => enc.encode(s);
export const fromUtf8 = (b: Uint8Array): string => new TextDecoder('utf-8', { fatal: true }).decode(b);
