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
//
// Here: the public API and the receive dispatch; session-instance.ts: an Instance and its Phase;
// session-core.ts: options and shared state; session-dake.ts: the DAKE steps; session-data.ts:
// the data path (encrypting, receiving, expiry, session records).
import { OPPORTUNISTIC_POLICY, type EngineOutput, type MessageState, type OtrConversation, type OtrPolicy, type SmpEvent } from '../api';
import { classifyMessage } from '../common/envelope';
import { OtrError } from '../common/errors';
import { formatQueryMessage } from '../common/query';
import { joinMessagePayload, V4TlvType, type Tlv } from '../common/tlv';
import { addWhitespaceTag } from '../common/whitespace';
import { clientProfileFingerprint } from './client-profile';
import { decodeDakeMessage, MessageType, OTRV4 } from './dake-messages';
import { isV4Fragment, V4Assembler } from './fragment';
import { isValidInstanceTag, toHex } from './keys';
import type { PrekeyEnsemble } from './prekey-message';
import { extraKeyTlv, type ExtraKey, extraKeysOfTlvs } from './extra-key';
import type { RecordObject, RecordReader } from '../session-record';
import { SessionCore, type V4ConversationOptions } from './session-core';
import { dakesUnderWay, type DakeStatus, giveUp, receiveDake, sendIdentity, sendNonInteractiveAuth } from './session-dake';
import { encryptTo, expireIfDue, exportConfirmed, receiveData, restoreEncrypted } from './session-data';
import { endPhase, type Instance, type Phase, type SmpEngine } from './session-instance';

export { IDENTITY_RESEND_AFTER_MS, type DakeStatus } from './session-dake';
export type { SmpFactory, V4ConversationOptions } from './session-core';
export type { SmpEngine } from './session-instance';

export class V4Conversation implements OtrConversation {
  private readonly policy: OtrPolicy;
  private readonly ourTag: number;
  private readonly instances = new Map<number, Instance>();
  /** what the DAKE steps and the data path share with this conversation, its instance table included */
  private readonly core: SessionCore;
  private readonly assembler: V4Assembler;
  private peerSentPlaintext = false;

  constructor(private readonly opts: V4ConversationOptions) {
    if (!isValidInstanceTag(opts.identity.instanceTag)) throw new OtrError('invalid-value', 'our instance tag must be ≥ 0x100');
    this.policy = opts.policy ?? OPPORTUNISTIC_POLICY;
    this.ourTag = opts.identity.instanceTag;
    this.assembler = new V4Assembler(this.ourTag, opts.clock);
    this.core = new SessionCore(opts, this.policy, this.instances);
  }

  /** our fingerprint (hex) */
  get fingerprint(): string {
    return toHex(clientProfileFingerprint(this.opts.identity.clientProfile));
  }

  get instanceTag(): number {
    return this.ourTag;
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
      out.toSend.push(...sendIdentity(this.core, receiverTag, { fresh: true }));
    });
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
      const s = sendNonInteractiveAuth(this.core, ensemble, out);
      if (text !== undefined) encryptTo(this.core, s, text, tlvs, out);
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
      encryptTo(this.core, s, text, tlvs, out);
      return out;
    }
    if (s && s.phase.name === 'finished') {
      // §"Sending a Data Message": in FINISHED nothing goes out
      out.events.push({ type: 'error', code: 'not-allowed', message: 'the contact ended the private conversation; end or restart it first' });
      return out;
    }
    if (this.policy.requireEncryption || tlvs.length > 0) {
      this.core.queued.push({ text, tlvs });
      out.events.push({ type: 'message-queued', text });
      if (!this.core.pending) out.toSend.push(...this.start().toSend);
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
        out.toSend.push(...this.core.wire(message, s.theirTag));
      }
      if (s.phase.name !== 'start') {
        endPhase(s);
        out.events.push({ type: 'state-changed', state: 'plaintext', theirInstanceTag: s.theirTag });
      }
    }
    if (instanceTag === undefined) this.core.pending = undefined;
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
      const base = encryptTo(this.core, s, text, tlvs, o, text.length === 0);
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
    for (const s of this.instances.values()) expireIfDue(this.core, s, out);
    const limit = this.opts.dakeTimeoutMs;
    if (limit !== undefined) {
      const now = this.opts.clock();
      for (const d of this.dakeStatus()) if (now - d.startedAt >= limit) giveUp(this.core, d.instanceTag, out, 'no answer from the contact in time');
    }
    return out;
  }

  /**
   * The DAKEs under way, with the clock time each began: an app shows progress from this and
   * gives up (abandonDake) when the contact does not answer. Instance tag 0 is our Identity
   * message to whichever instance answers (after a query or start()).
   */
  dakeStatus(): DakeStatus[] {
    return dakesUnderWay(this.core);
  }

  /**
   * Gives up the DAKE with one instance (0: our Identity to any instance), or all of them: its
   * ephemeral keys are forgotten, a running encrypted session is kept, and a `dake-failed` error
   * event says so. A late Auth-R or Auth-I for it is then ignored.
   */
  abandonDake(instanceTag?: number): EngineOutput {
    const out: EngineOutput = { toSend: [], events: [] };
    for (const d of this.dakeStatus()) if (instanceTag === undefined || d.instanceTag === instanceTag) giveUp(this.core, d.instanceTag, out, 'given up');
    return out;
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
        if (m.versions.includes(4) && this.policy.allowV4) out.toSend.push(...sendIdentity(this.core, 0));
        else if (m.versions.includes(3)) throw new OtrError('unsupported-version', 'query offers only version 3 (handled by the v3 library)');
        return;
      case 'plaintext': {
        this.peerSentPlaintext = true;
        if (m.text.length > 0) out.events.push({ type: 'message', text: m.text, encrypted: false });
        // §"Receiving plaintext with the whitespace tag"
        if (m.tagVersions.includes(4) && this.policy.allowV4 && this.policy.whitespaceStartAke && !this.anyEncrypted())
          out.toSend.push(...sendIdentity(this.core, 0));
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
      receiveData(this.core, bytes, out);
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
    receiveDake(this.core, m, bytes, out);
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
      if (r.tlvs.length > 0) encryptTo(this.core, s, '', r.tlvs, out, true);
    });
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
    return exportConfirmed(this.core);
  }

  /**
   * Puts a recorded session back in ENCRYPTED_MESSAGES for instance `instanceTag` (replacing
   * whatever that instance had). Throws SessionRecordError for a record it cannot use.
   * §"Session Expiration" still applies: the ratchet keeps the time of our last new ECDH key.
   */
  restoreSession(instanceTag: number, r: RecordReader): void {
    restoreEncrypted(this.core, instanceTag, r);
  }
}
