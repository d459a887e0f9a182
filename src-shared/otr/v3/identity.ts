// What an OTRv3 client must persist (OTRv3 §"Instance Tags": "instance tags … are intended to be
// persistent"; §"Public keys…": the long-term DSA key): the instance tag and the DSA private key.
// Everything else (AKE and session keys) is ephemeral by design and is never written anywhere.
import { bytesToBigint } from '../common/bytes';
import { invalidValue, malformed } from '../common/errors';
import type { RandomSource } from '../common/random';
import { deserializePrivateKey, serializePrivateKey, type DsaPrivateKey } from './dsa';

/** the smallest valid instance tag (§"Instance Tags") */
export const MIN_INSTANCE_TAG = 0x100;

export interface V3Identity {
  instanceTag: number;
  dsaKey: DsaPrivateKey;
}

/** a random instance tag ≥ 0x100 */
export function generateInstanceTag(rng: RandomSource): number {
  for (;;) {
    const t = Number(bytesToBigint(rng(4)));
    if (t >= MIN_INSTANCE_TAG) return t;
  }
}

export function isValidInstanceTag(t: number): boolean {
  return Number.isInteger(t) && t >= MIN_INSTANCE_TAG && t <= 0xffffffff;
}

/** JSON with the instance tag and the serialised DSA key (a secret: store it in the OS keychain) */
export function serializeIdentity(id: V3Identity): string {
  return JSON.stringify({ v: 1, instanceTag: id.instanceTag, dsaKey: serializePrivateKey(id.dsaKey) });
}

export function deserializeIdentity(s: string): V3Identity {
  let o: unknown;
  try {
    o = JSON.parse(s);
  } catch {
    throw malformed('identity is not JSON');
  }
  if (typeof o !== 'object' || o === null) throw malformed('identity');
  const { v, instanceTag, dsaKey } = o as Record<string, unknown>;
  if (v !== 1 || typeof instanceTag !== 'number' || typeof dsaKey !== 'string') throw malformed('identity fields');
  if (!isValidInstanceTag(instanceTag)) throw invalidValue('instance tag');
  return { instanceTag, dsaKey: deserializePrivateKey(dsaKey) };
}
