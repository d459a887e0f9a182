// Native base64 (Node's Buffer) for `?OTR:` messages, injected into the pure library through its
// symmetric engine (src-shared/otr/v3/symmetric.ts `base64`), because the pure codec builds its
// text one character at a time and was ~4 % of a one-way data message (docs/performance.md).
// Buffer's decoder is lenient (it skips bad characters, accepts the URL-safe alphabet and stops at
// '='); the library's is strict (RFC 4648 §4 alphabet, correct padding, zero trailing bits). So a
// decoded text is accepted only if it is exactly the canonical encoding of what it decoded to
// (padding optional, as in base64Decode); anything else goes to the pure decoder, which throws the
// precise OtrError('malformed').
import { pureBase64, type Base64Codec } from '../otr/common/base64';

const EQ = 0x3d; // '='

/** `text` is `canon`, or `canon` without its padding (padding, when present, must be whole) */
function isCanonical(text: string, canon: string): boolean {
  if (text === canon) return true;
  if (text.length > 0 && text.charCodeAt(text.length - 1) === EQ) return false;
  const extra = canon.length - text.length;
  if (extra < 1 || extra > 2 || !canon.startsWith(text)) return false;
  for (let i = text.length; i < canon.length; i++) if (canon.charCodeAt(i) !== EQ) return false;
  return true;
}

export const nativeBase64: Base64Codec = {
  encode: (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
  decode(text) {
    const b = Buffer.from(text, 'base64');
    if (!isCanonical(text, b.toString('base64'))) return pureBase64.decode(text);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  },
};
