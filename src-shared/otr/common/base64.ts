// Base64 (RFC 4648 §4, standard alphabet, with padding) for the `?OTR:…` encoded messages of
// OTRv3 §"Encoded messages" and OTRv4 §"Encoded Messages". Written here because the library is pure
// (no Node Buffer) and must reject bad input with OtrError('malformed') only.
import { malformed } from './errors';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) t[ALPHABET.charCodeAt(i)] = i;
  return t;
})();

export function base64Encode(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[(n >>> 18) & 63]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[(n >>> 18) & 63]! + ALPHABET[(n >>> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[(n >>> 18) & 63]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]! + '=';
  }
  return out;
}

/**
 * Strict decoder: standard alphabet only; padding optional but, if present, correct; the unused
 * low bits of the last symbol must be zero (so every byte string has exactly one encoding).
 */
export function base64Decode(text: string): Uint8Array {
  let s = text;
  let pad = 0;
  while (pad < 2 && s.endsWith('=')) {
    s = s.slice(0, -1);
    pad++;
  }
  if (pad > 0 && (s.length + pad) % 4 !== 0) throw malformed('base64 padding');
  if (s.length % 4 === 1) throw malformed('base64 length');
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? LOOKUP[c]! : -1;
    if (v < 0) throw malformed('base64 character');
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) throw malformed('base64 trailing bits');
  return out;
}

/**
 * The codec of `?OTR:` messages, injectable like the v3 symmetric engine (v3/symmetric.ts): the
 * app hands in a native one (src-shared/node-crypto/base64-codec.ts), which must be exactly as
 * strict as base64Decode (same accepted inputs, OtrError('malformed') for the rest).
 */
export interface Base64Codec {
  encode(bytes: Uint8Array): string;
  decode(text: string): Uint8Array;
}

export const pureBase64: Base64Codec = { encode: base64Encode, decode: base64Decode };
