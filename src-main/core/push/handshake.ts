// The push handshake per contact (ChatSecure Push Protocol v3 draft and v3.1, "Initial Exchange
// over OTR TLV"; docs/architecture.md §7; issue 14), as a state machine over PushStore:
//
//   none ──privateSessionStarted──▶ asking ──approve──▶ offered ──answer──▶ done
//     │                               └──decline──▶ declined (nothing sent)      ▲
//     └──their offer──▶ their-offer ──approve──▶ (answer sent) ─────────────────┘
//                            └──decline──▶ declined (nothing sent)
//   done ──rotate (after a wake-up, no prompt)──▶ offered ──answer──▶ done (new shared_key)
//   done ──their offer (rotation: already approved)──▶ answer sent, new shared_key ──▶ done
//   any ──revoke (ours: token deleted on our server, contact told)──▶ revoked
//   any ──their revoke──▶ revoked
//   revoked ──"Ask again" (either side)──▶ offered ──their offer──▶ their-offer (asked once) ──▶ done
//
// Revoke ends the agreement, not the conversation: a revoke that cannot be sent (no private
// session) waits in the handshake row and goes with the next private session, so the contact's
// record does not outlive ours. After a revoke either user may ask again; the other user is asked
// (a new yes from both, as the seed's "Initial Exchange" wants). Only a "no" silences later offers.
//
// The offer travels in a data message that also carries the extra-symmetric-key TLV (OTRv4
// type 7 / OTRv3 type 8, context 0x000001A4); shared_key is derived from that message's extra
// symmetric key on both sides (shared-key.ts) and never transmitted. The answer carries only the
// answering side's push_info. Offers that cross: the offer of the account whose bare JID sorts
// first wins; the other side answers it (it had said yes already).
import { PushHandshakeError } from './errors';
import { encodePushTlv, decodePushTlv, messagesUrlOf, type PushTlv } from './handshake-tlv';
import type { HandshakeRow, PushRecord, PushStore } from './push-store';
import type { DeriveSharedKey, ExtraSymmetricKeyInput } from './shared-key';

export type HandshakeState = 'none' | 'asking' | 'offered' | 'their-offer' | 'declined' | 'done' | 'revoked';

/** What the OTR session hook provides (wired by the account composition, not here). */
export interface OtrPushLink {
  /**
   * Sends `value` as TLV 0x01A4 in a data message of the private session with `peer`. With
   * `withKey`, the same message also carries TLV 7 (v4) / TLV 8 (v3) with the 4-byte context
   * PUSH_KEY_USE, and the answer is that message's extra symmetric key input. Throws
   * PushHandshakeError('no-private-session') when there is no private session.
   */
  sendPushTlv(accountId: string, peer: string, value: Uint8Array, opts: { withKey: boolean }): Promise<{ key?: ExtraSymmetricKeyInput }>;
}

/** Our side's push_info for the TLV: from the account's push account. */
export interface OurPushInfo {
  accountName: string;
  pushName: string;
  apiEndpoint: string;
}

export type HandshakeEvent =
  | { type: 'prompt'; accountId: string; peer: string; reason: 'ask' | 'their-offer' }
  | { type: 'record'; accountId: string; peer: string; change: 'stored' | 'rotated' | 'revoked' | 'revoked-by-contact' }
  | { type: 'state'; accountId: string; peer: string; state: HandshakeState }
  | { type: 'refused'; accountId: string; peer: string; code: string; message: string };

export interface HandshakeDeps {
  store: PushStore;
  ourInfo(accountId: string): OurPushInfo | undefined;
  /** a fresh whitelist token for this contact on our server (ChatSecure v3.1 push_info) */
  issueToken(accountId: string, peer: string): Promise<string>;
  revokeToken(accountId: string, token: string): Promise<void>;
  derive: DeriveSharedKey;
  now(): number;
  emit(event: HandshakeEvent): void;
  otr(): OtrPushLink | undefined;
}

type OfferOrAnswer = Extract<PushTlv, { kind: 'offer' | 'answer' }>;

/** HandshakeRow.pending of a 'revoked' row whose revoke TLV has not reached the contact yet */
const UNSENT_REVOKE = 'revoke-unsent';

export class PushHandshake {
  /** offers being sent: an answer that races the send's completion waits for it */
  readonly #inflight = new Map<string, Promise<void>>();

  constructor(private readonly d: HandshakeDeps) {}

  state(accountId: string, peer: string): HandshakeState {
    return (this.d.store.handshake(accountId, peer)?.state as HandshakeState | undefined) ?? 'none';
  }

  #set(accountId: string, peer: string, state: HandshakeState, extra: Partial<HandshakeRow> = {}): void {
    this.d.store.setHandshake(accountId, peer, {
      state,
      pending: null,
      pendingKey: null,
      pendingVersion: null,
      ourToken: null,
      updatedAt: this.d.now(),
      ...extra,
    });
    this.d.emit({ type: 'state', accountId, peer, state });
  }

  #link(): OtrPushLink {
    const link = this.d.otr();
    if (!link) throw new PushHandshakeError('no-private-session', 'private conversations are not connected to wake-ups yet');
    return link;
  }

  #info(accountId: string): OurPushInfo {
    const info = this.d.ourInfo(accountId);
    if (!info) throw new PushHandshakeError('no-push-account', 'set up a push account for this account first');
    return info;
  }

  #tlv(kind: 'offer' | 'answer', info: OurPushInfo, token: string): Uint8Array {
    return encodePushTlv({ kind, v: 1, push_name: info.pushName, api_endpoint: info.apiEndpoint, endpoint: messagesUrlOf(info.apiEndpoint), tokens: [token] });
  }

  /** A private session with the contact came up: ask our user once, unless already settled. */
  privateSessionStarted(accountId: string, peer: string): void {
    const state = this.state(accountId, peer);
    if (state === 'revoked' && this.d.store.handshake(accountId, peer)?.pending === UNSENT_REVOKE) {
      void this.#tellRevoked(accountId, peer);
      return;
    }
    if (!this.d.ourInfo(accountId)) return;
    if (state === 'none' && !this.d.store.record(accountId, peer)) {
      this.#set(accountId, peer, 'asking');
      this.d.emit({ type: 'prompt', accountId, peer, reason: 'ask' });
    } else if (state === 'asking' || state === 'their-offer') {
      this.d.emit({ type: 'prompt', accountId, peer, reason: state === 'asking' ? 'ask' : 'their-offer' });
    }
  }

  /** Our user said yes: send our offer, or answer the contact's. Also "re-ask" after a no. */
  async approve(accountId: string, peer: string): Promise<HandshakeState> {
    const row = this.d.store.handshake(accountId, peer);
    // "Ask again" after our no answers the contact's offer we kept (see decline): they said yes
    // already and wait for our answer, so a new offer of ours would cross theirs and be ignored
    if ((row?.state === 'their-offer' || row?.state === 'declined') && row.pending && row.pendingKey && row.pendingVersion) {
      const theirs = JSON.parse(row.pending) as OfferOrAnswer;
      await this.#answer(accountId, peer, theirs, row.pendingKey, row.pendingVersion, null);
      return 'done';
    }
    await this.#offer(accountId, peer);
    return 'offered';
  }

  /**
   * Our user said no: nothing is sent, no record is stored; the contact only ever sees that no
   * wake-up is possible. Their offer (if any) stays in the encrypted profile, unanswered, only so
   * that "Ask again" can answer it.
   */
  decline(accountId: string, peer: string): HandshakeState {
    const row = this.d.store.handshake(accountId, peer);
    const kept =
      row?.state === 'their-offer' || row?.state === 'declined' ? { pending: row.pending, pendingKey: row.pendingKey, pendingVersion: row.pendingVersion } : {};
    this.#set(accountId, peer, 'declined', kept);
    return 'declined';
  }

  /** After a wake-up: run the handshake again to rotate shared_key (approved before: no prompt). */
  async rotate(accountId: string, peer: string): Promise<void> {
    if (!this.d.store.record(accountId, peer)) throw new PushHandshakeError('unexpected-push-tlv', 'no wake-up record to rotate');
    await this.#offer(accountId, peer);
  }

  async #offer(accountId: string, peer: string): Promise<void> {
    const k = `${accountId}\n${peer}`;
    // registered before the send starts: the OTR layer may hand us the answer from within it
    let done!: () => void;
    const settled = new Promise<void>((r) => (done = r));
    this.#inflight.set(k, settled);
    try {
      await this.#sendOffer(accountId, peer);
    } finally {
      done();
      if (this.#inflight.get(k) === settled) this.#inflight.delete(k);
    }
  }

  async #sendOffer(accountId: string, peer: string): Promise<void> {
    const info = this.#info(accountId);
    const link = this.#link();
    const existing = this.d.store.record(accountId, peer);
    const token = existing?.ourToken ?? (await this.d.issueToken(accountId, peer));
    const sent = await link.sendPushTlv(accountId, peer, this.#tlv('offer', info, token), { withKey: true });
    if (!sent.key) throw new PushHandshakeError('invalid-extra-symmetric-key', 'the private session gave no extra symmetric key');
    const key = this.d.derive(sent.key);
    this.#set(accountId, peer, 'offered', { pendingKey: key, pendingVersion: sent.key.version, ourToken: token });
  }

  async #answer(accountId: string, peer: string, theirs: OfferOrAnswer, key: Uint8Array, version: 3 | 4, reuseToken: string | null): Promise<void> {
    const info = this.#info(accountId);
    const link = this.#link();
    const token = reuseToken ?? (await this.d.issueToken(accountId, peer));
    await link.sendPushTlv(accountId, peer, this.#tlv('answer', info, token), { withKey: false });
    this.#store(accountId, peer, info, theirs, key, version, token);
  }

  #store(accountId: string, peer: string, info: OurPushInfo, theirs: OfferOrAnswer, key: Uint8Array, version: 3 | 4, token: string): void {
    const before = this.d.store.record(accountId, peer);
    const now = this.d.now();
    const record: PushRecord = {
      accountId,
      peer,
      protocol: 'xmpp',
      accountName: info.accountName,
      pushName: info.pushName,
      apiEndpoint: info.apiEndpoint,
      buddyName: peer,
      buddyPushName: theirs.push_name,
      buddyApiEndpoint: theirs.api_endpoint,
      sharedKey: key,
      otrVersion: version,
      ourToken: token,
      theirMessagesUrl: theirs.endpoint,
      theirTokens: theirs.tokens,
      createdAt: before?.createdAt ?? now,
      rotatedAt: now,
    };
    this.d.store.putRecord(record);
    this.#set(accountId, peer, 'done');
    this.d.emit({ type: 'record', accountId, peer, change: before ? 'rotated' : 'stored' });
  }

  /**
   * A TLV 0x01A4 arrived in the private session with `peer`. `key` is set when the same data
   * message carried TLV 7/8 with our context. A refused TLV throws PushHandshakeError and
   * changes nothing (the caller shows a notice).
   */
  async received(accountId: string, peer: string, value: Uint8Array, key: ExtraSymmetricKeyInput | undefined): Promise<void> {
    const tlv = decodePushTlv(value);
    // the contact can answer before our send of the offer has returned (the OTR layer resolves
    // after the message left): the answer waits for the offer's state
    if (tlv.kind === 'answer') await this.#inflight.get(`${accountId}\n${peer}`);
    const row = this.d.store.handshake(accountId, peer);
    const state = (row?.state as HandshakeState | undefined) ?? 'none';
    const record = this.d.store.record(accountId, peer);
    if (tlv.kind === 'revoke') {
      if (record?.ourToken) await this.d.revokeToken(accountId, record.ourToken).catch(() => {});
      this.d.store.deleteRecord(accountId, peer);
      this.#set(accountId, peer, 'revoked');
      if (record) this.d.emit({ type: 'record', accountId, peer, change: 'revoked-by-contact' });
      return;
    }
    if (tlv.kind === 'answer') {
      if (state !== 'offered' || !row?.pendingKey || !row.pendingVersion || !row.ourToken) {
        throw new PushHandshakeError('unexpected-push-tlv', 'a push handshake answer arrived that nobody asked for');
      }
      this.#store(accountId, peer, this.#info(accountId), tlv, row.pendingKey, row.pendingVersion, row.ourToken);
      return;
    }
    // an offer: its message must carry the extra symmetric key TLV
    if (!key) throw new PushHandshakeError('unexpected-push-tlv', 'a push handshake offer came without its extra symmetric key');
    const sharedKey = this.d.derive(key);
    if (record && (state === 'done' || state === 'offered')) {
      // rotation by the contact (it was woken, or crossed our own rotation): approved before
      const info = this.#info(accountId);
      if (state === 'offered' && info.accountName < peer) return; // our offer wins; they answer it
      await this.#answer(accountId, peer, tlv, sharedKey, key.version, record.ourToken);
      return;
    }
    if (state === 'offered') {
      // both users said yes at the same time: one offer wins, the other side answers it
      const info = this.#info(accountId);
      if (info.accountName < peer) return;
      await this.#answer(accountId, peer, tlv, sharedKey, key.version, row?.ourToken ?? null);
      return;
    }
    if (state === 'declined') {
      // our user said no; a new offer does not nag them: "Ask again" in the list answers this
      // offer (kept as in decline)
      this.#set(accountId, peer, 'declined', { pending: JSON.stringify(tlv), pendingKey: sharedKey, pendingVersion: key.version });
      this.d.emit({ type: 'refused', accountId, peer, code: 'declined', message: 'a wake-up request was ignored: you declined wake-ups with this contact' });
      return;
    }
    // none, asking, or revoked (by either side): the contact asks (again); our user decides
    this.#set(accountId, peer, 'their-offer', { pending: JSON.stringify(tlv), pendingKey: sharedKey, pendingVersion: key.version });
    this.d.emit({ type: 'prompt', accountId, peer, reason: 'their-offer' });
  }

  /**
   * Our user revokes: the record and our whitelist token go; the contact is told over OTR now if a
   * private session is up, else with the next one (privateSessionStarted).
   */
  async revoke(accountId: string, peer: string): Promise<void> {
    const record = this.d.store.record(accountId, peer);
    const row = this.d.store.handshake(accountId, peer);
    const token = record?.ourToken ?? row?.ourToken ?? null;
    if (token) await this.d.revokeToken(accountId, token);
    this.d.store.deleteRecord(accountId, peer);
    this.#set(accountId, peer, 'revoked', { pending: UNSENT_REVOKE });
    if (record) this.d.emit({ type: 'record', accountId, peer, change: 'revoked' });
    await this.#tellRevoked(accountId, peer);
  }

  /** sends the revoke TLV; on success the row no longer says it is owed */
  async #tellRevoked(accountId: string, peer: string): Promise<void> {
    const link = this.d.otr();
    if (!link) return;
    try {
      await link.sendPushTlv(accountId, peer, encodePushTlv({ kind: 'revoke', v: 1 }), { withKey: false });
    } catch {
      return; // no private session: it goes with the next one
    }
    const row = this.d.store.handshake(accountId, peer);
    if (row?.state === 'revoked' && row.pending === UNSENT_REVOKE) this.d.store.setHandshake(accountId, peer, { ...row, pending: null });
  }
}
