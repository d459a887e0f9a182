// base64url without padding (RFC 4648 §5), the encoding of every binary field of the push wire
// formats. Decoding is strict: a string that does not re-encode to itself is refused, so one
// value has exactly one spelling (ids compared as strings must not have aliases).

export class Base64UrlError extends Error {
  override readonly name = 'Base64UrlError';
}

export function b64urlEncode(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

export function b64urlDecode(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Base64UrlError('not base64url');
  const buf = Buffer.from(text, 'base64url');
  if (buf.toString('base64url') !== text) throw new Base64UrlError('non-canonical base64url');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
