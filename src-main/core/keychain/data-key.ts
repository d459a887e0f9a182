// The profile's data key: 32 random bytes in one small keychain entry, sealing the secrets kept in
// the profile database (sealed.ts; the OTR keys, otr/identity.ts). Made once per profile; a second
// caller while it is being made gets the same key (two accounts loading at once must not each
// make one: the second would replace the first and what the first sealed would never open).
import { randomBytes } from 'node:crypto';
import { MessengerError } from '../../../src-shared/ipc/result';
import type { KeyStore } from './keychain';

export const DATA_KEY_ENTRY = 'data-key';

const cache = new Map<string, Promise<Uint8Array>>();

/**
 * The data key of the keychain service. `mayCreate` is false when something sealed with it exists
 * already: a missing key is then an error, never silently replaced.
 */
export function dataKey(keys: KeyStore, mayCreate: boolean): Promise<Uint8Array> {
  const known = cache.get(keys.service);
  if (known) return known;
  const p = (async () => {
    const hex = await keys.get(DATA_KEY_ENTRY);
    if (hex !== null) {
      if (!/^[0-9a-f]{64}$/.test(hex))
        throw new MessengerError('keychain-unavailable', 'The data key in the keychain is damaged, so the OTR keys of this profile cannot be read.');
      return Buffer.from(hex, 'hex');
    }
    if (!mayCreate) {
      throw new MessengerError(
        'keychain-unavailable',
        `The data key of this profile is not in the keychain (service "${keys.service}"), so its OTR keys cannot be read.`,
      );
    }
    const key = randomBytes(32);
    await keys.set(DATA_KEY_ENTRY, key.toString('hex'));
    return key;
  })();
  cache.set(keys.service, p);
  // a failure is not remembered: the next call asks the keychain again
  p.catch(() => cache.delete(keys.service));
  return p;
}
