// The OTR service of one account (docs/architecture.md §5 and 6): the composition of its parts, each in its
// own file with its dependencies passed in:
//   peers.ts          one conversation per contact bare JID, its devices, policy, whitespace tag
//   dispatch.ts       acts on what the library produced (wire messages, events, TLV hook)
//   queue.ts          no silent downgrade: the persisted queue of messages that wait
//   smp.ts            the Socialist Millionaires' Protocol for the UI
//   offline-start.ts  starting with an offline contact from their prekeys (non-interactive DAKE)
//   recovery.ts       a session the contact's device lost: a new one, unconfirmed messages re-sent
//   session-store.ts  established sessions kept across restarts (written before anything is sent)
//   notices.ts        what the user is told, and the recent notices per conversation
//   status.ts         the state the conversation header shows
// compose.ts builds the parts and wires them to each other; this file keeps the conversation-wide
// operations: receive, start, end, trust, going online.
//
// Per device (docs/architecture.md §5): messages of a session go to the full JID of the resource the
// session runs with (the last resource we heard that instance tag from); queries go to the bare
// JID, so every device of the contact may answer and gets its own instance session.
import type { OtrFingerprintInfo, OtrNotice, OtrNoticeData, OtrOfflineDevices, OtrPolicyName, OtrStatus } from '../../../src-shared/ipc/otr-contract';
import { bareKey } from '../../../src-shared/ipc/jid';
import { MessengerError } from '../../../src-shared/ipc/result';
import type { EngineOutput } from '../../../src-shared/otr/api';
import type { Tlv } from '../../../src-shared/otr/common/tlv';
import { OtrError } from '../../../src-shared/otr/common/errors';
import { findWhitespaceTag } from '../../../src-shared/otr/common/whitespace';
import { composeOtrParts, type OtrServiceDeps } from './compose';
import type { Dispatch } from './dispatch';
import type { Notices } from './notices';
import type { OfflineStart } from './offline-start';
import { sendTlvPrivately, type TlvSent } from './push-link';
import { NO_SMP, type Peers, type PeerState } from './peers';
import type { Policy } from './policy';
import type { PrekeySignal } from './prekey-signal';
import type { Recovery } from './recovery';
import type { Queue } from './queue';
import type { Smp } from './smp';
import type { StartWatch } from './start-watch';
import type { StatusReporter } from './status';
import { createSessionKeeper, type SessionKeeper } from './session-store';
import type { FetchedEnsembles, OtrWire, ReceivedMessage } from './wire';

export { libraryPolicy } from './peers';
export { RECENT_NOTICES_PER_PEER } from './notices';
export { OFFLINE_ENSEMBLES_MAX_AGE_MS } from './offline-start';
export { START_ANSWER_TIMEOUT_MS, type StartTimers } from './start-watch';
export type { FetchedEnsembles, InboundTlv, OtrWire, ReceivedMessage } from './wire';

export type { OtrServiceDeps } from './compose';

export class OtrService {
  private online: boolean;
  private readonly ours: { v3: string; v4: string };
  private readonly peers: Peers;
  private readonly noticesOf: Notices;
  private readonly statusOf: StatusReporter;
  private readonly dispatch: Dispatch;
  private readonly queue: Queue;
  private readonly smp: Smp;
  private readonly offline: OfflineStart;
  private readonly watch: StartWatch;
  private readonly policy: Policy;
  private readonly keeper: SessionKeeper;
  private readonly recovery: Recovery;
  private readonly prekeySignal: PrekeySignal;

  constructor(private readonly deps: OtrServiceDeps) {
    this.online = deps.online ?? true;
    // write, then transmit: every wire message leaves after the sessions it was made from are
    // stored (session-store.ts), so a key is never used twice across a crash
    const transport = (w: OtrWire): void => {
      const ps = this.peers.known(bareKey(w.to));
      if (ps) this.keeper.save(ps);
      deps.transport(w);
    };
    const parts = composeOtrParts({ ...deps, transport }, { isOnline: () => this.online, end: (peer) => this.end(peer) });
    this.ours = parts.ours;
    this.peers = parts.peers;
    this.noticesOf = parts.notices;
    this.statusOf = parts.status;
    this.dispatch = parts.dispatch;
    this.queue = parts.queue;
    this.smp = parts.smp;
    this.offline = parts.offline;
    this.watch = parts.watch;
    this.policy = parts.policy;
    this.recovery = parts.recovery;
    this.prekeySignal = parts.prekeySignal;
    this.keeper = createSessionKeeper({ accountId: deps.accountId, store: deps.store, peers: this.peers, clock: deps.clock ?? Date.now });
    // issue 13: the sessions of the last run are back before the first message is handled
    for (const ps of this.keeper.restoreAll()) this.statusOf.emit(ps);
  }

  get accountId(): string {
    return this.deps.accountId;
  }

  // ---- policy and sending ----------------------------------------------------------------------

  policyFor(peer: string): { policy: OtrPolicyName; overridden: boolean } {
    return this.peers.policyFor(peer);
  }

  /** OTRv3 §"Policies": the account's (no peer) or a contact's policy, and ALLOW_V2 (policy.ts) */
  setPolicy(peer: string | undefined, policy: OtrPolicyName | null, allowV2?: boolean): OtrPolicyName {
    return this.policy.set(peer, policy, allowV2);
  }

  /** whether a message written now must not go out in clear */
  wantsPrivate(peer: string): boolean {
    return this.policy.mustBePrivate(this.peers.state(peer));
  }

  /** the text to send in clear (with our whitespace tag when the policy advertises OTR) */
  plaintextWire(peer: string, text: string): string {
    return this.peers.plaintextWire(this.peers.state(peer), text);
  }

  /** a message written in a private conversation (wantsPrivate was true): sent now, or queued */
  sendPrivate(peer: string, messageId: string, text: string): 'sent' | 'queued' {
    return this.queue.sendPrivate(peer, messageId, text);
  }

  /** the user's decision about messages that wait */
  resolveQueue(peer: string, action: 'send-in-clear' | 'discard'): OtrStatus {
    return this.queue.resolve(peer, action);
  }

  // ---- traffic -------------------------------------------------------------------------------

  /** Something arrived from the contact. Returns the user-visible messages in it. */
  receive(fromFull: string, body: string): ReceivedMessage[] {
    const ps = this.peers.state(bareKey(fromFull));
    ps.lastFrom = fromFull;
    if (!body.includes('?OTR') && !findWhitespaceTag(body)) ps.peerSentUntagged = true;
    else ps.speaksOtr = true;
    let out: EngineOutput;
    this.offline.beginReceive();
    try {
      out = ps.conv.receive(body);
    } catch (e) {
      if (!(e instanceof OtrError)) throw e;
      out = { toSend: [], events: [{ type: 'error', code: e.code, message: e.message }] };
    }
    // decrypted: stored before anything else happens (the receipt goes out after this returns)
    this.keeper.save(ps);
    // the contact is writing: from now on their current device gets what we write
    if (out.events.some((e) => (e.type === 'message' && e.encrypted) || (e.type === 'state-changed' && e.state === 'encrypted'))) ps.offlineFanout = undefined;
    this.offline.endReceive(ps);
    const received = this.dispatch.handle(ps, out, fromFull);
    // an OTR data or key exchange message (or a fragment of one) answers our request
    this.watch.received(ps, /\?OTR[:|,]/.test(body));
    this.statusOf.emit(ps);
    return received;
  }

  /** The account's OTR is going away (core closed, account removed): no timer fires after this. */
  close(): void {
    this.watch.close();
  }

  /** the XMPP account came online / went offline: queued messages wait while offline */
  setOnline(online: boolean): void {
    this.online = online;
    if (!online) return;
    for (const ps of this.peers.all()) this.queue.flush(ps);
    // conversations with messages waiting from an earlier run: ask for a session again
    for (const peer of this.deps.store.queuedPeers(this.deps.accountId)) this.askAgainFor(this.peers.state(peer));
  }

  /**
   * Private messages that were written but never acknowledged by the server (XEP-0198; the
   * account passes its 'pending' private messages that are not out on the current stream):
   * the server died with them, the stream broke, or we closed before the ack. Each goes again,
   * encrypted anew in the running session (or queued for one), under its own id, so a device
   * that got the first copy after all drops this one (XEP-0359 origin-id, account/inbox.ts).
   * Messages waiting in the OTR queue are left to it.
   */
  resendUnacked(messages: Array<{ id: string; peer: string; body: string }>): void {
    if (!this.online) return;
    const waiting = new Map<string, Set<string>>();
    for (const m of messages) {
      let ids = waiting.get(m.peer);
      if (!ids) {
        ids = new Set(this.deps.store.queued(this.deps.accountId, m.peer).map((q) => q.messageId));
        waiting.set(m.peer, ids);
      }
      if (!ids.has(m.id)) this.queue.sendPrivate(m.peer, m.id, m.body);
    }
  }

  /**
   * The contact came online (presence): messages of ours waiting for a private session ask for it
   * again, unless a request is still out. A request that went unanswered while they were away (or
   * was given up) is not left for the user to notice (bench/soak.ts found conversations stuck so).
   * `offlineSince`: when we saw them go offline, if we did (then what they never confirmed from
   * before that goes again in the running session: recovery.ts contactReturned).
   */
  contactAvailable(peer: string, offlineSince?: number): void {
    if (!this.online) return;
    const known = this.peers.known(peer);
    if (known && offlineSince !== undefined) this.recovery.contactReturned(known, offlineSince);
    if (this.deps.store.queuedCount(this.deps.accountId, peer) === 0) return;
    const ps = this.peers.state(peer);
    if (ps.starting && !ps.starting.gaveUp) return;
    this.askAgainFor(ps);
  }

  /**
   * The contact went offline (their last device's presence unavailable). True when the offline
   * start would recover unconfirmed messages: the account then fetches their ensembles
   * (otr/prekey-ask.ts) and calls resumeOffline (recovery.ts).
   */
  contactLeft(peer: string): boolean {
    const known = this.peers.known(peer);
    return this.online && known !== undefined && this.recovery.contactLeft(known);
  }

  /** the offline start from the ensembles just fetched, re-sending what was unconfirmed (recovery.ts) */
  resumeOffline(peer: string): boolean {
    const known = this.peers.known(peer);
    return this.online && known !== undefined && this.recovery.resumeOffline(known);
  }

  /** whether asking the contact's prekey server could make the next message wait for privacy (policy.ts asksPrekeys) */
  asksPrekeys(peer: string): boolean {
    return this.online && this.policy.asksPrekeys(this.peers.state(peer));
  }

  /** asking the contact's prekey server failed: unknown, not "no" (prekey-signal.ts) */
  prekeysUnknown(peer: string): void {
    this.prekeySignal.failed(peer);
  }

  /** a new request for a private conversation, unless one is up or the contact ended it (OTRv3 §"Finished") */
  private askAgainFor(ps: PeerState): void {
    if (this.peers.encryptedSession(ps) || ps.conv.sessions().some((s) => s.state === 'finished')) return;
    this.dispatch.handle(ps, ps.conv.start(), ps.peer);
    this.watch.requested(ps);
    this.statusOf.emit(ps);
  }

  // ---- user actions --------------------------------------------------------------------------

  /** OTRv3 §"User requests to start an OTR conversation": send a query (also refreshes). */
  start(peer: string): OtrStatus {
    const ps = this.peers.state(peer);
    ps.endedByUser = false;
    this.deps.store.setPrivate(this.deps.accountId, peer, true);
    this.dispatch.handle(ps, ps.conv.start(), ps.peer);
    this.watch.requested(ps);
    return this.statusOf.emit(ps);
  }

  /** OTRv3 §"User requests to end an OTR conversation": every instance; back to plaintext. */
  end(peer: string): OtrStatus {
    const ps = this.peers.state(peer);
    for (const s of ps.conv.sessions()) {
      if (s.state === 'plaintext') continue;
      this.dispatch.handle(ps, ps.conv.end(s.instanceTag), this.peers.addressOf(ps, s.instanceTag));
    }
    ps.current = undefined;
    ps.offlineFanout = undefined;
    // the choice was among the sessions that just ended: the next conversation starts without one
    ps.chosenDevices = undefined;
    ps.smp = { ...NO_SMP };
    ps.endedByUser = true;
    this.watch.stop(ps);
    this.deps.store.setPrivate(this.deps.accountId, peer, false);
    return this.statusOf.emit(ps);
  }

  /** issue 13, several devices (otr.devices.choose): which devices get what we write; null: all (peers.ts choose) */
  chooseDevices(peer: string, instanceTags: number[] | null): OtrStatus {
    const ps = this.peers.state(peer);
    this.peers.choose(ps, instanceTags);
    return this.statusOf.emit(ps);
  }

  startSmp(peer: string, secret: string, question?: string): OtrStatus {
    return this.smp.start(peer, secret, question);
  }

  answerSmp(peer: string, secret: string): OtrStatus {
    return this.smp.answer(peer, secret);
  }

  abortSmp(peer: string): OtrStatus {
    return this.smp.abort(peer);
  }

  setTrust(peer: string, fingerprint: string, verified: boolean): OtrStatus {
    const ps = this.peers.state(peer);
    if (!this.deps.store.setVerified(this.deps.accountId, peer, fingerprint, verified)) {
      throw new MessengerError('not-found', `No key with that fingerprint was ever used by ${peer}.`);
    }
    return this.statusOf.emit(ps);
  }

  fingerprints(peer: string): { ours: { v3: string; v4: string }; theirs: OtrFingerprintInfo[] } {
    return { ours: this.ours, theirs: this.deps.store.fingerprints(this.deps.accountId, peer) };
  }

  status(peer: string): OtrStatus {
    return this.statusOf.compute(this.peers.state(peer));
  }

  // ---- offline start and notices -------------------------------------------------------------

  offlineDevices(peer: string, fetched: FetchedEnsembles): OtrOfflineDevices {
    // every retrieval also answers "has published prekeys" (issue 13, no plaintext surprises)
    this.prekeySignal.learn(peer, fetched);
    const devices = this.offline.devices(peer, fetched);
    const ps = this.peers.known(peer);
    if (ps) this.statusOf.emit(ps); // sendsInClear may have changed
    return devices;
  }

  sendOffline(peer: string, instanceTags: number[]): OtrStatus {
    return this.offline.send(peer, instanceTags);
  }

  /** a notice about the account itself (its peer is our own bare JID), e.g. a changed prekey server key */
  accountNotice(data: OtrNoticeData): void {
    this.noticesOf.account(data);
  }

  /** a notice in the conversation with `peer` raised outside OTR (wake-ups: otr/push-link.ts) */
  notice(peer: string, data: OtrNoticeData): void {
    this.noticesOf.raise(peer, data);
  }

  /** a TLV (the push handshake's) in the private session with `peer`: otr/push-link.ts */
  sendTlv(peer: string, tlv: Tlv, extraKeyUse?: number): TlvSent {
    return sendTlvPrivately({ peers: this.peers, dispatch: this.dispatch }, peer, tlv, extraKeyUse);
  }

  /** every conversation's recent notices, oldest first */
  notices(): OtrNotice[] {
    return this.noticesOf.recent();
  }
}
