// The OTRv4 double ratchet (otrv4.md §"Key Management", §"Initializing the Double Ratchet" in the
// DAKE overviews, §"Data Exchange", §"When you send a Data Message", §"When you receive a Data
// Message", §"Deletion of Stored Message Keys", §"Revealing MAC Keys", §"Session Expiration").
//
// `i` bookkeeping follows otr4j (implementer notes §9, otr4j-review.md Proposal 1): one counter
// that every rotation — ours as sender or theirs seen as receiver — increments and never resets;
// the rotation numbered n performs a DH (third brace key) ratchet iff n % 3 == 0, and every
// message of that sending chain carries n as its ratchet id. See DECISIONS.md.
//
// Receiving works on a copy of the state and commits only after the authenticator verified
// (§"When you receive a Data Message": "any changes ... should be discarded as well").
import { equalBytes, wipe } from '../../common/bytes';
import { OtrError, type OtrErrorCode, isOtrError } from '../../common/errors';
import type { Clock, RandomSource } from '../../common/random';
import { V4TlvType, joinMessagePayload } from '../../common/tlv';
import {
  FLAG_IGNORE_UNREADABLE,
  MAC_BYTES,
  MIN_INSTANCE_TAG,
  chachaXor,
  decodeDataMessage,
  peekDataMessageHeader,
  sealDataMessage,
  verifyAuthenticator,
  type DecodedDataMessage,
} from '../data-message';
import { isValidDhPublic, type Dh3072Engine } from '../dh3072';
import { dhSharedSecret } from '../keys';
import { type Point, decodePoint, ecdh, encodePoint } from '../ed448';
import { Usage, kdf } from '../kdf';
import {
  type DhKeyPair,
  type EcdhKeyPair,
  deriveRatchetKeys,
  extraSymmetricKey,
  generateDhKeyPair,
  generateEcdhKeyPair,
  macKey,
  messageKey,
  mixedSharedSecret,
  nextBraceKey,
  nextChainKey,
  thirdBraceKey,
} from './keys';

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

type State = RatchetState;

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

export const skippedId = (ecdhBytes: Uint8Array, messageId: number): string => `${hex(ecdhBytes)}:${messageId}`;

function cloneState(s: State): State {
  return {
    ...s,
    macKeysToReveal: [...s.macKeysToReveal],
    revealNow: [...s.revealNow],
    skipped: new Map(s.skipped),
  };
}

const DEFAULTS = {
  maxSkip: 1000,
  maxStoredKeys: 1000,
  skippedKeyMaxAgeMs: 60 * 60 * 1000,
  skippedKeyMaxRatchets: 12,
};

/** raised inside a receive attempt; turned into a DataMessageError('unreadable') at the boundary */
class Unreadable extends Error {}

export class DoubleRatchet {
  private state: State | null;
  private readonly random: RandomSource;
  private readonly clock: Clock;
  private readonly dh: Dh3072Engine;
  private readonly ourTag: number;
  private readonly theirTag: number;
  private readonly maxSkip: number;
  private readonly maxStoredKeys: number;
  private readonly skippedMaxAge: number;
  private readonly skippedMaxRatchets: number;
  private readonly sessionExpiryMs: number | null;

  /** use initRatchet() (or restoreRatchet() of persist.ts) */
  constructor(state: State, opts: RatchetOptions) {
    this.state = state;
    this.random = opts.random;
    this.clock = opts.clock;
    this.dh = opts.dh;
    this.ourTag = opts.ourInstanceTag;
    this.theirTag = opts.theirInstanceTag;
    this.maxSkip = opts.maxSkip ?? DEFAULTS.maxSkip;
    this.maxStoredKeys = opts.maxStoredKeys ?? DEFAULTS.maxStoredKeys;
    this.skippedMaxAge = opts.skippedKeyMaxAgeMs ?? DEFAULTS.skippedKeyMaxAgeMs;
    this.skippedMaxRatchets = opts.skippedKeyMaxRatchets ?? DEFAULTS.skippedKeyMaxRatchets;
    this.sessionExpiryMs = opts.sessionExpiryMs ?? null;
  }

  private live(): State {
    if (!this.state) throw new OtrError('not-allowed', 'the ratchet was destroyed');
    return this.state;
  }

  get destroyed(): boolean {
    return this.state === null;
  }

  /** number of stored skipped message keys (for tests and diagnostics) */
  get storedKeyCount(): number {
    return this.live().skipped.size;
  }

  /** the ratchet counter i (for tests and diagnostics) */
  get ratchetCounter(): number {
    return this.live().i;
  }

  /** MAC keys waiting to be revealed (count), for tests and diagnostics */
  get pendingMacKeyCount(): number {
    const s = this.live();
    return s.macKeysToReveal.length + s.revealNow.length;
  }

  /** the live state, for persist.ts only (it copies what it writes; nothing may change it) */
  exportState(): Readonly<RatchetState> {
    return this.live();
  }

  /** §"Session Expiration": no new ECDH key of ours for sessionExpiryMs */
  isExpired(): boolean {
    const s = this.live();
    return this.sessionExpiryMs !== null && this.clock() - s.lastNewEcdhAt >= this.sessionExpiryMs;
  }

  // ---------------------------------------------------------------------------------------- send

  /**
   * Encrypts a payload (UTF-8 text [‖ 0x00 ‖ TLVs]) into a data message (§"When you send a Data
   * Message"), performing the sender DH ratchet first when we received a new ratchet since our
   * last one.
   */
  encrypt(payload: Uint8Array, options: { ignoreUnreadable?: boolean; extraRevealedMacKeys?: Uint8Array[] } = {}): EncryptResult {
    const s = cloneState(this.live());
    this.expireSkipped(s);
    if (s.needSenderRotation) this.rotateAsSender(s);
    if (!s.chainS || !s.sendingEcdh) throw new OtrError('not-allowed', 'no sending chain');

    const chain = s.chainS;
    const mkEnc = messageKey(chain);
    const mkMac = macKey(mkEnc);
    const extra = extraSymmetricKey(chain);
    s.chainS = nextChainKey(chain);

    const reveal = [...s.revealNow, ...(options.extraRevealedMacKeys ?? [])];
    s.revealNow = [];
    const revealed = new Uint8Array(reveal.length * MAC_BYTES);
    reveal.forEach((k, n) => revealed.set(k, n * MAC_BYTES));

    const message = sealDataMessage(
      {
        senderTag: this.ourTag,
        receiverTag: this.theirTag,
        flags: options.ignoreUnreadable ? FLAG_IGNORE_UNREADABLE : 0,
        previousChainLength: s.pn,
        ratchetId: s.sendingChainId,
        messageId: s.j,
        ecdh: s.sendingEcdh,
        dh: s.sendingDh,
      },
      payload,
      mkEnc,
      mkMac,
      revealed,
    );
    s.j += 1;
    wipe(chain, mkEnc, mkMac);
    this.expireSkipped(s);
    this.commit(s);
    return { message, extraSymmetricKey: extra };
  }

  /** §"Rotating ECDH Keys and Brace Key as sender" + the DH ratchet of "When you send" */
  private rotateAsSender(s: State): void {
    if (!s.theirEcdh) throw new OtrError('not-allowed', 'no ECDH key of the other side');
    const dhRatchet = s.i % 3 === 0;
    const ourEcdh = generateEcdhKeyPair(this.random);
    const kEcdh = ecdh(ourEcdh.secret, s.theirEcdh);
    let brace: Uint8Array;
    let ourDhPublic: bigint | null = null;
    if (dhRatchet) {
      if (s.theirDh === null) throw new OtrError('not-allowed', 'no DH key of the other side');
      const ourDh = generateDhKeyPair(this.random, this.dh);
      const kDh = dhSharedSecret(this.dh, ourDh.secret, s.theirDh);
      brace = thirdBraceKey(kDh);
      wipe(kDh);
      s.ourDh = ourDh;
      ourDhPublic = ourDh.public;
    } else {
      if (!s.brace) throw new OtrError('not-allowed', 'no brace key');
      brace = nextBraceKey(s.brace);
    }
    const k = mixedSharedSecret(kEcdh, brace);
    const { root, chain } = deriveRatchetKeys(s.root, k);
    wipe(kEcdh, k);
    s.root = root;
    s.brace = brace;
    s.chainS = chain;
    s.ourEcdh = ourEcdh;
    s.sendingEcdh = encodePoint(ourEcdh.public);
    s.sendingDh = ourDhPublic;
    s.sendingChainId = s.i;
    s.i += 1;
    s.pn = s.j;
    s.j = 0;
    s.needSenderRotation = false;
    s.acceptTheirRotation = true;
    // §"Revealing MAC Keys": the first data message of every new sending ratchet reveals them.
    s.revealNow.push(...s.macKeysToReveal);
    s.macKeysToReveal = [];
    s.lastNewEcdhAt = this.clock();
  }

  // ------------------------------------------------------------------------------------- receive

  /**
   * Authenticates and decrypts a binary data message (§"When you receive a Data Message").
   * On any failure throws DataMessageError and leaves the ratchet exactly as it was.
   */
  decrypt(bytes: Uint8Array): DecryptResult {
    let ignoreUnreadable = false;
    try {
      ignoreUnreadable = (peekDataMessageHeader(bytes).flags & FLAG_IGNORE_UNREADABLE) !== 0;
    } catch {
      /* reported by decodeDataMessage below */
    }
    let m: DecodedDataMessage;
    try {
      m = decodeDataMessage(bytes);
    } catch (e) {
      if (isOtrError(e)) throw new DataMessageError(e.code, e.message, ignoreUnreadable);
      throw new DataMessageError('malformed', 'undecodable data message', ignoreUnreadable);
    }
    const s = cloneState(this.live());
    let result: DecryptResult;
    try {
      result = this.receiveInto(s, m);
    } catch {
      // whatever went wrong (bad MAC, unknown key, invalid point, …) the answer is the same
      throw new DataMessageError('unreadable', 'message could not be read', ignoreUnreadable);
    }
    this.expireSkipped(s);
    this.commit(s);
    return result;
  }

  private receiveInto(s: State, m: DecodedDataMessage): DecryptResult {
    // §"When you receive": the receiver tag must be ours (and the sender the one we talk to).
    if (m.receiverTag !== this.ourTag || m.senderTag !== this.theirTag || m.senderTag < MIN_INSTANCE_TAG) throw new Unreadable();
    this.expireSkipped(s);

    // 1. a stored skipped key
    const id = skippedId(m.ecdh, m.messageId);
    const stored = s.skipped.get(id);
    if (stored) {
      if (stored.ratchetId !== m.ratchetId) throw new Unreadable();
      const mkMac = macKey(stored.mkEnc);
      if (!verifyAuthenticator(mkMac, m)) throw new Unreadable();
      const payload = chachaXor(stored.mkEnc, m.ciphertext);
      s.skipped.delete(id);
      s.macKeysToReveal.push(mkMac);
      return { payload, extraSymmetricKey: stored.extraKey.slice(), flags: m.flags, revealedMacKeys: m.revealedMacKeys };
    }

    // 2. the current receiving chain
    if (s.theirEcdhBytes && s.chainR && equalBytes(m.ecdh, s.theirEcdhBytes)) {
      if (m.ratchetId !== s.receivingChainId || !sameDh(m.dh, s.receivingDh)) throw new Unreadable();
      // duplicates / replays: an id below k whose key is not stored is gone for good
      if (m.messageId < s.k) throw new Unreadable();
      return this.receiveInChain(s, m);
    }

    // 3. a new ratchet of theirs
    if (!s.acceptTheirRotation || !s.ourEcdh || m.ratchetId !== s.i) throw new Unreadable();
    const dhRatchet = s.i % 3 === 0;
    if (dhRatchet !== (m.dh !== null)) throw new Unreadable();
    const theirEcdh = decodePoint(m.ecdh);
    if (dhRatchet && !isValidDhPublic(m.dh!)) throw new Unreadable();
    // store the keys of their previous chain that have not arrived (up to pn)
    if (s.chainR && s.theirEcdhBytes) {
      if (m.previousChainLength < s.k) throw new Unreadable();
      this.skipTo(s, s.theirEcdhBytes, m.previousChainLength);
    }
    // §"Rotating ECDH Keys and Brace Key as receiver"
    const kEcdh = ecdh(s.ourEcdh.secret, theirEcdh);
    let brace: Uint8Array;
    if (dhRatchet) {
      if (!s.ourDh) throw new Unreadable();
      const kDh = dhSharedSecret(this.dh, s.ourDh.secret, m.dh!);
      brace = thirdBraceKey(kDh);
      wipe(kDh);
      s.ourDh = null; // "Securely delete our_dh.secret"; our next DH ratchet makes a new pair
      s.theirDh = m.dh;
    } else {
      if (!s.brace) throw new Unreadable();
      brace = nextBraceKey(s.brace);
    }
    const k = mixedSharedSecret(kEcdh, brace);
    const { root, chain } = deriveRatchetKeys(s.root, k);
    s.root = root;
    s.brace = brace;
    s.chainR = chain;
    s.k = 0;
    s.theirEcdh = theirEcdh;
    s.theirEcdhBytes = m.ecdh;
    s.receivingChainId = s.i;
    s.receivingDh = m.dh;
    s.i += 1;
    s.ourEcdh = null; // "Securely delete our_ecdh.secret"
    s.needSenderRotation = true;
    s.acceptTheirRotation = false;
    return this.receiveInChain(s, m);
  }

  private receiveInChain(s: State, m: DecodedDataMessage): DecryptResult {
    if (m.messageId - s.k > this.maxSkip) throw new Unreadable();
    this.skipTo(s, s.theirEcdhBytes!, m.messageId);
    const chain = s.chainR!;
    const mkEnc = messageKey(chain);
    const mkMac = macKey(mkEnc);
    if (!verifyAuthenticator(mkMac, m)) throw new Unreadable();
    const extra = extraSymmetricKey(chain);
    const payload = chachaXor(mkEnc, m.ciphertext);
    s.chainR = nextChainKey(chain);
    s.k += 1;
    s.macKeysToReveal.push(mkMac);
    return { payload, extraSymmetricKey: extra, flags: m.flags, revealedMacKeys: m.revealedMacKeys };
  }

  /** stores skipped message keys of the current receiving chain from k up to (excluding) `until` */
  private skipTo(s: State, ecdhBytes: Uint8Array, until: number): void {
    if (until - s.k > this.maxSkip) throw new Unreadable();
    if (!s.chainR) return;
    const now = this.clock();
    let chain = s.chainR;
    while (s.k < until) {
      s.skipped.set(skippedId(ecdhBytes, s.k), {
        mkEnc: messageKey(chain),
        extraKey: extraSymmetricKey(chain),
        ratchetId: s.receivingChainId,
        storedAt: now,
        storedAtI: s.i,
      });
      chain = nextChainKey(chain);
      s.k += 1;
    }
    s.chainR = chain;
    // bound the store: evict the oldest, revealing their MAC keys (§"Revealing MAC Keys")
    while (s.skipped.size > this.maxStoredKeys) {
      const [oldest, key] = s.skipped.entries().next().value as [string, SkippedKey];
      s.skipped.delete(oldest);
      s.macKeysToReveal.push(macKey(key.mkEnc));
    }
  }

  /** §"Deletion of Stored Message Keys": by age and by ratchet steps */
  private expireSkipped(s: State): void {
    if (s.skipped.size === 0) return;
    const now = this.clock();
    for (const [id, key] of s.skipped) {
      if (now - key.storedAt >= this.skippedMaxAge || s.i - key.storedAtI >= this.skippedMaxRatchets) {
        s.skipped.delete(id);
        s.macKeysToReveal.push(macKey(key.mkEnc));
      }
    }
  }

  /** Deletes stored skipped keys that are too old; call from a timer while idle. */
  expireSkippedKeys(): void {
    const s = cloneState(this.live());
    this.expireSkipped(s);
    this.commit(s);
  }

  private commit(next: State): void {
    const prev = this.state;
    this.state = next;
    if (!prev) return;
    // best-effort erasure of keys the new state no longer holds
    for (const field of ['root', 'brace', 'chainS', 'chainR'] as const) {
      const old = prev[field];
      if (old && old !== next[field]) wipe(old);
    }
    for (const [id, key] of prev.skipped) {
      if (!next.skipped.has(id)) wipe(key.mkEnc, key.extraKey);
    }
  }

  // ------------------------------------------------------------------------------- teardown

  /**
   * §"Session Expiration": a data message with TLV 1 (disconnected), IGNORE_UNREADABLE, carrying
   * every unrevealed MAC key including those of the stored skipped keys; then everything is wiped.
   */
  expire(): Uint8Array {
    const s = this.live();
    const macs: Uint8Array[] = [...s.macKeysToReveal];
    for (const key of s.skipped.values()) macs.push(macKey(key.mkEnc));
    // the MAC keys already moved to revealNow go out with this message anyway
    this.state = { ...s, macKeysToReveal: [], skipped: new Map() };
    const { message, extraSymmetricKey: extra } = this.encrypt(joinMessagePayload('', [{ type: V4TlvType.disconnected, value: new Uint8Array(0) }]), {
      ignoreUnreadable: true,
      extraRevealedMacKeys: macs,
    });
    wipe(extra);
    for (const key of s.skipped.values()) wipe(key.mkEnc, key.extraKey);
    this.destroy();
    return message;
  }

  /** Securely deletes all keys (§"Resetting State Variables and Key Variables"). */
  destroy(): void {
    const s = this.state;
    if (!s) return;
    wipe(s.root, s.brace ?? undefined, s.chainS ?? undefined, s.chainR ?? undefined, ...s.macKeysToReveal, ...s.revealNow);
    for (const key of s.skipped.values()) wipe(key.mkEnc, key.extraKey);
    s.skipped.clear();
    // bigint secrets cannot be overwritten in place; dropping the state drops the last reference.
    this.state = null;
  }
}

function sameDh(a: bigint | null, b: bigint | null): boolean {
  return a === b;
}

/**
 * Initializes the double ratchet from the DAKE result (§"Interactive DAKE Overview" steps
 * "Initializes the double-ratchet algorithm", §"Non-Interactive DAKE Overview" likewise).
 * See README.md for the roles and which keys each side passes.
 */
export function initRatchet(p: InitRatchetParams): DoubleRatchet {
  if (p.sharedSecret.length !== 64) throw new RangeError('the DAKE shared secret K must be 64 bytes');
  for (const [tag, what] of [
    [p.ourInstanceTag, 'our'],
    [p.theirInstanceTag, 'their'],
  ] as const) {
    if (!Number.isInteger(tag) || tag < MIN_INSTANCE_TAG || tag > 0xffffffff) throw new RangeError(`${what} instance tag is invalid`);
  }
  const now = p.clock();
  const base: State = {
    i: 0,
    j: 0,
    k: 0,
    pn: 0,
    root: new Uint8Array(0),
    brace: null,
    chainS: null,
    chainR: null,
    // copies: destroy() erases the secrets of the ratchet's own objects, never the caller's
    ourEcdh: p.ourEcdh ? { ...p.ourEcdh } : null,
    ourDh: p.ourDh ? { ...p.ourDh } : null,
    theirEcdh: p.theirEcdh ?? null,
    theirEcdhBytes: p.theirEcdh ? encodePoint(p.theirEcdh) : null,
    theirDh: p.theirDh ?? null,
    sendingChainId: 0,
    sendingEcdh: null,
    sendingDh: null,
    receivingChainId: 0,
    receivingDh: null,
    needSenderRotation: false,
    acceptTheirRotation: false,
    macKeysToReveal: [],
    revealNow: [],
    skipped: new Map(),
    lastNewEcdhAt: now,
  };
  if (p.theirDh !== undefined && !isValidDhPublic(p.theirDh)) throw new OtrError('invalid-value', 'their first DH key is not in the group');
  if (p.theirEcdh) decodePoint(encodePoint(p.theirEcdh)); // validates (identity, subgroup)

  let firstChain: Uint8Array;
  if (p.mode === 'interactive') {
    if (!p.ourEcdh || !p.ourDh || !p.theirEcdh || p.theirDh === undefined) {
      throw new RangeError('the interactive ratchet needs both first ECDH and DH keys of both sides');
    }
    // prev_root_key = KDF(usage_first_root_key ‖ K, 64); the first chain from the first keys
    const prevRoot = kdf(Usage.firstRootKey, p.sharedSecret, 64);
    const kEcdh = ecdh(p.ourEcdh.secret, p.theirEcdh);
    const kDh = dhSharedSecret(p.dh, p.ourDh.secret, p.theirDh);
    const brace = thirdBraceKey(kDh);
    const k = mixedSharedSecret(kEcdh, brace);
    const { root, chain } = deriveRatchetKeys(prevRoot, k);
    wipe(prevRoot, kEcdh, kDh, k);
    base.root = root;
    base.brace = brace;
    firstChain = chain;
  } else {
    // root = KDF(usage_root_key ‖ K, 64), chain = KDF(usage_chain_key ‖ K, 64)
    base.root = kdf(Usage.rootKey, p.sharedSecret, 64);
    firstChain = kdf(Usage.chainKey, p.sharedSecret, 64);
    if (p.role === 'alice' && (!p.ourEcdh || !p.ourDh)) throw new RangeError('the non-interactive sender passes her first ECDH and DH key pairs');
    if (p.role === 'bob' && (!p.theirEcdh || p.theirDh === undefined))
      throw new RangeError('the non-interactive receiver passes the sender’s first ECDH and DH keys');
  }

  if (p.role === 'alice') {
    // Alice sends on the first chain with her first keys; Bob's first ratchet (id 0) is expected.
    base.chainS = firstChain;
    base.sendingEcdh = encodePoint(p.ourEcdh!.public);
    base.sendingDh = p.ourDh!.public;
    base.sendingChainId = 0;
    base.acceptTheirRotation = true;
    if (p.mode === 'non-interactive') {
      base.theirEcdh = null;
      base.theirEcdhBytes = null;
      base.theirDh = null;
    }
  } else {
    // Bob receives the first chain; his first send performs the ratchet numbered 0 (ECDH + DH),
    // i.e. the "Calculates the sending keys" step of the spec, done lazily.
    base.chainR = firstChain;
    base.receivingChainId = 0;
    base.receivingDh = p.theirDh!;
    base.needSenderRotation = true;
    if (p.mode === 'non-interactive') {
      base.ourEcdh = null;
      base.ourDh = null;
    }
  }
  return new DoubleRatchet(base, p);
}
