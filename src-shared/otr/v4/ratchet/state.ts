// The state of the OTRv4 double ratchet and its options (otrv4.md §"Key Management", §"Deletion
// of Stored Message Keys", §"Session Expiration"), shared by the steps in init.ts, step.ts,
// skipped.ts, receive.ts and the DoubleRatchet of ratchet.ts (persisted by persist.ts).
import { OtrError, type OtrErrorCode } from '../../common/errors';
import type { Clock, RandomSource } from '../../common/random';
import type { Dh3072Engine } from '../dh3072';
import type { Point } from '../ed448';
import type { DhKeyPair, EcdhKeyPair } from './keys';

/**
 * What a failed receive throws: an OtrError whose code is 'malformed' / 'unsupported-version'
 * (not a data message) or 'unreadable' (anything else — it deliberately does not say whether a
 * MAC failed, a key was unknown or the message was a replay). `ignoreUnreadable` is the message's
 * IGNORE_UNREADABLE flag when its header parsed (false otherwise).
 */
export class DataMessageError extends OtrError {
  constructor(
    code: OtrErrorCode,
    message: string,
    readonly ignoreUnreadable: boolean,
  ) {
    super(code, message);
  }
}

/** raised inside a receive attempt; turned into a DataMessageError('unreadable') at the boundary */
export class Unreadable extends Error {}

export interface RatchetOptions {
  random: RandomSource;
  clock: Clock;
  dh: Dh3072Engine;
  ourInstanceTag: number;
  theirInstanceTag: number;
  /** max_skip: most message keys skipped in one chain (§"Key Management"); default 1000 */
  maxSkip?: number;
  /** bound on the skipped_MKenc store (§"Deletion of Stored Message Keys", e.g. 1000); oldest evicted */
  maxStoredKeys?: number;
  /** a stored skipped key is deleted (and its MAC key revealed) after this long; default 1 hour */
  skippedKeyMaxAgeMs?: number;
  /** ... or after this many ratchet steps since it was stored; default 12 */
  skippedKeyMaxRatchets?: number;
  /** §"Session Expiration": expire when no new ECDH key of ours for this long; null = never */
  sessionExpiryMs?: number | null;
}

export interface InitRatchetParams extends RatchetOptions {
  mode: 'interactive' | 'non-interactive';
  /**
   * interactive: 'alice' = Auth-R sender (receives Auth-I), 'bob' = Identity/Auth-I sender.
   * non-interactive: 'alice' = Non-Interactive-Auth sender, 'bob' = prekey owner.
   */
  role: 'alice' | 'bob';
  /** K, the 64-byte mixed shared secret of the DAKE */
  sharedSecret: Uint8Array;
  /** our first ECDH / DH key pairs (interactive: both roles; non-interactive: alice only) */
  ourEcdh?: EcdhKeyPair;
  ourDh?: DhKeyPair;
  /** their first ECDH / DH public keys (interactive: both roles; non-interactive: bob only) */
  theirEcdh?: Point;
  theirDh?: bigint;
}

export interface EncryptResult {
  /** the binary data message, ready for base64 encoding */
  message: Uint8Array;
  /** the extra symmetric key of this message (§"Extra Symmetric Key"), 64 bytes */
  extraSymmetricKey: Uint8Array;
}

export interface DecryptResult {
  /** plaintext: UTF-8 text [‖ 0x00 ‖ TLVs] */
  payload: Uint8Array;
  extraSymmetricKey: Uint8Array;
  flags: number;
  /** the MAC keys the peer revealed (informational) */
  revealedMacKeys: Uint8Array;
}

export interface SkippedKey {
  mkEnc: Uint8Array;
  extraKey: Uint8Array;
  ratchetId: number;
  storedAt: number;
  storedAtI: number;
}

/** The whole mutable state; cloned for every receive and committed on success (persisted by persist.ts). */
export interface RatchetState {
  i: number;
  j: number;
  k: number;
  pn: number;
  root: Uint8Array;
  brace: Uint8Array | null;
  chainS: Uint8Array | null;
  chainR: Uint8Array | null;
  /** our newest ECDH pair; its secret goes once the peer ratcheted with it */
  ourEcdh: EcdhKeyPair | null;
  ourDh: DhKeyPair | null;
  theirEcdh: Point | null;
  theirEcdhBytes: Uint8Array | null;
  theirDh: bigint | null;
  /** what every message of our current sending chain carries */
  sendingChainId: number;
  sendingEcdh: Uint8Array | null;
  sendingDh: bigint | null;
  /** what every message of their current chain carries */
  receivingChainId: number;
  receivingDh: bigint | null;
  /** we received a new ratchet of theirs: our next send rotates (§"When you send a Data Message") */
  needSenderRotation: boolean;
  /** we rotated since their last rotation, so a new ratchet of theirs is legitimate */
  acceptTheirRotation: boolean;
  macKeysToReveal: Uint8Array[];
  /** taken from macKeysToReveal at our sender rotation; goes out with the next message */
  revealNow: Uint8Array[];
  skipped: Map<string, SkippedKey>;
  lastNewEcdhAt: number;
}

export function cloneState(s: RatchetState): RatchetState {
  return {
    ...s,
    macKeysToReveal: [...s.macKeysToReveal],
    revealNow: [...s.revealNow],
    skipped: new Map(s.skipped),
  };
}

export const RATCHET_DEFAULTS = {
  maxSkip: 1000,
  maxStoredKeys: 1000,
  skippedKeyMaxAgeMs: 60 * 60 * 1000,
  skippedKeyMaxRatchets: 12,
};

/** RatchetOptions with the defaults filled in: what the steps need besides the state itself. */
export interface RatchetContext {
  readonly random: RandomSource;
  readonly clock: Clock;
  readonly dh: Dh3072Engine;
  readonly ourTag: number;
  readonly theirTag: number;
  readonly maxSkip: number;
  readonly maxStoredKeys: number;
  readonly skippedMaxAge: number;
  readonly skippedMaxRatchets: number;
}

export function ratchetContext(opts: RatchetOptions): RatchetContext {
  return {
    random: opts.random,
    clock: opts.clock,
    dh: opts.dh,
    ourTag: opts.ourInstanceTag,
    theirTag: opts.theirInstanceTag,
    maxSkip: opts.maxSkip ?? RATCHET_DEFAULTS.maxSkip,
    maxStoredKeys: opts.maxStoredKeys ?? RATCHET_DEFAULTS.maxStoredKeys,
    skippedMaxAge: opts.skippedKeyMaxAgeMs ?? RATCHET_DEFAULTS.skippedKeyMaxAgeMs,
    skippedMaxRatchets: opts.skippedKeyMaxRatchets ?? RATCHET_DEFAULTS.skippedKeyMaxRatchets,
  };
}
