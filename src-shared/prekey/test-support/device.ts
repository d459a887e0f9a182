// Test helper: a device identity (long-term key, forging key, client and prekey profiles) made
// with the OTRv4 library, and an in-memory store for the one-time prekey secrets.
import { randomBytes } from 'node:crypto';
import { type ClientProfile, createClientProfile } from '../../otr/v4/client-profile';
import { type EdKeyPair, generateEdKeyPair, generateForgingKey, generateInstanceTag } from '../../otr/v4/keys';
import type { PrekeySecrets } from '../../otr/v4/prekey-message';
import { type PrekeyProfile, createPrekeyProfile } from '../../otr/v4/prekey-profile';

export const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

export interface TestDevice {
  instanceTag: number;
  longTerm: EdKeyPair;
  clientProfile: ClientProfile;
  prekeyProfile: PrekeyProfile;
  sharedPrekey: EdKeyPair;
}

export function makeDevice(opts: { nowMs?: number; lifetimeSec?: number; instanceTag?: number; longTerm?: EdKeyPair } = {}): TestDevice {
  const now = BigInt(Math.floor((opts.nowMs ?? Date.now()) / 1000));
  const expires = now + BigInt(opts.lifetimeSec ?? 7 * 24 * 3600);
  const instanceTag = opts.instanceTag ?? generateInstanceTag(random);
  const longTerm = opts.longTerm ?? generateEdKeyPair(random);
  const sharedPrekey = generateEdKeyPair(random);
  const clientProfile = createClientProfile({
    ownerTag: instanceTag,
    keyPair: longTerm,
    forgingKey: generateForgingKey(random, { keepSecret: false }),
    versions: '4',
    expires,
  });
  const prekeyProfile = createPrekeyProfile({ ownerTag: instanceTag, expires, keyPair: longTerm, sharedPrekey });
  return { instanceTag, longTerm, clientProfile, prekeyProfile, sharedPrekey };
}

export class SecretStore {
  readonly byId = new Map<number, PrekeySecrets>();
  save = async (secrets: PrekeySecrets[]): Promise<void> => {
    for (const s of secrets) this.byId.set(s.id, s);
  };
}
