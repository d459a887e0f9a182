// Two parties with long-term keys, profiles and (for the non-interactive DAKE) a published prekey
// ensemble, for the DAKE and session tests and the bench.
import type { RandomSource } from '../../common/random';
import { createClientProfile } from '../client-profile';
import type { DakeContext, DakeIdentity, PrekeyOwnerMaterial } from '../dake';
import type { Dh3072Engine } from '../dh3072';
import { type EdKeyPair, generateEdKeyPair, generateForgingKey, generateInstanceTag } from '../keys';
import { createPrekeyMessage, type PrekeyEnsemble, type PrekeySecrets } from '../prekey-message';
import { createPrekeyProfile, type PrekeyProfile } from '../prekey-profile';

export const T0 = 1_700_000_000_000;

export interface Party {
  id: string;
  identity: DakeIdentity;
  ctx: DakeContext;
  sharedPrekey: EdKeyPair;
  prekeyProfile: PrekeyProfile;
  prekeys: Map<number, PrekeySecrets>;
  owner: PrekeyOwnerMaterial;
  publishEnsemble(): PrekeyEnsemble;
}

export function makeParty(id: string, peerId: string, random: RandomSource, dh: Dh3072Engine, clock: () => number = () => T0, tag?: number): Party {
  const instanceTag = tag ?? generateInstanceTag(random);
  const keyPair = generateEdKeyPair(random);
  const forging = generateForgingKey(random, { keepSecret: false });
  const expires = BigInt(Math.floor(clock() / 1000)) + 7n * 86400n;
  const clientProfile = createClientProfile({ ownerTag: instanceTag, keyPair, forgingKey: forging, versions: '34', expires });
  const sharedPrekey = generateEdKeyPair(random);
  const prekeyProfile = createPrekeyProfile({ ownerTag: instanceTag, expires, keyPair, sharedPrekey });
  const prekeys = new Map<number, PrekeySecrets>();
  const identity: DakeIdentity = { instanceTag, keyPair, clientProfile };
  return {
    id,
    identity,
    ctx: { random, clock, dh, ourId: id, theirId: peerId },
    sharedPrekey,
    prekeyProfile,
    prekeys,
    owner: {
      prekey: (pid) => prekeys.get(pid),
      profiles: () => [{ clientProfile, prekeyProfile, sharedPrekey }],
    },
    publishEnsemble() {
      const { message, secrets } = createPrekeyMessage(random, dh, instanceTag);
      prekeys.set(message.id, secrets);
      return { clientProfile, prekeyProfile, prekeyMessage: message };
    },
  };
}
