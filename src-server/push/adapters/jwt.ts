// Compact JWS/JWT signing (RFC 7515 §7.1, RFC 7519) for the adapters' provider tokens:
// ES256 (RFC 7518 §3.4: the signature is r ‖ s, 64 bytes, not DER) for APNs and VAPID, RS256
// (RFC 7518 §3.3) for Google's OAuth 2.0 service-account assertion (RFC 7523).
import { sign, type KeyObject } from 'node:crypto';

const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export function signJwt(alg: 'ES256' | 'RS256', header: Record<string, unknown>, claims: Record<string, unknown>, key: KeyObject): string {
  if (alg === 'ES256' && (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1'))
    throw new TypeError('ES256 needs a P-256 private key');
  if (alg === 'RS256' && key.asymmetricKeyType !== 'rsa') throw new TypeError('RS256 needs an RSA private key');
  const input = `${b64u(JSON.stringify({ ...header, alg, typ: 'JWT' }))}.${b64u(JSON.stringify(claims))}`;
  const sig = alg === 'ES256' ? sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }) : sign('sha256', Buffer.from(input), key);
  return `${input}.${b64u(sig)}`;
}
