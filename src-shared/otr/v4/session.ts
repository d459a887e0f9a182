// One OTRv4 conversation with one contact (otrv4.md §"The Protocol State Machine", §"Protocol
// States", §"Protocol Events", §"Instance Tags", §"Fragmentation"): one protocol state machine per
// instance tag of the contact (START, WAITING_AUTH_R, WAITING_AUTH_I, ENCRYPTED_MESSAGES,
// FINISHED), the interactive DAKE (dake.ts), the non-interactive DAKE in both directions, the
// double ratchet (ratchet/) for data messages, SMP (smp/, injected), fragmentation (fragment.ts),
// query messages and whitespace tags (common/). Pure: everything arrives through the methods and
// everything to transmit or report comes back as an EngineOutput.
//
// Decisions (docs/otrv4-decisions.md): an Identity message sent in reply to a query or a
// whitespace tag goes to receiver tag 0 from one "pending" DAKE state shared by whichever
// instance answers; data messages that arrive in WAITING_AUTH_I are kept (bounded, 10 minutes)
// and decrypted once Auth-I has been verified; an outgoing message goes to the instance the
// caller names, else to the most recently active encrypted instance.
import { OPPORTUNISTIC_POLICY, type EngineOutput, type MessageState, type OtrConversation, type OtrPolicy, type SmpEvent } from '../api';
import { classifyMessage, encodeOtrMessage } from '../common/envelope';
import { formatErrorMessage, OtrErrorMessageCode } from '../common/error-message';
import { equalBytes } from '../common/bytes';
import { OtrError } from '../common/errors';
import { formatQueryMessage } from '../common/query';
import type { Clock, RandomSource } from '../common/random';
import { joinMessagePayload, splitMessagePayload, V4TlvType, type Tlv } from '../common/tlv';
import { addWhitespaceTag } from '../common/whitespace';
import { clientProfileFingerprint } from './client-profile';
import {
  createIdentity,
  createNonInteractiveAuth,
  type DakeContext,
  type DakeIdentity,
  type DakeResult,
  type PrekeyOwnerMaterial,
  receiveAuthI,
  receiveNonInteractiveAuth,
  resolveSimultaneousIdentity,
  respondToAuthR,
  respondToIdentity,
  type WaitingAuthI,
  type WaitingAuthR,
  validateIdentity,
} from './dake';
import { decodeDakeMessage, encodeDakeMessage, MessageType, OTRV4, type DakeMessage } from './dake-messages';
import { FLAG_IGNORE_UNREADABLE, peekDataMessageHeader } from './data-message';
import type { Dh3072Engine } from './dh3072';
import { fragmentV4, isV4Fragment, V4Assembler } from './fragment';
import { fingerprint, fromHex, isValidInstanceTag, toHex } from './keys';
import type { PrekeyEnsemble } from './prekey-message';
import { extraKeyTlv, type ExtraKey, extraKeysOfTlvs } from './extra-key';
import { DataMessageError, type DoubleRatchet, initRatchet, type RatchetOptions } from './ratchet';
import { type RecordObject, type RecordReader, SessionRecordError } from '../session-record';
import { type EncryptedInfo, exportEncrypted, readEncrypted } from './session-persist';
import { Smp } from './smp';

/** The SMP engine's surface (smp/ Smp implements it); replaceable for tests. */

/**
 * An Identity message of ours outstanding this long when the contact's own Identity arrives is
 * taken as lost and resent (§"Receiving an Identity Message", WAITING_AUTH_R; D18). Crossing
 * Identity messages arrive within a round trip, far below this.
 */
export const IDENTITY_RESEND_AFTER_MS = 5_000;
export interface SmpEngine {
  start(secret: string, question?: string): { tlvs: Tlv[]; events: SmpEvent[] };
  answer(secret: string): { tlvs: Tlv[]; events: SmpEvent[] };
  abort(): { tlvs: Tlv[]; events: SmpEvent[] };
  receive(tlv: Tlv): { tlvs: Tlv[]; events: SmpEvent[] };
}
export type SmpFactory = (p: {
  random: RandomSource;
  ourFingerprint: Uint8Array;
  theirFingerprint: Uint8Array;
  ssid: Uint8Array;
  initiator?: boolean;
}) => SmpEngine;

export interface V4ConversationOptions {
  identity: DakeIdentity;
  random: RandomSource;
  clock: Clock;
  dh: Dh3072Engine;
  /** our and the contact's network identities (bare JIDs), part of phi (§"Shared Session State") */
  ourId: string;
  theirId: string;
  policy?: OtrPolicy;
  /** receive offline (non-interactive) DAKEs: our prekey secrets and profiles; `consume` deletes a used prekey */
  prekeyOwner?: PrekeyOwnerMaterial & { consume(id: number): void };
  /** fragment encoded messages longer than this (characters); undefined = never */
  maxMessageSize?: number;
  ratchet?: Partial<Pick<RatchetOptions, 'maxSkip' | 'maxStoredKeys' | 'skippedKeyMaxAgeMs' | 'skippedKeyMaxRatchets' | 'sessionExpiryMs'>>;
  /** SMP engine factory; default: the SMP of smp/ */
  smp?: SmpFactory;
  /** §"OTRv4 Modes": interactive-only refuses Non-Interactive-Auth messages */
  mode?: 'otrv3-compatible' | 'otrv4-standalone' | 'otrv4-interactive-only';
  /**
   * §"Receiving a Data Message": after receiving, send an empty heartbeat (IGNORE_UNREADABLE) if
   * nothing was sent to that instance for this long; default 60 s (libotr's); 0 disables
   */
  heartbeatIntervalMs?: number;
  /** how long data messages arriving before Auth-I are kept (§"Receiving a Data Message": 10–60 min) */
  earlyDataTtlMs?: number;
  /** tick() gives up a DAKE that began longer ago than this (a `dake-failed` error); default: never */
  dakeTimeoutMs?: number;
  queryExplanation?: string;
}

/**
 * an Auth-R we sent: the Identity message it answered (bytes), the Auth-R (bytes), when the DAKE
 * began, and `order`: when we answered among our DAKE steps (an Identity of ours sent after it
 * supersedes it, D32)
 */
interface Answered {
  dake: WaitingAuthI;
  identityWire: Uint8Array;
  authRWire: Uint8Array;
  startedAt: number;
  order: number;
}

type Phase =
  | { name: 'start' }
  | { name: 'waiting-auth-r'; dake: WaitingAuthR; identityWire: Uint8Array; startedAt: number }
  | ({ name: 'waiting-auth-i' } & Answered)
  /** `answered`: the Identity message whose DAKE set this session up, if we answered one */
  /**
   * `confirmed`: the contact is known to have completed the DAKE too (we received its Auth-I or
   * Non-Interactive-Auth, or decrypted one of its data messages); only then is it exported
   */
  | { name: 'encrypted'; ratchet: DoubleRatchet; info: EncryptedInfo; confirmed: boolean; smp?: SmpEngine; answered?: Uint8Array }
  | { name: 'finished' };

/** a DAKE under way (dakeStatus()): instance tag 0 is our Identity message to any instance */
export interface DakeStatus {
  instanceTag: number;
  state: 'waiting-auth-r' | 'waiting-auth-i';
  /** clock time (ms) the DAKE began, for progress and for giving up */
  startedAt: number;
  /** true while an encrypted session continues until the new DAKE completes (D30) */
  rekey?: true;
}

class Instance {
  phase: Phase = { name: 'start' };
  activity = 0;
  lastSentAt = Number.NEGATIVE_INFINITY;
  /** a DAKE answered (Auth-R sent) while ENCRYPTED_MESSAGES continues with the old keys */
  rekey: Answered | undefined;
  early: Array<{ bytes: Uint8Array; at: number }> = [];
  constructor(readonly theirTag: number) {}

  get state(): MessageState {
    return this.phase.name === 'encrypted' ? 'encrypted' : this.phase.name === 'finished' ? 'finished' : 'plaintext';
  }
}

const MAX_EARLY = 20;

export class V4Conversation implements OtrConversation {
  private readonly policy: OtrPolicy;
  private readonly ourTag: number;
  private readonly instances = new Map<number, Instance>();
  /** Identity we sent to receiver tag 0 (after a query / whitespace tag / start()) */
  /** `order`: when it last went out among our DAKE steps (it is sent again, byte for byte, while outstanding: D32) */
  private pending: { dake: WaitingAuthR; wire: Uint8Array; usedBy: Set<number>; startedAt: number; order: number } | undefined;
  /** orders our DAKE steps (sending an Identity, answering one); the clock may not advance between them */
  private dakeSteps = 0;
  private readonly assembler: V4Assembler;
  private queued: Array<{ text: string; tlvs: Tlv[] }> = [];
  private activityCounter = 0;
  private peerSentPlaintext = false;

  constructor(private readonly opts: V4ConversationOptions) {
    if (!isValidInstanceTag(opts.identity.instanceTag)) throw new OtrError('invalid-value', 'our instance tag must be ≥ 0x100');
    this.policy = opts.policy ?? OPPORTUNISTIC_POLICY;
    this.ourTag = opts.identity.instanceTag;
    this.assembler = new V4Assembler(this.ourTag, opts.clock);
  }

  /** our fingerprint (hex) */
  get fingerprint(): string {
    return toHex(clientProfileFingerprint(this.opts.identity.clientProfile));
  }

  get instanceTag(): number {
    return this.ourTag;
  }

  private get ctx(): DakeContext {
    return { random: this.opts.random, clock: this.opts.clock, dh: this.opts.dh, ourId: this.opts.ourId, theirId: this.opts.theirId };
  }

  private instance(tag: number): Instance {
    let s = this.instances.get(tag);
    if (!s) {
      s = new Instance(tag);
      this.instances.set(tag, s);
    }
    return s;
  }

  private wire(bytes: Uint8Array, receiverTag: number): string[] {
    const msg = encodeOtrMessage(bytes);
    const max = this.opts.maxMessageSize;
    return max ? fragmentV4(msg, max, this.ourTag, receiverTag, this.opts.random) : [msg];
  }

  private versionsWeOffer(): number[] {
    const v: number[] = [];
    if (this.policy.allowV4) v.push(4);
    if (this.policy.allowV3 && (this.opts.mode ?? 'otrv3-compatible') === 'otrv3-compatible') v.push(3);
    return v;
  }

  /** like the v3 library: an OtrError from a user action becomes an `error` event, never a throw */
  private guard(f: (out: EngineOutput) => void): EngineOutput {
    const out: EngineOutput = { toSend: [], events: [] };
    try {
      f(out);
    } catch (e) {
      if (!(e instanceof OtrError)) throw e;
      out.events.push({ type: 'error', code: e.code, message: e.message });
    }
    return out;
  }

  // ------------------------------------------------------------------------------ user actions

  start(): EngineOutput {
    return this.guard((out) => {
      if (!this.policy.allowV4 && !this.policy.allowV3) throw new OtrError('not-allowed', 'policy allows no OTR version');
      out.toSend.push(formatQueryMessage(this.versionsWeOffer(), this.opts.queryExplanation));
    });
  }

  /** §"Starting a conversation interactively": send an Identity message directly. */
  startInteractive(receiverTag = 0): EngineOutput {
    return this.guard((out) => {
      if (!this.policy.allowV4) throw new OtrError('not-allowed', 'version 4 is not allowed');
      // an explicit start begins a new DAKE with fresh ephemeral keys
      out.toSend.push(...this.sendIdentity(receiverTag, { fresh: true }));
    });
  }

  private sendIdentity(receiverTag: number, { fresh = false } = {}): string[] {
    const now = this.opts.clock();
    // While our Identity to any instance is outstanding and no instance has answered it, a query
    // (or a whitespace tag) gets the same message again, not one with fresh ephemeral keys: every copy then
    // names one DAKE, so the contact compares the same pair of Identity messages as we do
    // (§"Receiving an Identity Message", WAITING_AUTH_R) and exactly one side answers. A burst of
    // queries (one per OTR error message after the contact restarted) had each side answer a
    // different Identity of the other's, and both waited for an Auth-I forever (D32).
    if (!fresh && receiverTag === 0 && this.pending && this.pending.usedBy.size === 0) {
      this.pending.order = ++this.dakeSteps;
      return this.wire(this.pending.wire, 0);
    }
    const { message, state } = createIdentity(this.ctx, this.opts.identity, receiverTag);
    const bytes = encodeDakeMessage(message);
    const startedAt = now;
    if (receiverTag === 0) this.pending = { dake: state, wire: bytes, usedBy: new Set(), startedAt, order: ++this.dakeSteps };
    else this.instance(receiverTag).phase = { name: 'waiting-auth-r', dake: state, identityWire: bytes, startedAt };
    return this.wire(bytes, receiverTag);
  }

  /**
   * §"Sending a Data Message to an offline participant": completes a non-interactive DAKE with a
   * prekey ensemble of the contact (fetched from the prekey server) and sends `text` with it.
   * The caller should tell the user that this gives no online deniability (§"Non-interactive DAKE").
   */
  startNonInteractive(ensemble: PrekeyEnsemble, text?: string, tlvs: Tlv[] = []): EngineOutput {
    return this.guard((out) => {
      if (!this.policy.allowV4) throw new OtrError('not-allowed', 'version 4 is not allowed');
      if (this.opts.mode === 'otrv4-interactive-only') throw new OtrError('not-allowed', 'interactive-only mode');
      const { message, result } = createNonInteractiveAuth(this.ctx, this.opts.identity, ensemble);
      const s = this.instance(result.theirInstanceTag);
      this.endPhase(s);
      out.toSend.push(...this.wire(encodeDakeMessage(message), s.theirTag));
      this.enterEncrypted(s, result, out, false);
      if (text !== undefined) this.encryptTo(s, text, tlvs, out);
    });
  }

  send(text: string, options: { tlvs?: Tlv[]; instanceTag?: number } = {}): EngineOutput {
    return this.guard((out) => this.sendInto(text, options, out));
  }

  private sendInto(text: string, options: { tlvs?: Tlv[]; instanceTag?: number }, out: EngineOutput): EngineOutput {
    const tlvs = options.tlvs ?? [];
    const s = options.instanceTag !== undefined ? this.instances.get(options.instanceTag) : this.bestInstance();
    if (options.instanceTag !== undefined && (!s || s.phase.name !== 'encrypted')) {
      out.events.push({ type: 'error', code: 'not-allowed', message: 'no private conversation with that instance' });
      return out;
    }
    if (s && s.phase.name === 'encrypted') {
      this.encryptTo(s, text, tlvs, out);
      return out;
    }
    if (s && s.phase.name === 'finished') {
      // §"Sending a Data Message": in FINISHED nothing goes out
      out.events.push({ type: 'error', code: 'not-allowed', message: 'the contact ended the private conversation; end or restart it first' });
      return out;
    }
    if (this.policy.requireEncryption || tlvs.length > 0) {
      this.queued.push({ text, tlvs });
      out.events.push({ type: 'message-queued', text });
      if (!this.pending) out.toSend.push(...this.start().toSend);
      return out;
    }
    const tag = this.policy.sendWhitespaceTag && !this.peerSentPlaintext && this.versionsWeOffer().length > 0;
    out.toSend.push(tag ? addWhitespaceTag(text, this.versionsWeOffer()) : text);
    return out;
  }

  end(instanceTag?: number): EngineOutput {
    const out: EngineOutput = { toSend: [], events: [] };
    const targets = instanceTag !== undefined ? [this.instances.get(instanceTag)].filter((x): x is Instance => !!x) : [...this.instances.values()];
    for (const s of targets) {
      if (s.phase.name === 'encrypted') {
        // §"User requests to end an OTRv4 Conversation": TLV 1, forget keys, START
        const { message } = s.phase.ratchet.encrypt(joinMessagePayload('', [{ type: V4TlvType.disconnected, value: new Uint8Array(0) }]), {
          ignoreUnreadable: true,
        });
        out.toSend.push(...this.wire(message, s.theirTag));
      }
      if (s.phase.name !== 'start') {
        this.endPhase(s);
        out.events.push({ type: 'state-changed', state: 'plaintext', theirInstanceTag: s.theirTag });
      }
    }
    if (instanceTag === undefined) this.pending = undefined;
    return out;
  }

  startSmp(secret: string, question?: string, instanceTag?: number): EngineOutput {
    return this.smpAction(instanceTag, (smp) => smp.start(secret, question));
  }

  answerSmp(secret: string, instanceTag?: number): EngineOutput {
    return this.smpAction(instanceTag, (smp) => smp.answer(secret));
  }

  abortSmp(instanceTag?: number): EngineOutput {
    return this.smpAction(instanceTag, (smp) => smp.abort());
  }

  /**
   * §"Extra Symmetric Key": sends a message whose only TLV is a TLV 7 (index 0) with `use` as its
   * context and returns that TLV's 64-byte key, KDF(0x00 ‖ use ‖ extra_sym_key_1, 64), the same
   * key the peer's `extra-key-received` event carries (extra-key.ts). On failure (no private
   * conversation…) the result has an `error` event and an empty key.
   */
  useExtraKey(use: number, useData: Uint8Array, instanceTag?: number): EngineOutput & { key: Uint8Array } {
    if (!Number.isInteger(use) || use < 0 || use > 0xffffffff) {
      return { toSend: [], events: [{ type: 'error', code: 'invalid-value', message: 'use must be a 32-bit unsigned integer' }], key: new Uint8Array(0) };
    }
    const r = this.sendWithExtraKeys('', [extraKeyTlv(use, useData)], instanceTag);
    return { toSend: r.toSend, events: r.events, key: r.extraKeys[0]?.key ?? new Uint8Array(0) };
  }

  /**
   * Sends `text` with `tlvs` into the private conversation and returns the 64-byte key of every
   * TLV 7 among them, by its index in `tlvs` (extra-key.ts: the spec's chain over the TLV list);
   * the receiver gets the same keys in its `extra-key-received` events. Nothing is sent (an
   * `error` event, no keys) without a private conversation.
   */
  sendWithExtraKeys(text: string, tlvs: Tlv[], instanceTag?: number): EngineOutput & { extraKeys: ExtraKey[] } {
    let extraKeys: ExtraKey[] = [];
    const out = this.guard((o) => {
      const s = this.encryptedInstance(instanceTag);
      const base = this.encryptTo(s, text, tlvs, o, text.length === 0);
      extraKeys = extraKeysOfTlvs(base, tlvs);
      base.fill(0);
    });
    return { ...out, extraKeys };
  }

  sessions(): Array<{ instanceTag: number; state: MessageState; version?: 4; theirFingerprint?: string }> {
    return [...this.instances.values()].map((s) => ({
      instanceTag: s.theirTag,
      state: s.state,
      ...(s.phase.name === 'encrypted' ? { version: 4 as const, theirFingerprint: s.phase.info.theirFp } : {}),
    }));
  }

  /** the SSID of an encrypted instance (§"Secure Session ID"), for display */
  ssid(instanceTag?: number): Uint8Array | undefined {
    const s = instanceTag !== undefined ? this.instances.get(instanceTag) : this.bestInstance();
    return s?.phase.name === 'encrypted' ? s.phase.info.ssid : undefined;
  }

  /**
   * §"Secure Session ID": two "%08x" halves; the sender of Auth-R or Non-Interactive-Auth
   * (role 'alice') shows the first half in bold, the other side the second.
   */
  ssidDisplay(instanceTag?: number): { halves: [string, string]; boldHalf: 0 | 1 } | undefined {
    const s = instanceTag !== undefined ? this.instances.get(instanceTag) : this.bestInstance();
    if (s?.phase.name !== 'encrypted') return undefined;
    const hex = toHex(s.phase.info.ssid);
    return { halves: [hex.slice(0, 8), hex.slice(8, 16)], boldHalf: s.phase.info.role === 'alice' ? 0 : 1 };
  }

  /**
   * §"Session Expiration": expires every encrypted instance whose ratchet has seen no new ECDH
   * key for the configured time (sends TLV 1 with the MAC keys, goes to FINISHED). Call on a timer.
   */
  tick(): EngineOutput {
    const out: EngineOutput = { toSend: [], events: [] };
    for (const s of this.instances.values()) this.expireIfDue(s, out);
    const limit = this.opts.dakeTimeoutMs;
    if (limit !== undefined) {
      const now = this.opts.clock();
      for (const d of this.dakeStatus()) if (now - d.startedAt >= limit) this.giveUp(d.instanceTag, out, 'no answer from the contact in time');
    }
    return out;
  }

  /**
   * The DAKEs under way, with the clock time each began: an app shows progress from this and
   * gives up (abandonDake) when the contact does not answer. Instance tag 0 is our Identity
   * message to whichever instance answers (after a query or start()).
   */
  dakeStatus(): DakeStatus[] {
    const out: DakeStatus[] = [];
    if (this.pending) out.push({ instanceTag: 0, state: 'waiting-auth-r', startedAt: this.pending.startedAt });
    for (const s of this.instances.values()) {
      if (s.phase.name === 'waiting-auth-r' || s.phase.name === 'waiting-auth-i')
        out.push({ instanceTag: s.theirTag, state: s.phase.name, startedAt: s.phase.startedAt });
      else if (s.rekey) out.push({ instanceTag: s.theirTag, state: 'waiting-auth-i', startedAt: s.rekey.startedAt, rekey: true });
    }
    return out;
  }

  /**
   * Gives up the DAKE with one instance (0: our Identity to any instance), or all of them: its
   * ephemeral keys are forgotten, a running encrypted session is kept, and a `dake-failed` error
   * event says so. A late Auth-R or Auth-I for it is then ignored.
   */
  abandonDake(instanceTag?: number): EngineOutput {
    const out: EngineOutput = { toSend: [], events: [] };
    for (const d of this.dakeStatus()) if (instanceTag === undefined || d.instanceTag === instanceTag) this.giveUp(d.instanceTag, out, 'given up');
    return out;
  }

  private giveUp(instanceTag: number, out: EngineOutput, why: string): void {
    if (instanceTag === 0) {
      if (!this.pending) return;
      this.pending = undefined;
    } else {
      const s = this.instances.get(instanceTag);
      if (!s) return;
      if (s.phase.name === 'waiting-auth-r' || s.phase.name === 'waiting-auth-i') {
        // data messages kept for this DAKE mean the peer believes the conversation is private:
        // tell it that it is not (§"OTR Error Messages" ERROR_2), so neither side stays half-open
        if (s.early.length > 0) out.toSend.push(formatErrorMessage(`${OtrErrorMessageCode.notInPrivateState}: Not in private state message`));
        this.endPhase(s);
      } else if (s.rekey) s.rekey = undefined;
      else return;
    }
    out.events.push({ type: 'error', code: 'dake-failed', message: `the private conversation was not set up: ${why}` });
  }

  // ---------------------------------------------------------------------------------- receiving

  receive(wire: string): EngineOutput {
    const out: EngineOutput = { toSend: [], events: [] };
    try {
      this.receiveInto(wire, out);
    } catch (e) {
      if (!(e instanceof OtrError)) throw e;
      // a message we could not use; the state is unchanged (every step validates before it commits)
      out.events.push({ type: 'error', code: e.code, message: e.message });
    }
    return out;
  }

  private receiveInto(text: string, out: EngineOutput): void {
    if (text.includes('?OTR|')) {
      if (!isV4Fragment(text)) throw new OtrError('unsupported-version', 'not a version 4 fragment');
      const r = this.assembler.add(text);
      if (r.status === 'complete') this.receiveInto(r.message, out);
      return;
    }
    const m = classifyMessage(text);
    switch (m.kind) {
      case 'fragment':
        throw new OtrError('unsupported-version', 'OTRv2 fragments are not supported');
      case 'encoded':
        if (m.version !== OTRV4) throw new OtrError('unsupported-version', `OTR version ${m.version ?? '?'} message`);
        this.receiveEncoded(m.bytes, m.messageType, out);
        return;
      case 'error':
        out.events.push({ type: 'error', code: 'peer-error', message: m.message });
        if (this.policy.errorStartAke && this.policy.allowV4 && !this.anyEncrypted()) out.toSend.push(...this.start().toSend);
        return;
      case 'query':
        // §"Receiving a Query Message"
        if (m.versions.includes(4) && this.policy.allowV4) out.toSend.push(...this.sendIdentity(0));
        else if (m.versions.includes(3)) throw new OtrError('unsupported-version', 'query offers only version 3 (handled by the v3 library)');
        return;
      case 'plaintext': {
        this.peerSentPlaintext = true;
        if (m.text.length > 0) out.events.push({ type: 'message', text: m.text, encrypted: false });
        // §"Receiving plaintext with the whitespace tag"
        if (m.tagVersions.includes(4) && this.policy.allowV4 && this.policy.whitespaceStartAke && !this.anyEncrypted())
          out.toSend.push(...this.sendIdentity(0));
        return;
      }
    }
  }

  private anyEncrypted(): boolean {
    for (const s of this.instances.values()) if (s.phase.name === 'encrypted') return true;
    return false;
  }

  private receiveEncoded(bytes: Uint8Array, type: number | undefined, out: EngineOutput): void {
    if (type === MessageType.data) {
      this.receiveData(bytes, out);
      return;
    }
    const m = decodeDakeMessage(bytes);
    if (!isValidInstanceTag(m.senderTag)) throw new OtrError('malformed', 'sender instance tag is below 0x100');
    // our own message reflected back (the server echoes, or an attacker replays it to us)
    if (m.senderTag === this.ourTag) return;
    // §"Instance Tags": drop messages for another instance (Identity may name receiver 0)
    if (m.receiverTag !== this.ourTag && !(m.type === 'identity' && m.receiverTag === 0)) {
      if (m.receiverTag > 0 && m.receiverTag < 0x100) throw new OtrError('malformed', 'receiver instance tag is invalid');
      return;
    }
    this.receiveDake(m, bytes, out);
  }

  private receiveDake(m: DakeMessage, raw: Uint8Array, out: EngineOutput): void {
    const s = this.instance(m.senderTag);
    switch (m.type) {
      case 'identity': {
        if (!this.policy.allowV4) return;
        // a byte-identical retransmission of the Identity message we answered: the same Auth-R
        // again, never one with fresh ephemeral keys (the peer may complete with either copy);
        // once that DAKE is done, the copy is ignored (docs/otrv4-decisions.md D20)
        const answered = s.phase.name === 'waiting-auth-i' ? s.phase : s.rekey;
        if (answered && equalBytes(answered.identityWire, raw)) {
          out.toSend.push(...this.wire(answered.authRWire, m.senderTag));
          return;
        }
        if (s.phase.name === 'encrypted' && s.phase.answered && equalBytes(s.phase.answered, raw)) return;
        const ours =
          s.phase.name === 'waiting-auth-r'
            ? { dake: s.phase.dake, wire: s.phase.identityWire, startedAt: s.phase.startedAt }
            : s.phase.name === 'start'
              ? this.pending
              : undefined;
        if (ours) {
          // §"Receiving an Identity Message", WAITING_AUTH_R: the higher hashed B wins
          if (resolveSimultaneousIdentity(ours.dake, m) === 'keep-ours') {
            validateIdentity(this.ctx, this.opts.identity, m);
            // The spec says "resend your Identity message". When the two merely crossed, the
            // peer (lower hash) answers the copy it already has, and a peer that answers every
            // copy with a fresh Auth-R would start a second DAKE; so ours is resent only when it
            // has been outstanding longer than a crossing takes: then it was most likely lost
            // (the contact restarted), and without it both sides would wait for an Auth-R that
            // never comes (docs/otrv4-decisions.md D18).
            if (this.opts.clock() - ours.startedAt >= IDENTITY_RESEND_AFTER_MS) out.toSend.push(...this.wire(ours.wire, m.senderTag));
            return;
          }
        }
        const { message, state } = respondToIdentity(this.ctx, this.opts.identity, m);
        const wireBytes = encodeDakeMessage(message);
        const now = this.opts.clock();
        const a: Answered = {
          dake: state,
          identityWire: Uint8Array.from(raw),
          authRWire: wireBytes,
          startedAt: ours?.startedAt ?? now,
          order: ++this.dakeSteps,
        };
        if (s.phase.name === 'encrypted') {
          // ENCRYPTED_MESSAGES: answer, but keep the running session until Auth-I proves the
          // new DAKE; a replayed Identity message cannot tear it down (the otr4j maintainer's
          // FIXME on §"The Protocol State Machine"; docs/otrv4-decisions.md D30)
          s.rekey = a;
        } else {
          this.endPhase(s);
          s.phase = { name: 'waiting-auth-i', ...a };
        }
        out.toSend.push(...this.wire(wireBytes, m.senderTag));
        return;
      }
      case 'auth-r': {
        // §"Receiving an Auth-R Message": only while our Identity message is outstanding
        const usable = this.pending && !this.pending.usedBy.has(m.senderTag) ? this.pending : undefined;
        // Waiting for the Auth-I of a DAKE the contact started, we take an Auth-R only for an
        // Identity of ours sent after we answered theirs: sending it moved us to WAITING_AUTH_R
        // (§"Sending an Identity Message"), and a contact whose messenger restarted lost the
        // DAKE it started and answers ours instead (D32). By causality at most one of the two
        // sides can be in this position for the same pair of DAKEs.
        if (s.phase.name === 'waiting-auth-i' && !(usable && usable.order > s.phase.order)) return;
        // the pending Identity (to tag 0) completes at most one DAKE per instance of the contact
        const fromPending = s.phase.name !== 'waiting-auth-r';
        const dake = s.phase.name === 'waiting-auth-r' ? s.phase.dake : usable?.dake;
        if (!dake) return;
        const { message, result } = respondToAuthR(this.ctx, this.opts.identity, dake, m);
        if (fromPending) this.pending?.usedBy.add(m.senderTag);
        this.endPhase(s);
        out.toSend.push(...this.wire(encodeDakeMessage(message), m.senderTag));
        this.enterEncrypted(s, result, out, false);
        return;
      }
      case 'auth-i': {
        const a = s.phase.name === 'waiting-auth-i' ? s.phase : s.phase.name === 'encrypted' ? s.rekey : undefined;
        if (!a) return;
        // §"Receiving an Auth-I Message": one that does not verify is ignored (an error event, the
        // state unchanged): it may answer an Auth-R we replaced, and the Auth-I for the current
        // one may still come. If none comes, the DAKE is given up (abandonDake, dakeTimeoutMs).
        const result = receiveAuthI(this.ctx, this.opts.identity, a.dake, m);
        if (s.phase.name === 'encrypted') s.phase.ratchet.destroy();
        s.rekey = undefined;
        this.enterEncrypted(s, result, out, true, a.identityWire);
        // data messages that overtook Auth-I
        const early = s.early.filter((e) => this.opts.clock() - e.at <= (this.opts.earlyDataTtlMs ?? 10 * 60_000));
        s.early = [];
        for (const e of early) this.receiveData(e.bytes, out, true);
        return;
      }
      case 'non-interactive-auth': {
        // §"Receiving a Non-Interactive-Auth Message"
        if (s.phase.name === 'finished' || !this.policy.allowV4 || this.opts.mode === 'otrv4-interactive-only') return;
        const owner = this.opts.prekeyOwner;
        if (!owner) throw new OtrError('not-allowed', 'no prekey material to receive offline messages');
        const { result, prekeyId } = receiveNonInteractiveAuth(this.ctx, this.opts.identity, owner, m);
        owner.consume(prekeyId);
        this.endPhase(s);
        this.enterEncrypted(s, result, out, true);
        return;
      }
    }
  }

  private receiveData(bytes: Uint8Array, out: EngineOutput, quietOnFailure = false): void {
    const h = peekDataMessageHeader(bytes);
    if (!isValidInstanceTag(h.senderTag)) throw new OtrError('malformed', 'sender instance tag is below 0x100');
    if (h.receiverTag !== this.ourTag) return; // §"Instance Tags": not for us
    const ignore = (h.flags & FLAG_IGNORE_UNREADABLE) !== 0;
    const s = this.instances.get(h.senderTag);
    if (!s || s.phase.name !== 'encrypted') {
      if (s && s.phase.name === 'waiting-auth-i' && s.early.length < MAX_EARLY) {
        // §"Receiving a Data Message": the first DH ratchet after the DAKE may overtake Auth-I
        s.early.push({ bytes, at: this.opts.clock() });
        return;
      }
      if (!ignore && !quietOnFailure) {
        out.toSend.push(formatErrorMessage(`${OtrErrorMessageCode.notInPrivateState}: Not in private state message`));
        out.events.push({ type: 'error', code: 'unreadable', message: 'an encrypted message arrived outside a private conversation' });
      }
      return;
    }
    if (this.expireIfDue(s, out)) return;
    const phase = s.phase;
    let payload: Uint8Array;
    let extraKey: Uint8Array;
    try {
      const d = phase.ratchet.decrypt(bytes);
      payload = d.payload;
      extraKey = d.extraSymmetricKey;
    } catch (e) {
      if (!(e instanceof DataMessageError) && !(e instanceof OtrError)) throw e;
      if (s.rekey && s.early.length < MAX_EARLY) {
        // perhaps the first message of the new session, overtaking Auth-I
        s.early.push({ bytes, at: this.opts.clock() });
        return;
      }
      if (!ignore && !quietOnFailure) {
        out.toSend.push(formatErrorMessage(`${OtrErrorMessageCode.unreadable}: Unreadable message`));
        out.events.push({ type: 'error', code: 'unreadable', message: 'an encrypted message could not be read' });
      }
      return;
    }
    s.activity = ++this.activityCounter;
    // the contact's data message in this session: it completed the DAKE too
    phase.confirmed = true;
    const { text, tlvs } = splitMessagePayload(payload);
    if (text.length > 0) out.events.push({ type: 'message', text, encrypted: true, instanceTag: s.theirTag });
    // §"Extra Symmetric Key": one key per TLV 7, chained over the TLV list (extra-key.ts)
    const extraKeys = new Map(extraKeysOfTlvs(extraKey, tlvs).map((k) => [k.index, k]));
    extraKey.fill(0);
    for (const [index, tlv] of tlvs.entries()) {
      switch (tlv.type) {
        case V4TlvType.padding:
          break;
        case V4TlvType.disconnected:
          // §"Receiving a Data Message": forget keys, FINISHED
          this.endPhase(s);
          s.phase = { name: 'finished' };
          out.events.push({ type: 'state-changed', state: 'finished', version: 4, theirInstanceTag: s.theirTag });
          return;
        case V4TlvType.smp1:
        case V4TlvType.smp2:
        case V4TlvType.smp3:
        case V4TlvType.smp4:
        case V4TlvType.smpAbort: {
          if (!phase.smp) break;
          const r = phase.smp.receive(tlv);
          for (const ev of r.events) out.events.push({ type: 'smp', smp: ev });
          if (r.tlvs.length > 0) this.encryptTo(s, '', r.tlvs, out, true);
          break;
        }
        case V4TlvType.extraSymmetricKey: {
          const k = extraKeys.get(index);
          // beyond the tenth TLV 7 of a message there is no key (§"Extra Symmetric Key")
          if (k) out.events.push({ type: 'extra-key-received', key: k.key, use: k.use, useData: k.useData });
          break;
        }
        default:
          out.events.push({ type: 'tlv', tlv });
      }
    }
    const hb = this.opts.heartbeatIntervalMs ?? 60_000;
    if (hb > 0 && s.phase.name === 'encrypted' && this.opts.clock() - s.lastSentAt >= hb) this.encryptTo(s, '', [], out, true);
  }

  // ------------------------------------------------------------------------------------ helpers

  private bestInstance(): Instance | undefined {
    let best: Instance | undefined;
    for (const s of this.instances.values()) {
      if (s.phase.name !== 'encrypted') continue;
      if (!best || s.activity > best.activity) best = s;
    }
    if (best) return best;
    for (const s of this.instances.values()) if (s.phase.name === 'finished') return s;
    return undefined;
  }

  private encryptedInstance(tag?: number): Instance & { phase: Extract<Phase, { name: 'encrypted' }> } {
    const s = tag !== undefined ? this.instances.get(tag) : this.bestInstance();
    if (!s || s.phase.name !== 'encrypted') throw new OtrError('not-allowed', 'no private conversation with this contact');
    return s as Instance & { phase: Extract<Phase, { name: 'encrypted' }> };
  }

  private smpAction(tag: number | undefined, f: (smp: SmpEngine) => { tlvs: Tlv[]; events: SmpEvent[] }): EngineOutput {
    return this.guard((out) => {
      const s = this.encryptedInstance(tag);
      if (!s.phase.smp) throw new OtrError('not-allowed', 'SMP is not available');
      const r = f(s.phase.smp);
      out.events.push(...r.events.map((smp) => ({ type: 'smp' as const, smp })));
      if (r.tlvs.length > 0) this.encryptTo(s, '', r.tlvs, out, true);
    });
  }

  /** encrypts to an encrypted instance; returns the message's extra symmetric key */
  private encryptTo(s: Instance, text: string, tlvs: Tlv[], out: EngineOutput, ignoreUnreadable = false): Uint8Array {
    if (s.phase.name !== 'encrypted') throw new OtrError('not-allowed', 'no private conversation with this instance');
    if (this.expireIfDue(s, out)) throw new OtrError('not-allowed', 'the private conversation expired');
    const { message, extraSymmetricKey } = s.phase.ratchet.encrypt(joinMessagePayload(text, tlvs), { ignoreUnreadable });
    s.activity = ++this.activityCounter;
    s.lastSentAt = this.opts.clock();
    out.toSend.push(...this.wire(message, s.theirTag));
    return extraSymmetricKey;
  }

  private expireIfDue(s: Instance, out: EngineOutput): boolean {
    if (s.phase.name !== 'encrypted' || s.phase.ratchet.destroyed || !s.phase.ratchet.isExpired()) return false;
    out.toSend.push(...this.wire(s.phase.ratchet.expire(), s.theirTag));
    s.phase = { name: 'finished' };
    out.events.push({ type: 'state-changed', state: 'finished', version: 4, theirInstanceTag: s.theirTag });
    return true;
  }

  /** `confirmed`: see Phase; false when we sent the last DAKE message (Auth-I, Non-Interactive-Auth) */
  private enterEncrypted(s: Instance, result: DakeResult, out: EngineOutput, confirmed: boolean, answered?: Uint8Array): void {
    const ratchet = initRatchet({
      ...this.opts.ratchet,
      mode: result.mode,
      role: result.role,
      sharedSecret: result.sharedSecret,
      // copies: the ratchet wipes its keys in place, and a pending Identity may be answered by
      // several instances of the contact
      ...(result.ourEcdh ? { ourEcdh: { ...result.ourEcdh } } : {}),
      ...(result.ourDh ? { ourDh: { ...result.ourDh } } : {}),
      ...(result.theirEcdh ? { theirEcdh: result.theirEcdh } : {}),
      ...(result.theirDh !== undefined ? { theirDh: result.theirDh } : {}),
      ourInstanceTag: this.ourTag,
      theirInstanceTag: result.theirInstanceTag,
      random: this.opts.random,
      clock: this.opts.clock,
      dh: this.opts.dh,
    });
    const theirFpBytes = fingerprint(result.theirProfile.publicKey, result.theirProfile.forgingKey);
    this.setEncrypted(s, ratchet, { ssid: result.ssid, role: result.role, theirFp: toHex(theirFpBytes) }, confirmed, answered);
    s.activity = ++this.activityCounter;
    out.events.push({
      type: 'state-changed',
      state: 'encrypted',
      version: 4,
      theirInstanceTag: s.theirTag,
      theirFingerprint: toHex(theirFpBytes),
      ssid: result.ssid,
    });
    // §"Receiving an Auth-I Message": "If a plaintext message is waiting to be sent, encrypt it and send it"
    const queued = this.queued;
    this.queued = [];
    for (const q of queued) this.encryptTo(s, q.text, q.tlvs, out);
  }

  /** ENCRYPTED_MESSAGES with a ratchet (new from a DAKE, or restored), with a fresh SMP engine */
  private setEncrypted(s: Instance, ratchet: DoubleRatchet, info: EncryptedInfo, confirmed: boolean, answered?: Uint8Array): void {
    const smp = (this.opts.smp ?? ((p) => new Smp(p)))({
      random: this.opts.random,
      ourFingerprint: clientProfileFingerprint(this.opts.identity.clientProfile),
      theirFingerprint: fromHex(info.theirFp),
      ssid: info.ssid,
    });
    s.phase = { name: 'encrypted', ratchet, info, confirmed, ...(smp ? { smp } : {}), ...(answered ? { answered } : {}) };
  }

  private ratchetOptions(theirTag: number): RatchetOptions {
    return {
      ...this.opts.ratchet,
      ourInstanceTag: this.ourTag,
      theirInstanceTag: theirTag,
      random: this.opts.random,
      clock: this.opts.clock,
      dh: this.opts.dh,
    };
  }

  /**
   * The sessions in ENCRYPTED_MESSAGES as session records (session-persist.ts), to be kept in
   * encrypted storage and handed to restoreSession() after a restart (issue 13). A DAKE or SMP
   * under way is not included, nor a session the contact is not known to have completed: when
   * our Auth-I (§"Interactive DAKE Overview") or Non-Interactive-Auth is lost, the contact has no
   * session, and one kept across a restart would take every later message into the void
   * (nothing answers data messages kept for an Auth-I that never comes).
   */
  exportSessions(): Array<{ instanceTag: number; session: RecordObject }> {
    const out: Array<{ instanceTag: number; session: RecordObject }> = [];
    for (const s of this.instances.values()) {
      if (s.phase.name === 'encrypted' && s.phase.confirmed && !s.phase.ratchet.destroyed)
        out.push({ instanceTag: s.theirTag, session: exportEncrypted(this.ourTag, s.phase.ratchet, s.phase.info) });
    }
    return out;
  }

  /**
   * Puts a recorded session back in ENCRYPTED_MESSAGES for instance `instanceTag` (replacing
   * whatever that instance had). Throws SessionRecordError for a record it cannot use.
   * §"Session Expiration" still applies: the ratchet keeps the time of our last new ECDH key.
   */
  restoreSession(instanceTag: number, r: RecordReader): void {
    if (!isValidInstanceTag(instanceTag)) throw new SessionRecordError('the contact instance tag is invalid');
    const { ratchet, info } = readEncrypted(r, this.ratchetOptions(instanceTag));
    const s = this.instance(instanceTag);
    this.endPhase(s);
    this.setEncrypted(s, ratchet, info, true);
    s.activity = ++this.activityCounter;
  }

  /** leaves the current phase, wiping its keys */
  private endPhase(s: Instance): void {
    if (s.phase.name === 'encrypted') s.phase.ratchet.destroy();
    s.phase = { name: 'start' };
    s.rekey = undefined;
    s.early = [];
  }
}
