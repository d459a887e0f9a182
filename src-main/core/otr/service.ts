// The OTR service of one account (DESIGN.md 5 and 6): one NegotiatingConversation (OTRv4 with
// OTRv3 fallback, src-shared/otr/conversation.ts) per contact bare JID, which itself holds one
// session per instance tag of the contact (OTRv4 §"Instance Tags", OTRv3 §"Instance Tags").
// It decides, for every message the user writes, whether it goes out encrypted, waits, or may go
// in clear; it keeps trust per fingerprint, warns when a contact's key changes, drives SMP for the
// UI and reports the state the conversation header shows.
//
// No silent downgrade (issue 6): once a conversation is private (the user started it, or a
// session came up), or when the policy is 'always' (OTRv3 §"Policies" REQUIRE_ENCRYPTION), a
// message is never sent in clear: without an encrypted session it is stored in the queue
// (SQLCipher, survives a restart), the user is told, an OTR query goes out, and the message is
// sent as soon as a new private session is up, or when the user decides (send in clear /
// discard). The library's own queue is not used (policy requireEncryption is off inside), so
// the only queue is the persisted one here.
//
// Per device (DESIGN.md 5): messages of a session go to the full JID of the resource the
// session runs with (the last resource we heard that instance tag from); queries go to the bare
// JID, so every device of the contact may answer and gets its own instance session.
//
// Offline start (otrv4.md §"Non-Interactive DAKE", §"Sending a Data Message to an offline
// participant"; issue 5): when the contact is offline, the user fetches the devices their prekey
// server offers (one ensemble per instance tag, offlineDevices) and picks all of them or one
// (sendOffline). Each chosen device gets its own non-interactive DAKE and a copy of every
// waiting message; what the user writes next goes to the same devices until the contact writes
// back (then the device they write from is the current one, as usual). Messages go to the bare
// JID: we do not know the resources of an offline contact. The sender gives up online
// deniability (otrv4.md §"Non-interactive DAKE": none "for the party that completes the DAKE by
// sending a Non-Interactive-Auth message"); the renderer says so before the user sends. On the
// other side, a session that came up from one of our prekeys says so (notice 'offline-start').
import { randomUUID } from 'node:crypto';
import {
  DEFAULT_OTR_POLICY,
  type OtrEventPayloads,
  type OtrOfflineDevices,
  type OtrFingerprintInfo,
  type OtrNotice,
  type OtrNoticeKind,
  type OtrPolicyName,
  type OtrSmpStatus,
  type OtrStatus,
} from '../../../src-shared/ipc/otr-contract';
import { MessengerError } from '../../../src-shared/ipc/result';
import type { EngineOutput, OtrEvent, OtrPolicy, SmpEvent } from '../../../src-shared/otr/api';
import { OtrError } from '../../../src-shared/otr/common/errors';
import type { Clock, RandomSource } from '../../../src-shared/otr/common/random';
import { addWhitespaceTag, findWhitespaceTag } from '../../../src-shared/otr/common/whitespace';
import { NegotiatingConversation } from '../../../src-shared/otr/conversation';
import type { Dh1536Engine } from '../../../src-shared/otr/v3/group';
import type { Dh3072Engine } from '../../../src-shared/otr/v4/dh3072';
import { clientProfileFingerprint } from '../../../src-shared/otr/v4/client-profile';
import { dakeIdentity, prekeyOwner } from '../../../src-shared/otr/v4/identity';
import { toHex } from '../../../src-shared/otr/v4/keys';
import type { PrekeyEnsemble } from '../../../src-shared/otr/v4/prekey-message';
import { nativeDh1536Engine, nativeDh3072Engine, systemRandom } from '../../../src-shared/node-crypto/dh-engines';
import { ourFingerprints, type OtrAccountIdentity } from './identity';
import type { OtrStore } from './otr-store';

/** One stanza to send: `to` is a bare or full JID; `messageId` set when it carries a ChatMessage. */
export interface OtrWire {
  to: string;
  id: string;
  body: string;
  messageId?: string;
  /** the user chose to send this waiting message unencrypted: an ordinary chat message */
  inClear?: true;
}

export interface OtrServiceDeps {
  accountId: string;
  /** our bare JID (part of OTRv4's phi, §"Shared Session State") */
  ownJid: string;
  identity: OtrAccountIdentity;
  store: OtrStore;
  /** hands one OTR stanza to XMPP (with the hints of stanza.ts) */
  transport(wire: OtrWire): void;
  emit<K extends keyof OtrEventPayloads>(name: K, payload: OtrEventPayloads[K]): void;
  /** a message that waited went out (encrypted, or in clear because the user chose so) */
  onQueuedSent(messageId: string, encrypted: boolean): void;
  /** the user discarded a message that waited */
  onQueuedDiscarded(messageId: string): void;
  /** a one-time prekey secret was used (and deleted from `identity`): persist the identity now */
  onPrekeyConsumed?: () => void;
  /** the policy when neither the account nor the contact has one */
  defaultPolicy?: OtrPolicyName;
  /** whether the account is connected at creation (default true); then setOnline() */
  online?: boolean;
  random?: RandomSource;
  clock?: Clock;
  dh3072?: Dh3072Engine;
  dh1536?: Dh1536Engine;
}

/** a contact's prekey ensembles as the prekey lifecycle fetched them (prekey/lifecycle.ts) */
export type FetchedEnsembles =
  | { ok: true; byInstanceTag: Map<number, PrekeyEnsemble> }
  | { ok: false; reason: 'no-server' | 'none'; text: string }
  | { ok: false; reason: 'fingerprint-changed'; server: string; announced: string; text: string };

/**
 * Fetched ensembles are used within this time or fetched again: their client profiles may expire
 * and the user's choice was made on what the dialog showed.
 */
export const OFFLINE_ENSEMBLES_MAX_AGE_MS = 10 * 60_000;

/** notices kept per conversation for otr.notices (the renderer keeps as many) */
export const RECENT_NOTICES_PER_PEER = 20;

/** what a user-visible message that arrived looks like to the account session */
export interface ReceivedMessage {
  text: string;
  encrypted: boolean;
}

/** The library policy for a user-facing policy name (OTRv3 §"Policies"). */
export function libraryPolicy(name: OtrPolicyName): OtrPolicy {
  const auto = name !== 'manual';
  return {
    allowV3: true,
    allowV4: true,
    // queueing is this service's job (persisted); the library never queues
    requireEncryption: false,
    // whitespace tags are added here, on the plaintext this service lets through
    sendWhitespaceTag: false,
    whitespaceStartAke: auto,
    errorStartAke: auto,
  };
}

interface PeerState {
  peer: string;
  conv: NegotiatingConversation;
  convPolicy: OtrPolicyName;
  /** instance tag -> full JID it last wrote from */
  tagJid: Map<number, string>;
  /** the full JID of the last OTR message from this contact (before its instance tag is known) */
  lastFrom?: string;
  /** the session shown in the header: the one that became encrypted last */
  current?: number;
  smp: OtrSmpStatus & { fingerprint?: string };
  /** OTRv3 §"Whitespace tag": stop tagging once the contact sent plaintext without a tag */
  peerSentUntagged: boolean;
  /** the contact's devices started offline (sendOffline): what we write goes to each of them */
  offlineFanout?: number[];
  lastStatus?: string;
}

const NO_SMP: OtrSmpStatus = { phase: 'none', initiatedByUs: false };

export class OtrService {
  private readonly peers = new Map<string, PeerState>();
  private readonly random: RandomSource;
  private readonly clock: Clock;
  private readonly dh3072: Dh3072Engine;
  private readonly dh1536: Dh1536Engine;
  private readonly ours: { v3: string; v4: string };
  private online = true;
  /** ensembles fetched for an offline start, per contact; each is used once (handed out once) */
  private readonly offline = new Map<string, { at: number; byTag: Map<number, PrekeyEnsemble> }>();
  /** set while receive() runs when one of our one-time prekeys was used (an offline start) */
  private prekeyUsed = false;
  /** the last notices per conversation (otr.notices), for a window that was not listening */
  private readonly recentNotices = new Map<string, OtrNotice[]>();

  constructor(private readonly deps: OtrServiceDeps) {
    this.random = deps.random ?? systemRandom;
    this.clock = deps.clock ?? Date.now;
    this.dh3072 = deps.dh3072 ?? nativeDh3072Engine();
    this.dh1536 = deps.dh1536 ?? nativeDh1536Engine();
    this.ours = ourFingerprints(deps.identity);
    this.online = deps.online ?? true;
  }

  get accountId(): string {
    return this.deps.accountId;
  }

  // ---- policy --------------------------------------------------------------------------------

  policyFor(peer: string): { policy: OtrPolicyName; overridden: boolean } {
    return this.deps.store.policy(this.deps.accountId, peer, this.deps.defaultPolicy ?? DEFAULT_OTR_POLICY);
  }

  setPolicy(peer: string | undefined, policy: OtrPolicyName | null): OtrPolicyName {
    if (peer === undefined && policy === null) throw new MessengerError('invalid-argument', 'An account always has a policy; pick manual, opportunistic or always.');
    this.deps.store.setPolicy(this.deps.accountId, peer, policy);
    // the conversations pick it up when they are next idle (a running session is kept)
    for (const ps of peer === undefined ? [...this.peers.values()] : [this.peers.get(peer)].filter((p): p is PeerState => !!p)) this.emitStatus(ps);
    return peer === undefined ? (policy as OtrPolicyName) : this.policyFor(peer).policy;
  }

  // ---- conversations -------------------------------------------------------------------------

  private newConversation(peer: string, policy: OtrPolicyName): NegotiatingConversation {
    const id = this.deps.identity;
    return new NegotiatingConversation({
      policy: libraryPolicy(policy),
      v3: { identity: id.v3, rng: this.random, clock: this.clock, engine: this.dh1536 },
      v4: {
        identity: dakeIdentity(id.v4),
        random: this.random,
        clock: this.clock,
        dh: this.dh3072,
        ourId: this.deps.ownJid,
        theirId: peer,
        prekeyOwner: prekeyOwner(id.v4, this.clock, () => {
          this.prekeyUsed = true;
          this.deps.onPrekeyConsumed?.();
        }),
      },
    });
  }

  private state(peer: string): PeerState {
    let ps = this.peers.get(peer);
    const { policy } = this.policyFor(peer);
    if (!ps) {
      ps = { peer, conv: this.newConversation(peer, policy), convPolicy: policy, tagJid: new Map(), smp: { ...NO_SMP }, peerSentUntagged: false };
      this.peers.set(peer, ps);
    } else if (ps.convPolicy !== policy && ps.conv.sessions().every((s) => s.state === 'plaintext')) {
      // a changed policy applies from the next conversation on; nothing runs now, so rebuild
      ps.conv = this.newConversation(peer, policy);
      ps.convPolicy = policy;
      ps.current = undefined;
    }
    return ps;
  }

  private encryptedSession(ps: PeerState) {
    const enc = ps.conv.sessions().filter((s) => s.state === 'encrypted');
    return enc.find((s) => s.instanceTag === ps.current) ?? enc[0];
  }

  /** the address for a session's traffic: its device's full JID when known */
  private addressOf(ps: PeerState, tag: number | undefined): string {
    return (tag !== undefined ? ps.tagJid.get(tag) : undefined) ?? ps.peer;
  }

  /** whether a message written now must not go out in clear */
  wantsPrivate(peer: string): boolean {
    const ps = this.state(peer);
    return this.policyFor(peer).policy === 'always' || this.deps.store.isPrivate(this.deps.accountId, peer) || this.encryptedSession(ps) !== undefined;
  }

  /** the text to send in clear (with our whitespace tag when the policy advertises OTR) */
  plaintextWire(peer: string, text: string): string {
    const ps = this.state(peer);
    if (ps.convPolicy === 'manual' || ps.peerSentUntagged) return text;
    return addWhitespaceTag(text, [4, 3]);
  }

  /**
   * A message the user wrote in a private conversation (wantsPrivate was true): encrypted and
   * sent now, or queued (persisted) until a private session is up.
   */
  sendPrivate(peer: string, messageId: string, text: string): 'sent' | 'queued' {
    const ps = this.state(peer);
    const s = this.encryptedSession(ps);
    if (s && this.online && this.encryptToTargets(ps, messageId, text)) {
      this.emitStatus(ps);
      return 'sent';
    }
    this.deps.store.enqueue(this.deps.accountId, { messageId, peer, body: text, createdAt: this.clock() });
    this.deps.store.setPrivate(this.deps.accountId, peer, true);
    if (this.online && !s) {
      const finished = ps.conv.sessions().some((x) => x.state === 'finished');
      this.notice(
        ps,
        'queued',
        finished
          ? `${peer} ended the private conversation. Your message waits: it is sent when a new private conversation is up. You can also send it unencrypted or discard it.`
          : `Your message waits until a private conversation with ${peer} is up; the messenger is starting one. You can also send it unencrypted or discard it.`,
      );
      if (!finished) this.transmit(ps, ps.conv.start(), ps.peer);
    }
    this.emitStatus(ps);
    return 'queued';
  }

  /** Something arrived from the contact. Returns the user-visible messages in it. */
  receive(fromFull: string, body: string): ReceivedMessage[] {
    const peer = bareOf(fromFull);
    const ps = this.state(peer);
    ps.lastFrom = fromFull;
    const isOtr = body.includes('?OTR');
    if (!isOtr && !findWhitespaceTag(body)) ps.peerSentUntagged = true;
    let out: EngineOutput;
    this.prekeyUsed = false;
    try {
      out = ps.conv.receive(body);
    } catch (e) {
      if (!(e instanceof OtrError)) throw e;
      out = { toSend: [], events: [{ type: 'error', code: e.code, message: e.message }] };
    }
    const offlineStart = this.prekeyUsed;
    this.prekeyUsed = false;
    // the contact is writing: from now on their current device gets what we write
    if (out.events.some((e) => (e.type === 'message' && e.encrypted) || (e.type === 'state-changed' && e.state === 'encrypted'))) ps.offlineFanout = undefined;
    if (offlineStart) {
      this.notice(
        ps,
        'offline-start',
        `${ps.peer} started this private conversation while you were offline, from the keys your device published in advance for that. It is encrypted. Started this way, it is ${ps.peer} who gave up some deniability (OTRv4: online deniability for the one who starts it offline); yours is as in any private conversation.`,
      );
    }
    return this.handle(ps, out, fromFull);
  }

  /** the XMPP account came online / went offline: queued messages wait while offline */
  setOnline(online: boolean): void {
    this.online = online;
    if (!online) return;
    for (const ps of this.peers.values()) this.flush(ps);
    // conversations with messages waiting from an earlier run: ask for a session again
    for (const peer of this.deps.store.queuedPeers(this.deps.accountId)) {
      const ps = this.state(peer);
      if (!this.encryptedSession(ps) && !ps.conv.sessions().some((s) => s.state === 'finished')) this.transmit(ps, ps.conv.start(), ps.peer);
    }
  }

  // ---- user actions --------------------------------------------------------------------------

  /** OTRv3 §"User requests to start an OTR conversation": send a query (also refreshes). */
  start(peer: string): OtrStatus {
    const ps = this.state(peer);
    this.deps.store.setPrivate(this.deps.accountId, peer, true);
    this.transmit(ps, ps.conv.start(), ps.peer);
    return this.emitStatus(ps);
  }

  /** OTRv3 §"User requests to end an OTR conversation": every instance; back to plaintext. */
  end(peer: string): OtrStatus {
    const ps = this.state(peer);
    for (const s of ps.conv.sessions()) {
      if (s.state === 'plaintext') continue;
      this.handle(ps, ps.conv.end(s.instanceTag), this.addressOf(ps, s.instanceTag));
    }
    ps.current = undefined;
    ps.offlineFanout = undefined;
    ps.smp = { ...NO_SMP };
    this.deps.store.setPrivate(this.deps.accountId, peer, false);
    return this.emitStatus(ps);
  }

  startSmp(peer: string, secret: string, question?: string): OtrStatus {
    const ps = this.state(peer);
    const s = this.requireEncrypted(ps);
    ps.smp = { phase: 'waiting', initiatedByUs: true, ...(question !== undefined ? { question } : {}), ...(s.theirFingerprint ? { fingerprint: s.theirFingerprint } : {}) };
    this.handle(ps, this.otrCall(() => ps.conv.startSmp(secret, question, s.instanceTag)), this.addressOf(ps, s.instanceTag));
    return this.emitStatus(ps);
  }

  answerSmp(peer: string, secret: string): OtrStatus {
    const ps = this.state(peer);
    const s = this.requireEncrypted(ps);
    if (ps.smp.phase !== 'asked') throw new MessengerError('invalid-argument', `${peer} has not asked you to verify anything.`);
    ps.smp = { ...ps.smp, phase: 'in-progress' };
    this.handle(ps, this.otrCall(() => ps.conv.answerSmp(secret, s.instanceTag)), this.addressOf(ps, s.instanceTag));
    return this.emitStatus(ps);
  }

  abortSmp(peer: string): OtrStatus {
    const ps = this.state(peer);
    const s = this.encryptedSession(ps);
    if (s) this.handle(ps, this.otrCall(() => ps.conv.abortSmp(s.instanceTag)), this.addressOf(ps, s.instanceTag));
    ps.smp = { ...ps.smp, phase: 'aborted' };
    return this.emitStatus(ps);
  }

  setTrust(peer: string, fingerprint: string, verified: boolean): OtrStatus {
    const ps = this.state(peer);
    if (!this.deps.store.setVerified(this.deps.accountId, peer, fingerprint, verified)) {
      throw new MessengerError('not-found', `No key with that fingerprint was ever used by ${peer}.`);
    }
    return this.emitStatus(ps);
  }

  fingerprints(peer: string): { ours: { v3: string; v4: string }; theirs: OtrFingerprintInfo[] } {
    return { ours: this.ours, theirs: this.deps.store.fingerprints(this.deps.accountId, peer) };
  }

  /** the user's decision about messages that wait */
  resolveQueue(peer: string, action: 'send-in-clear' | 'discard'): OtrStatus {
    const ps = this.state(peer);
    const queued = this.deps.store.queued(this.deps.accountId, peer);
    if (queued.length === 0) return this.emitStatus(ps);
    if (action === 'discard') {
      for (const m of queued) {
        this.deps.store.dequeue(this.deps.accountId, m.messageId);
        this.deps.onQueuedDiscarded(m.messageId);
      }
      return this.emitStatus(ps);
    }
    if (this.policyFor(peer).policy === 'always') {
      throw new MessengerError('invalid-argument', `The policy for ${peer} is "always private": messages are never sent unencrypted. Change the policy first.`);
    }
    if (!this.online) throw new MessengerError('not-connected', 'The account is not connected; the messages keep waiting.');
    // the user leaves the private conversation: end what is left of it (finished sessions)
    this.end(peer);
    for (const m of queued) {
      this.deps.transport({ to: peer, id: m.messageId, body: this.plaintextWire(peer, m.body), messageId: m.messageId, inClear: true });
      this.deps.store.dequeue(this.deps.accountId, m.messageId);
      this.deps.onQueuedSent(m.messageId, false);
    }
    return this.emitStatus(ps);
  }

  status(peer: string): OtrStatus {
    return this.computeStatus(this.state(peer));
  }

  // ---- offline start (otrv4.md §"Non-Interactive DAKE") --------------------------------------

  /**
   * The devices an offline contact can be reached on, from the ensembles just fetched from their
   * prekey server (already validated by the prekey client). Kept for sendOffline: the server
   * hands each ensemble out only once.
   */
  offlineDevices(peer: string, fetched: FetchedEnsembles): OtrOfflineDevices {
    const base = { accountId: this.deps.accountId, peer };
    if (!fetched.ok) {
      this.offline.delete(peer);
      if (fetched.reason === 'fingerprint-changed') this.raise(peer, 'prekey-server-changed', fetched.text, fetched.announced.toLowerCase(), fetched.server);
      return { ...base, devices: [], unavailable: fetched.text };
    }
    this.offline.set(peer, { at: this.clock(), byTag: new Map(fetched.byInstanceTag) });
    const seen = new Map(this.deps.store.fingerprints(this.deps.accountId, peer).map((f) => [f.fingerprint, f]));
    const devices = [...fetched.byInstanceTag].map(([instanceTag, e]) => {
      const fingerprint = toHex(clientProfileFingerprint(e.clientProfile));
      const known = seen.get(fingerprint);
      return { instanceTag, fingerprint, known: known !== undefined, verified: known?.verified ?? false, expiresAt: Number(e.clientProfile.expires) * 1000 };
    });
    return { ...base, devices };
  }

  /**
   * Starts a private conversation with each chosen device of the offline contact (one
   * Non-Interactive-Auth each, to the bare JID) and sends the waiting messages to all of them.
   */
  sendOffline(peer: string, instanceTags: number[]): OtrStatus {
    if (!this.online) throw new MessengerError('not-connected', 'The account is not connected.');
    const ps = this.state(peer);
    const fetched = this.offline.get(peer);
    if (!fetched || this.clock() - fetched.at > OFFLINE_ENSEMBLES_MAX_AGE_MS) {
      throw new MessengerError('invalid-argument', `Look up ${peer}'s devices again: the list is missing or too old.`);
    }
    const tags = [...new Set(instanceTags)];
    if (tags.some((t) => !fetched.byTag.has(t))) throw new MessengerError('invalid-argument', `That device of ${peer} is not in the list; look up their devices again.`);
    const out: EngineOutput = { toSend: [], events: [] };
    const started: number[] = [];
    for (const tag of tags) {
      const ensemble = fetched.byTag.get(tag)!;
      // one use only: a second DAKE with the same one-time prekey would fail on the other side
      fetched.byTag.delete(tag);
      const o = ps.conv.startNonInteractive(ensemble);
      if (o.events.some((e) => e.type === 'error')) continue;
      out.toSend.push(...o.toSend);
      out.events.push(...o.events);
      started.push(tag);
    }
    if (started.length === 0) throw new MessengerError('otr-error', `No private conversation could be started with ${peer}'s devices; look up their devices again.`);
    this.deps.store.setPrivate(this.deps.accountId, peer, true);
    ps.offlineFanout = started;
    const waiting = this.deps.store.queuedCount(this.deps.accountId, peer);
    // sends the Non-Interactive-Auth messages, then (encrypted now) the waiting messages to each device
    // the 'offline-sent' notice below says where they went
    this.handle(ps, out, ps.peer, undefined, { announceFlush: false });
    const devices = started.length === 1 ? 'one device' : `${started.length} devices`;
    this.notice(
      ps,
      'offline-sent',
      waiting > 0
        ? `${peer} is offline: your ${waiting === 1 ? 'message was' : `${waiting} messages were`} sent privately to ${devices} of theirs, to be read when they come online.`
        : `${peer} is offline: a private conversation with ${devices} of theirs is ready; what you write goes there until they answer.`,
    );
    return this.emitStatus(ps);
  }

  // ---- internals -----------------------------------------------------------------------------

  private requireEncrypted(ps: PeerState) {
    const s = this.encryptedSession(ps);
    if (!s) throw new MessengerError('otr-error', `The conversation with ${ps.peer} is not private; start a private conversation first.`);
    return s;
  }

  private otrCall(f: () => EngineOutput): EngineOutput {
    try {
      return f();
    } catch (e) {
      if (e instanceof OtrError) throw new MessengerError('otr-error', e.message);
      throw e;
    }
  }

  private transmit(ps: PeerState, out: EngineOutput, to: string): void {
    this.handle(ps, out, to);
  }

  /**
   * Sends what the library produced and acts on its events. `to` is where replies go (the full
   * JID a message came from, or the session's device); `messageId` marks the data message that
   * carries a ChatMessage (the first wire message of a send).
   */
  private handle(ps: PeerState, out: EngineOutput, to: string, messageId?: string, opts: { announceFlush?: boolean } = {}): ReceivedMessage[] {
    const received: ReceivedMessage[] = [];
    let becameEncrypted = false;
    // first learn the instance tags (so replies and flushes go to the right device)
    for (const ev of out.events) {
      if (ev.type === 'state-changed' && ev.theirInstanceTag !== undefined && to.includes('/')) ps.tagJid.set(ev.theirInstanceTag, to);
      if (ev.type === 'message' && ev.instanceTag !== undefined && to.includes('/')) ps.tagJid.set(ev.instanceTag, to);
    }
    out.toSend.forEach((body, i) => {
      const carries = messageId !== undefined && i === out.toSend.length - 1;
      this.deps.transport({ to, id: carries ? messageId : randomUUID(), body, ...(carries ? { messageId } : {}) });
    });
    for (const ev of out.events) {
      switch (ev.type) {
        case 'state-changed':
          if (ev.state === 'encrypted') {
            becameEncrypted = true;
            this.onEncrypted(ps, ev);
          } else if (ev.state === 'finished') {
            if (ps.current === ev.theirInstanceTag) ps.smp = { ...NO_SMP };
            this.notice(ps, 'ended-by-peer', `${ps.peer} ended the private conversation. What you write now waits until you start a new private conversation, or you end it too.`);
          }
          break;
        case 'message':
          // replies go to the device the contact writes from (the most recently active session)
          if (ev.encrypted && ev.instanceTag !== undefined) ps.current = ev.instanceTag;
          if (ev.text.length > 0) received.push({ text: ev.text, encrypted: ev.encrypted });
          break;
        case 'smp':
          this.onSmp(ps, ev.smp);
          break;
        case 'error':
          this.onError(ps, ev);
          break;
        case 'message-queued':
        case 'tlv':
        case 'extra-key-received':
          break;
      }
    }
    if (becameEncrypted) this.flush(ps, opts.announceFlush ?? true);
    this.emitStatus(ps);
    return received;
  }

  private onEncrypted(ps: PeerState, ev: Extract<OtrEvent, { type: 'state-changed' }>): void {
    ps.current = ev.theirInstanceTag;
    ps.smp = { ...NO_SMP };
    this.deps.store.setPrivate(this.deps.accountId, ps.peer, true);
    const fp = ev.theirFingerprint;
    if (!fp || (ev.version !== 3 && ev.version !== 4)) return;
    const seen = this.deps.store.seen(this.deps.accountId, ps.peer, fp, ev.version, this.clock());
    if (seen.isNew && seen.hadOthers) {
      this.notice(
        ps,
        'fingerprint-changed',
        `${ps.peer} is using a key you have not seen before. This happens when they use a new device or reinstalled their messenger — or when someone else is in between. Verify the new key before you say anything sensitive.`,
        fp,
      );
    }
  }

  private onSmp(ps: PeerState, ev: SmpEvent): void {
    const fp = this.encryptedSession(ps)?.theirFingerprint;
    switch (ev.type) {
      case 'smp-request':
        ps.smp = { phase: 'asked', initiatedByUs: false, ...(ev.question !== undefined ? { question: ev.question } : {}), ...(fp ? { fingerprint: fp } : {}) };
        break;
      case 'smp-progress':
        // step 1 is our own first message; from step 2 on the contact has answered
        if (ps.smp.phase === 'waiting' && ev.step >= 2) ps.smp = { ...ps.smp, phase: 'in-progress' };
        break;
      case 'smp-succeeded': {
        const smp = ps.smp;
        ps.smp = { ...smp, phase: 'succeeded' };
        // Pidgin-OTR semantics: a shared secret authenticates both sides; with a question only
        // the side that asked learns that the other side is who it thinks it is.
        const authenticates = smp.question === undefined || smp.initiatedByUs;
        const key = smp.fingerprint ?? fp;
        if (authenticates && key) this.deps.store.setVerified(this.deps.accountId, ps.peer, key, true);
        this.notice(
          ps,
          'smp-succeeded',
          authenticates
            ? `Verification succeeded: ${ps.peer} is verified.`
            : `You answered ${ps.peer}'s question correctly; they have verified you. Ask them a question of your own to verify them.`,
        );
        break;
      }
      case 'smp-failed':
      case 'smp-cheated':
        ps.smp = { ...ps.smp, phase: 'failed', ...(ev.type === 'smp-cheated' ? { cheated: true } : {}) };
        this.notice(
          ps,
          'smp-failed',
          `Verification with ${ps.peer} failed: the answers did not match. Either one of you mistyped (answers must match exactly), or you are not talking to ${ps.peer}. Try again, or compare fingerprints another way.`,
        );
        break;
      case 'smp-aborted':
        ps.smp = { ...ps.smp, phase: 'aborted' };
        break;
    }
  }

  private onError(ps: PeerState, ev: Extract<OtrEvent, { type: 'error' }>): void {
    if (ev.code === 'peer-error') {
      this.notice(
        ps,
        'peer-error',
        `${ps.peer}'s messenger reported a problem with the private conversation (it said: "${ev.message.slice(0, 200)}"). A message you sent may not have been readable for them; send it again once the conversation is private.`,
      );
      return;
    }
    if (ev.code === 'unreadable') {
      this.notice(
        ps,
        'unreadable',
        `A private message from ${ps.peer} could not be decrypted. It probably belongs to an earlier private conversation (for example from before the messenger restarted). Nothing is wrong with your keys: ask ${ps.peer} to send it again once the private conversation is up.`,
      );
      // recover: ask for a new session unless one is up (OTRv3 §"Receiving an encrypted message" in PLAINTEXT)
      if (!this.encryptedSession(ps) && (ps.convPolicy !== 'manual' || this.deps.store.isPrivate(this.deps.accountId, ps.peer)) && this.online) {
        const q = ps.conv.start();
        for (const body of q.toSend) this.deps.transport({ to: ps.peer, id: randomUUID(), body });
      }
      return;
    }
    // malformed / unexpected input: no state changed; nothing the user can act upon beyond this
    if (ev.code === 'malformed' || ev.code === 'invalid-value' || ev.code === 'unexpected' || ev.code === 'unsupported-version') return;
  }

  /** sends every queued message of the contact into its encrypted session; `announce`: say so */
  private flush(ps: PeerState, announce = true): void {
    if (!this.online) return;
    if (!this.encryptedSession(ps)) return;
    const queued = this.deps.store.queued(this.deps.accountId, ps.peer);
    if (queued.length === 0) return;
    for (const m of queued) {
      // never recurse into handle's flush
      if (!this.encryptToTargets(ps, m.messageId, m.body)) break;
      this.deps.store.dequeue(this.deps.accountId, m.messageId);
      this.deps.onQueuedSent(m.messageId, true);
    }
    if (announce) this.notice(ps, 'queue-sent', `The messages that waited have been sent privately to ${ps.peer}.`);
  }

  /** the sessions what we write goes to: the offline start's devices, else the current session */
  private targets(ps: PeerState): number[] {
    const enc = new Set(ps.conv.sessions().filter((s) => s.state === 'encrypted').map((s) => s.instanceTag));
    const fanout = ps.offlineFanout?.filter((t) => enc.has(t)) ?? [];
    if (fanout.length > 0) return fanout;
    const s = this.encryptedSession(ps);
    return s ? [s.instanceTag] : [];
  }

  /**
   * Encrypts `text` for every target session and hands the wire messages over. The ChatMessage
   * id (receipts, delivery state) rides with the first device's data message; other copies get
   * ids of their own. False when no session took it.
   */
  private encryptToTargets(ps: PeerState, messageId: string, text: string): boolean {
    let carried = false;
    for (const tag of this.targets(ps)) {
      const out = ps.conv.send(text, { instanceTag: tag });
      if (out.events.some((e) => e.type === 'error')) continue;
      const carries = !carried;
      out.toSend.forEach((body, i) => {
        const withId = carries && i === out.toSend.length - 1;
        this.deps.transport({ to: this.addressOf(ps, tag), id: withId ? messageId : randomUUID(), body, ...(withId ? { messageId } : {}) });
      });
      carried = true;
    }
    return carried;
  }

  private notice(ps: PeerState, kind: OtrNoticeKind, message: string, fingerprint?: string): void {
    this.raise(ps.peer, kind, message, fingerprint);
  }

  private raise(peer: string, kind: OtrNoticeKind, message: string, fingerprint?: string, server?: string): void {
    const n: OtrNotice = { id: randomUUID(), at: this.clock(), accountId: this.deps.accountId, peer, kind, message, ...(fingerprint ? { fingerprint } : {}), ...(server ? { server } : {}) };
    const list = this.recentNotices.get(peer) ?? [];
    list.push(n);
    if (list.length > RECENT_NOTICES_PER_PEER) list.shift();
    this.recentNotices.set(peer, list);
    this.deps.emit('otr.notice', n);
  }

  /** a notice about the account itself (its peer is our own bare JID), e.g. a changed prekey server key */
  accountNotice(kind: OtrNoticeKind, message: string, about: { fingerprint?: string; server?: string } = {}): void {
    this.raise(bareOf(this.deps.ownJid), kind, message, about.fingerprint, about.server);
  }

  /** every conversation's recent notices, oldest first */
  notices(): OtrNotice[] {
    return [...this.recentNotices.values()].flat().sort((a, b) => a.at - b.at);
  }

  private computeStatus(ps: PeerState): OtrStatus {
    const { policy, overridden } = this.policyFor(ps.peer);
    const enc = this.encryptedSession(ps);
    const finished = ps.conv.sessions().find((s) => s.state === 'finished');
    const s = enc ?? finished;
    const verified = enc?.theirFingerprint ? this.deps.store.isVerified(this.deps.accountId, ps.peer, enc.theirFingerprint) : false;
    const resource = s ? ps.tagJid.get(s.instanceTag)?.split('/').slice(1).join('/') : undefined;
    const smp: OtrSmpStatus = { phase: ps.smp.phase, initiatedByUs: ps.smp.initiatedByUs, ...(ps.smp.question !== undefined ? { question: ps.smp.question } : {}), ...(ps.smp.cheated ? { cheated: true } : {}) };
    return {
      accountId: this.deps.accountId,
      peer: ps.peer,
      state: enc ? (verified ? 'private-verified' : 'private-unverified') : finished ? 'finished' : 'not-private',
      ...(s?.version ? { version: s.version } : {}),
      ...(s?.theirFingerprint ? { theirFingerprint: s.theirFingerprint } : {}),
      ...(s ? { theirInstanceTag: s.instanceTag } : {}),
      ...(resource ? { resource } : {}),
      ourFingerprints: this.ours,
      policy,
      policyOverridden: overridden,
      queued: this.deps.store.queuedCount(this.deps.accountId, ps.peer),
      ...(ps.offlineFanout && enc ? { offlineDevices: [...ps.offlineFanout] } : {}),
      privateIntent: this.deps.store.isPrivate(this.deps.accountId, ps.peer),
      smp,
    };
  }

  private emitStatus(ps: PeerState): OtrStatus {
    const st = this.computeStatus(ps);
    const key = JSON.stringify(st);
    if (key !== ps.lastStatus) {
      ps.lastStatus = key;
      this.deps.emit('otr.status', st);
    }
    return st;
  }
}

function bareOf(jid: string): string {
  const slash = jid.indexOf('/');
  return (slash < 0 ? jid : jid.slice(0, slash)).toLowerCase();
}
