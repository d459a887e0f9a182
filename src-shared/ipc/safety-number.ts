// The safety number: a short code both sides of a private conversation compute the same from the
// two OTR fingerprints, to compare out of band instead of 2 x 112 hex digits (issue 15,
// "Verification"; construction in docs/otr-in-the-app.md §"Safety numbers").
//
//   digest = SHA-512( "messenger safety number v1" || 0x00 || min(fa, fb) || 0x00 || max(fa, fb) )
//
// where fa, fb are the two fingerprints as lowercase hex (ASCII), ordered by string comparison so
// the number does not depend on who computes it. The first 60 bytes of the digest are cut into 12
// chunks of 5 bytes; each chunk, read as a big-endian 40-bit integer, modulo 100000 gives a group
// of 5 decimal digits (the bias of 2^40 mod 10^5 is below 10^-7 per group). The version tag makes
// a later change of construction show different digits rather than silently equal ones.
//
// Pure: WebCrypto's SHA-512 is in every runtime that loads this room (browser, Electron, Node >= 20).

export const SAFETY_NUMBER_TAG = 'messenger safety number v1';
export const SAFETY_NUMBER_GROUPS = 12;
export const SAFETY_NUMBER_DIGITS = SAFETY_NUMBER_GROUPS * 5;

export class SafetyNumberInputError extends Error {
  override readonly name = 'SafetyNumberInputError';
}

const FINGERPRINT = /^(?:[0-9a-f]{40}|[0-9a-f]{112})$/;

function normalise(fp: string): string {
  const hex = fp.replace(/\s+/g, '').toLowerCase();
  if (!FINGERPRINT.test(hex)) throw new SafetyNumberInputError('a fingerprint is 40 (OTRv3) or 112 (OTRv4) hex digits');
  return hex;
}

/** The 60 digits (no spaces) for the pair of fingerprints, in either order. */
export async function safetyNumber(fingerprintA: string, fingerprintB: string): Promise<string> {
  const a = normalise(fingerprintA);
  const b = normalise(fingerprintB);
  if (a.length !== b.length) throw new SafetyNumberInputError('both fingerprints must be of the same OTR version');
  const [lo, hi] = a <= b ? [a, b] : [b, a];
  const input = new TextEncoder().encode(`${SAFETY_NUMBER_TAG}\u0000${lo}\u0000${hi}`);
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-512', input));
  let out = '';
  for (let g = 0; g < SAFETY_NUMBER_GROUPS; g++) {
    let v = 0;
    // 40 bits stay exact in a double (< 2^53)
    for (let i = 0; i < 5; i++) v = v * 256 + digest[g * 5 + i]!;
    out += String(v % 100000).padStart(5, '0');
  }
  return out;
}

/** The digits in groups of five, as they are read aloud: "12345 67890 …". */
export function formatSafetyNumber(digits: string): string[] {
  const groups: string[] = [];
  for (let i = 0; i < digits.length; i += 5) groups.push(digits.slice(i, i + 5));
  return groups;
}
