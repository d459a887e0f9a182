// Random identifiers, hashed bearer secrets and password hashes.
//
// Passwords: scrypt (RFC 7914) from node:crypto, parameters stored with each hash so they can be
// raised later. Bearer secrets (auth tokens, desktop channel secrets, whitelist tokens) are high
// entropy random values, so a single SHA-256 is enough to store them: a database leak does not
// reveal usable tokens, and lookups by hash do not leak timing about the secret itself.
import { createHash, randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';

/** Random bytes are drawn from the CSPRNG in blocks and each byte is used once: one
 * randomBytes call costs ≈ 5 µs whatever its size, and a relayed knock needs several ids. */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolAt = 0;

/** 128-bit random id, base64url (22 chars) */
export function randomId(): string {
  if (poolAt + 16 > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolAt = 0;
  }
  const id = pool.toString('base64url', poolAt, poolAt + 16);
  poolAt += 16;
  return id;
}
export function uuid(): string {
  return randomUUID();
}
/** 256-bit bearer secret, base64url (43 chars) */
export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}
/** ChatSecure whitelist token: 20 random bytes as 40 hex characters (NOTES.md 2) */
export function randomWhitelistToken(): string {
  return randomBytes(20).toString('hex');
}
export function sha256hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

export interface ScryptParams {
  /** log2 of N */
  logN: number;
  r: number;
  p: number;
}
export const DEFAULT_SCRYPT: ScryptParams = { logN: 15, r: 8, p: 1 };

function scryptAsync(password: string, salt: Buffer, p: ScryptParams): Promise<Buffer> {
  const N = 2 ** p.logN;
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, 32, { N, r: p.r, p: p.p, maxmem: 256 * N * p.r + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** "scrypt$logN$r$p$salt$hash" (salt and hash base64url) */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, params);
  return ['scrypt', params.logN, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Constant-time comparison. A malformed stored hash verifies as false. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [logN, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![logN, r, p].every((n) => Number.isInteger(n) && n > 0) || logN > 22) return false;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const want = Buffer.from(parts[5]!, 'base64url');
  const got = await scryptAsync(password, salt, { logN, r, p });
  return want.length === got.length && timingSafeEqual(want, got);
}
