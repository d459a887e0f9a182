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
// This file holds the ratchet object (send, receive boundary, commit, teardown); the state and
// options are in state.ts, the DH ratchet step in step.ts, the receive path in receive.ts, the
// skipped-key store in skipped.ts and initRatchet in init.ts.
import { wipe } from '../../common/bytes';
import { OtrError, isOtrError } from '../../common/errors';
import { V4TlvType, joinMessagePayload } from '../../common/tlv';
import { FLAG_IGNORE_UNREADABLE, MAC_BYTES, decodeDataMessage, peekDataMessageHeader, sealDataMessage, type DecodedDataMessage } from '../data-message';
import { extraSymmetricKey, macKey, messageKey, nextChainKey } from './keys';
import { receiveInto } from './receive';
import { expireSkipped } from './skipped';
import { rotateAsSender } from './step';
import {
  DataMessageError,
  cloneState,
  ratchetContext,
  type DecryptResult,
  type EncryptResult,
  type RatchetContext,
  type RatchetOptions,
  type RatchetState,
} from './state';

type State = RatchetState;

export class DoubleRatchet {
  private state: State | null;
  private readonly ctx: RatchetContext;
  private readonly sessionExpiryMs: number | null;

  /** use initRatchet() (or restoreRatchet() of persist.ts) */
  constructor(state: State, opts: RatchetOptions) {
    this.state = state;
    this.ctx = ratchetContext(opts);
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
    return this.sessionExpiryMs !== null && this.ctx.clock() - s.lastNewEcdhAt >= this.sessionExpiryMs;
  }

  // ---------------------------------------------------------------------------------------- send

  /**
   * Encrypts a payload (UTF-8 text [‖ 0x00 ‖ TLVs]) into a data message (§"When you send a Data
   * Message"), performing the sender DH ratchet first when we received a new ratchet since our
   * last one.
   */
  encrypt(payload: Uint8Array, options: { ignoreUnreadable?: boolean; extraRevealedMacKeys?: Uint8Array[] } = {}): EncryptResult {
    const s = cloneState(this.live());
    expireSkipped(this.ctx, s);
    if (s.needSenderRotation) rotateAsSender(this.ctx, s);
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
        senderTag: this.ctx.ourTag,
        receiverTag: this.ctx.theirTag,
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
    expireSkipped(this.ctx, s);
    this.commit(s);
    return { message, extraSymmetricKey: extra };
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
      result = receiveInto(this.ctx, s, m);
    } catch {
      // whatever went wrong (bad MAC, unknown key, invalid point, …) the answer is the same
      throw new DataMessageError('unreadable', 'message could not be read', ignoreUnreadable);
    }
    expireSkipped(this.ctx, s);
    this.commit(s);
    return result;
  }

  /** Deletes stored skipped keys that are too old; call from a timer while idle. */
  expireSkippedKeys(): void {
    const s = cloneState(this.live());
    expireSkipped(this.ctx, s);
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
