// What the prekey client (client.ts) is given and what it returns: this device's identity, its
// options, the replenishment policy and the ensembles retrieved for a contact.
import type { Clock, RandomSource } from '../../../src-shared/otr/common/random';
import type { ClientProfile } from '../../../src-shared/otr/v4/client-profile';
import type { Dh3072Engine } from '../../../src-shared/otr/v4/dh3072';
import type { EdKeyPair } from '../../../src-shared/otr/v4/keys';
import type { PrekeyEnsemble as ParsedEnsemble, PrekeySecrets } from '../../../src-shared/otr/v4/prekey-message';
import type { PrekeyProfile } from '../../../src-shared/otr/v4/prekey-profile';
import type { ModPow } from '../../../src-shared/prekey/proofs';
import type { PrekeyXmpp } from './xmpp';

export interface PrekeyServerInfo {
  jid: string;
  /** 112 hex digits, as announced under node 'fingerprint' */
  fingerprint: string;
}

/** this device's long-term material (from the keychain) and its current profiles */
export interface DeviceIdentity {
  instanceTag: number;
  longTerm: EdKeyPair;
  clientProfile: ClientProfile;
  prekeyProfile: PrekeyProfile;
  /** the shared prekey D of the prekey profile (its secret is needed for the proof) */
  sharedPrekey: EdKeyPair;
}

export interface PrekeyClientOptions {
  xmpp: PrekeyXmpp;
  device: DeviceIdentity;
  random: RandomSource;
  clock: Clock;
  engine: ModPow & Dh3072Engine;
  /**
   * persists the one-time secrets of freshly made prekey messages; called BEFORE they are
   * published, so that a Non-Interactive-Auth naming one of them can always be answered
   */
  savePrekeySecrets: (secrets: PrekeySecrets[]) => Promise<void>;
  /** pinned server fingerprints (hex), e.g. from an earlier session; a mismatch is refused */
  pinnedFingerprints?: Record<string, string>;
  responseTimeoutMs?: number;
  /** longer outgoing messages are fragmented (§"Transmitting Fragments"); default 60 000 characters */
  maxMessageChars?: number;
}

export interface ReplenishPolicy {
  /** publish more when fewer than this are stored */
  threshold: number;
  /** fill up to this many */
  target: number;
}

export const DEFAULT_REPLENISH: ReplenishPolicy = { threshold: 20, target: 100 };

export interface RetrievedEnsembles {
  identity: string;
  /** one validated ensemble per instance tag (the latest expiry kept where there were several) */
  byInstanceTag: Map<number, ParsedEnsemble>;
  /** how many ensembles the server sent, before validation */
  received: number;
  /** the server said it has none */
  none: boolean;
  /** the human-readable part of "No Prekey Ensembles in Storage", to display */
  text?: string;
}
