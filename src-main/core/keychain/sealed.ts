// Sealing a secret for storage in the profile database with the data key from the keychain:
// AES-256-GCM (NIST SP 800-38D) with a random 96-bit IV (§8.2.2, at most 2^32 seals per key is
// far beyond what a profile writes) and the record's name as additional authenticated data, so a
// sealed value copied to another row or account does not open. The database is SQLCipher-
// encrypted already; this keeps the OTR keys unreadable to anything holding only the database
// key (a copied database and a leaked or re-used database key) and binds each value to its row.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SealError extends Error {
  override readonly name = 'SealError';
}

/** "v1." + base64(iv ‖ ciphertext ‖ tag) */
export function seal(key: Uint8Array, plaintext: string, aad: string): string {
  if (key.length !== 32) throw new SealError('the data key must be 32 bytes');
  const iv = randomBytes(IV_BYTES);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
  return `${VERSION}.${Buffer.concat([iv, body, c.getAuthTag()]).toString('base64')}`;
}

/** Throws SealError when the value is not ours, was changed, or belongs to another name or key. */
export function unseal(key: Uint8Array, sealed: string, aad: string): string {
  if (key.length !== 32) throw new SealError('the data key must be 32 bytes');
  const dot = sealed.indexOf('.');
  if (dot < 0 || sealed.slice(0, dot) !== VERSION) throw new SealError('not a sealed value of this version');
  const raw = Buffer.from(sealed.slice(dot + 1), 'base64');
  if (raw.length < IV_BYTES + TAG_BYTES) throw new SealError('sealed value too short');
  try {
    const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    d.setAAD(Buffer.from(aad, 'utf8'));
    d.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    return Buffer.concat([d.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), d.final()]).toString('utf8');
  } catch {
    throw new SealError('sealed value does not authenticate');
  }
}
