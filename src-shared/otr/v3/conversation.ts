// One OTRv3 conversation with one contact (OTRv3 §"The protocol state machine", §"Policies",
// §"Instance Tags"): it negotiates (query messages, whitespace tags, error messages), runs one
// session per remote instance tag (msgstate + AKE + data keys + SMP), fragments outgoing encoded
// messages and reassembles incoming v3 fragments. Pure: every input comes through receive()/send()
// and the other calls; everything to transmit and everything that happened comes back.
//
// Decisions where the spec is silent (see docs/otrv3.md):
// * A D-H Commit we send in reply to a query or whitespace tag goes to receiver tag 0 from a
//   "master" AKE; a D-H Key (or a crossing D-H Commit) from an instance we have no exchange with
//   adopts that master exchange (libotr does the same), so every instance of the contact that
//   answers gets its own session.
// * Outgoing messages go to the instance chosen by the caller, else to the encrypted session that
//   was most recently active.
// * Errors returned as events never say whether a MAC, a counter or a keyid was wrong.
// * OTR version 2 (OTRv3 §"Policies" ALLOW_V2) is the same protocol without instance tags: it is
//   chosen only when the contact offers nothing newer, runs as the one session under tag V2_TAG
//   (0, never a real instance tag), and a v2 offer the policy refuses is reported as an
//   `older-version-refused` event rather than dropped.
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  OPPORTUNISTIC_POLICY,
  type EngineOutput,
  type MessageState,
  type OtrConversation,
  type OtrEvent,
  type OtrPolicy,
  type ProtocolVersion,
  type SmpEvent,
} from '../api';
import { classifyMessage, encodeOtrMessage } from '../common/envelope';
import { OtrError } from '../common/errors';
import { formatErrorMessage } from '../common/error-message';
import { fragmentV2, fragmentV3, parseV2Fragment, parseV3Fragment, V3Reassembler } from '../common/fragment-v3';
import { chooseVersion, formatQueryMessage, onlyRefusedV2 } from '../common/query';
import type { Clock, RandomSource } from '../common/random';
import { joinMessagePayload, splitMessagePayload, V3TlvType, type Tlv } from '../common/tlv';
import { addWhitespaceTag } from '../common/whitespace';
import { Ake, type AkeResult } from './ake';
import { DataSession } from './data-session';
import { fingerprint, fingerprintHex, type DsaPublicKey } from './dsa';
import { bigintDh1536Engine, dsaPow, type Dh1536Engine } from './group';
import { type RecordObject, type RecordReader, SessionRecordError } from '../session-record';
import { exportV3Session, readV3Session } from './session-persist';
import { isValidInstanceTag, MIN_INSTANCE_TAG, type V3Identity } from './identity';
import { decodeHeader, decodeV3Message, FLAG_IGNORE_UNREADABLE, MessageType, V2_PROTOCOL_VERSION, type DataMessageFields, type Header } from './messages';
import { encodeExtraKeyTlv, parseExtraKeyTlv, type ExtraSymmetricKey } from './extra-key';
import { Smp, smpSecret } from './smp';
import type { V3Symmetric } from './symmetric';

export interface V3ConversationOptions {
  identity: V3Identity;
  rng: RandomSource;
  clock: Clock;
  policy?: OtrPolicy;
  /** modular exponentiation in the 1536-bit group; BigInt by default */
  engine?: Dh1536Engine;
  /** SHA-1/SHA-256, HMAC and AES-128-CTR; pure JavaScript by default (symmetric.ts) */
  symmetric?: V3Symmetric;
  /** fragment encoded messages longer than this many characters (0 / undefined: never) */
  maxMessageSize?: number;
  /** send a heartbeat after receiving a data message if nothing was sent for this long (default 60 s, libotr's) */
  heartbeatIntervalMs?: number;
  /** text after the query string (shown by clients that do not speak OTR) */
  queryExplanation?: string;
}

/** libotr's MAX_AKE_WAIT_TIME: how long instances may still answer a D-H Commit sent to tag 0 */
const MASTER_COMMIT_LIFETIME_MS = 60_000;

/** the key of the OTR version 2 session (v2 has no instance tags; real tags are ≥ 0x100) */
export const V2_TAG = 0;

/** at most this many instances of one contact are tracked at once */
const MAX_INSTANCES = 32;

class InstanceSession {
  msgstate: MessageState = 'plaintext';
  readonly ake: Ake;
  readonly smp: Smp;
  data: DataSession | undefined;
  /**
   * the contact is known to be in MSGSTATE_ENCRYPTED too (we received its Signature message, or
   * decrypted one of its data messages); only then is the session exported (exportSessions)
   */
  confirmed = false;
  theirLongTerm: DsaPublicKey | undefined;
  ssid: Uint8Array | undefined;
  lastSentAt = Number.NEGATIVE_INFINITY;
  activity = 0;

  constructor(
    readonly theirTag: number,
    ake: Ake,
    smp: Smp,
  ) {
    this.ake = ake;
    this.smp = smp;
  }
}

interface Out {
  toSend: string[];
  events: OtrEvent[];
}

export class V3Conversation implements OtrConversation {
  private readonly policy: OtrPolicy;
  private readonly engine: Dh1536Engine;
  private readonly ourTag: number;
  private readonly ourFp: Uint8Array;
  private readonly master: Ake;
  private readonly instances = new Map<number, InstanceSession>();
  private readonly reassemblers = new Map<number, V3Reassembler>();
  private queued: string[] = [];
  /** when the master D-H Commit went out (it may be adopted for MASTER_COMMIT_LIFETIME_MS) */
  private masterStartedAt = Number.NEGATIVE_INFINITY;
  private receivedPlaintext = false;
  private activityCounter = 0;

  constructor(private readonly opts: V3ConversationOptions) {
    if (!isValidInstanceTag(opts.identity.instanceTag)) throw new OtrError('invalid-value', 'our instance tag must be ≥ 0x100');
    this.policy = opts.policy ?? OPPORTUNISTIC_POLICY;
    this.engine = opts.engine ?? bigintDh1536Engine;
    this.ourTag = opts.identity.instanceTag;
    this.ourFp = fingerprint(opts.identity.dsaKey);
    this.master = new Ake(this.akeDeps(), () => ({ senderTag: this.ourTag, receiverTag: 0 }));
  }

  /** our own fingerprint, 40 hex */
  get fingerprint(): string {
    return fingerprintHex(this.opts.identity.dsaKey);
  }

  private akeDeps() {
    return { ourKey: this.opts.identity.dsaKey, engine: this.engine, rng: this.opts.rng, sym: this.opts.symmetric };
  }

  /** the policy allows OTR version 2 (absent: allowed) */
  private get v2Allowed(): boolean {
    return this.policy.allowV2 !== false;
  }

  /** the versions we offer in query messages and whitespace tags */
  private offered(): number[] {
    return [...(this.policy.allowV3 ? [3] : []), ...(this.v2Allowed ? [2] : [])];
  }

  private instance(tag: number): InstanceSession {
    let s = this.instances.get(tag);
    if (!s) {
      if (this.instances.size >= MAX_INSTANCES) this.evictIdleInstance();
      const h: Header = tag === V2_TAG ? { senderTag: 0, receiverTag: 0, version: V2_PROTOCOL_VERSION } : { senderTag: this.ourTag, receiverTag: tag };
      s = new InstanceSession(tag, new Ake(this.akeDeps(), () => h), new Smp(this.engine, this.opts.rng));
      s.activity = ++this.activityCounter;
      this.instances.set(tag, s);
    }
    return s;
  }

  /** AKE messages from made-up instance tags must not grow memory without bound: drop an idle one */
  private evictIdleInstance(): void {
    let victim: InstanceSession | undefined;
    for (const i of this.instances.values()) {
      if (i.msgstate === 'plaintext' && (!victim || i.activity < victim.activity)) victim = i;
    }
    if (victim) this.instances.delete(victim.theirTag);
  }

  private header(s: InstanceSession): Header {
    return s.theirTag === V2_TAG ? { senderTag: 0, receiverTag: 0, version: V2_PROTOCOL_VERSION } : { senderTag: this.ourTag, receiverTag: s.theirTag };
  }

  /** encodes and fragments a version 3 message (to `receiverTag`) or, with `v2`, a version 2 one */
  private wire(bytes: Uint8Array, receiverTag: number, v2 = false): string[] {
    const msg = encodeOtrMessage(bytes, this.opts.symmetric?.base64);
    const max = this.opts.maxMessageSize;
    if (!max) return [msg];
    return v2 ? fragmentV2(msg, max) : fragmentV3(msg, max, this.ourTag, receiverTag);
  }

  private wireFor(s: InstanceSession, bytes: Uint8Array): string[] {
    return this.wire(bytes, s.theirTag, s.theirTag === V2_TAG);
  }

  private static out(): Out {
    return { toSend: [], events: [] };
  }

  /** runs `f`, turning anything thrown into an error event (only OtrError codes reach the caller) */
  private guard(out: Out, f: () => void): EngineOutput {
    try {
      f();
    } catch (e) {
      if (e instanceof OtrError) out.events.push({ type: 'error', code: e.code, message: e.message });
      else out.events.push({ type: 'error', code: 'unexpected', message: 'internal error' });
    }
    return out;
  }

  // ------------------------------------------------------------------ receiving

  receive(wire: string): EngineOutput {
    const out = V3Conversation.out();
    return this.guard(out, () => this.handle(wire, out, false));
  }

  private handle(wire: string, out: Out, reassembled: boolean): void {
    if (!this.policy.allowV3 && !this.v2Allowed) {
      // OTR disabled: no special handling at all (§"State transitions")
      out.events.push({ type: 'message', text: wire, encrypted: false });
      return;
    }
    const m = classifyMessage(wire, this.opts.symmetric?.base64);
    switch (m.kind) {
      case 'fragment': {
        if (reassembled) return; // fragments are never fragmented again
        let f;
        try {
          f = m.text.includes('?OTR|') ? parseV3Fragment(m.text) : parseV2Fragment(m.text);
        } catch {
          return; // illegal or v4 fragment: discard (§"Receiving Fragments")
        }
        // v2 fragments carry no tags (parsed as 0): they reassemble under V2_TAG
        if (f.senderTag === 0 ? !this.v2Allowed : f.senderTag < MIN_INSTANCE_TAG || (f.receiverTag !== 0 && f.receiverTag !== this.ourTag)) return;
        let r = this.reassemblers.get(f.senderTag);
        if (!r) {
          if (this.reassemblers.size >= 64) this.reassemblers.clear(); // bound memory: fragments are unauthenticated
          r = new V3Reassembler();
          this.reassemblers.set(f.senderTag, r);
        }
        const whole = r.add(f);
        if (whole !== undefined) this.handle(whole, out, true);
        return;
      }
      case 'encoded':
        this.handleEncoded(m.bytes, out);
        return;
      case 'error':
        this.reassemblers.clear();
        out.events.push({ type: 'error', code: 'peer-error', message: m.message });
        if (this.policy.errorStartAke) out.toSend.push(this.queryMessage());
        return;
      case 'query':
        this.reassemblers.clear();
        this.answerOffer(m.versions, 'query', out);
        return;
      case 'plaintext': {
        this.reassemblers.clear();
        this.receivedPlaintext = true;
        if (m.text.length > 0) out.events.push({ type: 'message', text: m.text, encrypted: false });
        if (m.tagVersions.length > 0 && this.policy.whitespaceStartAke) this.answerOffer(m.tagVersions, 'whitespace-tag', out);
        return;
      }
    }
  }

  /**
   * §"Receiving a Query Message" / §"Receiving plaintext with the whitespace tag": a v3 D-H Commit
   * if v3 is offered, otherwise a v2 one if v2 is offered and allowed; a v2-only offer the policy
   * refuses becomes an event
   */
  private answerOffer(versions: number[], by: 'query' | 'whitespace-tag', out: Out): void {
    const policy = { allowV2: this.v2Allowed, allowV3: this.policy.allowV3, allowV4: false };
    const v = chooseVersion(versions, policy);
    if (v === 3) this.startMaster(out);
    else if (v === 2) this.startV2(out);
    else if (onlyRefusedV2(versions, policy)) out.events.push({ type: 'older-version-refused', version: 2, by });
  }

  private handleEncoded(bytes: Uint8Array, out: Out): void {
    const h = decodeHeader(bytes);
    if (h.version === V2_PROTOCOL_VERSION) {
      this.handleV2(bytes, h.messageType, out);
      return;
    }
    if (!this.policy.allowV3) return; // §"Receiving a D-H Commit Message": version 3 not allowed, ignore
    // §"Instance Tags": discard bad sender tags and messages for another instance
    if (h.senderTag < MIN_INSTANCE_TAG) return;
    if (h.receiverTag !== this.ourTag && !(h.receiverTag === 0 && h.messageType === MessageType.dhCommit)) return;
    this.reassemblers.get(h.senderTag)?.reset();
    const msg = decodeV3Message(bytes);
    if (msg.type === 'data') {
      // a data message never creates an instance (it is unauthenticated until the MAC is checked)
      const known = this.instances.get(h.senderTag);
      if (known) this.onData(known, msg, out);
      else this.unreadable(msg.flags, out);
      return;
    }
    const s = this.instance(h.senderTag);
    const masterFresh = this.opts.clock() - this.masterStartedAt < MASTER_COMMIT_LIFETIME_MS;
    if (s.ake.state === 'none' && this.master.state === 'awaiting-dhkey' && masterFresh && (msg.type === 'dh-key' || msg.type === 'dh-commit')) {
      s.ake.adoptFrom(this.master);
    }
    const r = s.ake.receive(msg);
    if (r.reply) out.toSend.push(...this.wireFor(s, r.reply));
    if (r.result) this.goEncrypted(s, r.result, out);
  }

  /** a version 2 message: no instance tags, one session under V2_TAG (§"Policies" ALLOW_V2) */
  private handleV2(bytes: Uint8Array, messageType: number, out: Out): void {
    if (!this.v2Allowed) {
      // §"Receiving a D-H Commit Message": "If the message is version 2 and ALLOW_V2 is not set, ignore this message" (but say why)
      if (messageType === MessageType.dhCommit) out.events.push({ type: 'older-version-refused', version: 2, by: 'ake' });
      return;
    }
    this.reassemblers.get(V2_TAG)?.reset();
    const msg = decodeV3Message(bytes);
    if (msg.type === 'data') {
      const known = this.instances.get(V2_TAG);
      if (known) this.onData(known, msg, out);
      else this.unreadable(msg.flags, out);
      return;
    }
    const s = this.instance(V2_TAG);
    const r = s.ake.receive(msg);
    if (r.reply) out.toSend.push(...this.wireFor(s, r.reply));
    if (r.result) this.goEncrypted(s, r.result, out);
  }

  /** a version 2 D-H Commit (v2 has no instance tags, so no master exchange is needed) */
  private startV2(out: Out): void {
    const s = this.instance(V2_TAG);
    out.toSend.push(...this.wireFor(s, s.ake.start()));
  }

  /** §"Receiving a Query Message" / whitespace tag: D-H Commit to receiver tag 0 (any instance may answer) */
  private startMaster(out: Out): void {
    this.masterStartedAt = this.opts.clock();
    out.toSend.push(...this.wire(this.master.start(), 0));
  }

  private goEncrypted(s: InstanceSession, result: AkeResult, out: Out): void {
    s.data?.destroy();
    s.data = new DataSession(result, this.engine, this.opts.rng, this.opts.symmetric);
    s.smp.reset();
    s.theirLongTerm = result.theirLongTerm;
    s.ssid = result.ssid;
    // §"Authenticated Key Exchange": the Reveal Signature sender goes encrypted on the
    // Signature, which the contact sent once encrypted; the Signature sender must wait for data
    s.confirmed = result.weSentRevealSig;
    s.msgstate = 'encrypted';
    s.lastSentAt = this.opts.clock();
    s.activity = ++this.activityCounter;
    out.events.push(this.stateEvent(s));
    // §"Receiving a Reveal Signature/Signature Message": send the stored message(s)
    const queued = this.queued;
    this.queued = [];
    for (const text of queued) this.sendData(s, text, [], 0, out);
  }

  private stateEvent(s: InstanceSession): OtrEvent {
    const ev: OtrEvent = { type: 'state-changed', state: s.msgstate, theirInstanceTag: s.theirTag };
    if (s.msgstate === 'encrypted') {
      ev.version = s.theirTag === V2_TAG ? 2 : 3;
      if (s.theirLongTerm) ev.theirFingerprint = fingerprintHex(s.theirLongTerm);
      if (s.ssid) ev.ssid = s.ssid.slice();
    }
    return ev;
  }

  private unreadable(flags: number, out: Out): void {
    // IGNORE_UNREADABLE: say nothing at all (§"Data Message" flags)
    if (flags & FLAG_IGNORE_UNREADABLE) return;
    out.events.push({ type: 'error', code: 'unreadable', message: 'an encrypted message could not be read' });
    out.toSend.push(formatErrorMessage('ERROR_1: Message could not be read'));
  }

  private onData(s: InstanceSession, m: DataMessageFields, out: Out): void {
    if (s.msgstate !== 'encrypted' || !s.data) {
      this.unreadable(m.flags, out);
      return;
    }
    let dec;
    try {
      dec = s.data.decrypt(m);
    } catch (e) {
      if (e instanceof OtrError) {
        this.unreadable(m.flags, out);
        return;
      }
      throw e;
    }
    s.activity = ++this.activityCounter;
    s.confirmed = true;
    const { text, tlvs } = splitMessagePayload(dec.payload);
    if (text.length > 0) out.events.push({ type: 'message', text, encrypted: true, instanceTag: s.theirTag });
    let disconnected = false;
    for (const tlv of tlvs) {
      switch (tlv.type) {
        case V3TlvType.padding:
          break;
        case V3TlvType.disconnected:
          disconnected = true;
          break;
        case V3TlvType.smp1:
        case V3TlvType.smp2:
        case V3TlvType.smp3:
        case V3TlvType.smp4:
        case V3TlvType.smpAbort:
        case V3TlvType.smp1Question: {
          const r = s.smp.receive(tlv);
          this.smpEvents(r.events, out);
          if (r.tlvs.length > 0) this.sendData(s, '', r.tlvs, FLAG_IGNORE_UNREADABLE, out);
          break;
        }
        case V3TlvType.extraSymmetricKey: {
          if (s.theirTag === V2_TAG) break; // no extra key in version 2
          let u;
          try {
            u = parseExtraKeyTlv(tlv);
          } catch (e) {
            if (!(e instanceof OtrError)) throw e;
            out.events.push({ type: 'error', code: e.code, message: e.message });
            break;
          }
          out.events.push({ type: 'extra-key-received', key: dec.extraKey.slice(), use: u.use, useData: u.useData });
          break;
        }
        default:
          out.events.push({ type: 'tlv', tlv });
      }
    }
    if (disconnected) {
      // §"Receiving a Data Message": TLV 1 → forget the keys, MSGSTATE_FINISHED
      s.data.destroy();
      s.data = undefined;
      s.smp.reset();
      s.msgstate = 'finished';
      out.events.push(this.stateEvent(s));
      return;
    }
    const hb = this.opts.heartbeatIntervalMs ?? 60_000;
    if (this.opts.clock() - s.lastSentAt >= hb) this.sendData(s, '', [], FLAG_IGNORE_UNREADABLE, out);
  }

  private smpEvents(events: SmpEvent[], out: Out): void {
    for (const smp of events) out.events.push({ type: 'smp', smp });
  }

  private sendData(s: InstanceSession, text: string, tlvs: Tlv[], flags: number, out: Out): Uint8Array {
    if (!s.data) throw new OtrError('not-allowed', 'no encrypted session');
    const { message, extraKey } = s.data.encrypt(this.header(s), joinMessagePayload(text, tlvs), flags);
    out.toSend.push(...this.wireFor(s, message));
    s.lastSentAt = this.opts.clock();
    return extraKey;
  }

  // ------------------------------------------------------------------ user actions

  private queryMessage(): string {
    return formatQueryMessage(this.offered(), this.opts.queryExplanation);
  }

  /** the instance for an outgoing action: the caller's, else the most recently active encrypted one, else a finished one */
  private pick(tag?: number): InstanceSession | undefined {
    if (tag !== undefined) return this.instances.get(tag);
    let best: InstanceSession | undefined;
    for (const st of ['encrypted', 'finished'] as const) {
      for (const s of this.instances.values()) {
        if (s.msgstate === st && (!best || s.activity > best.activity)) best = s;
      }
      if (best) return best;
    }
    return undefined;
  }

  private encrypted(tag?: number): InstanceSession {
    const s = this.pick(tag);
    if (!s || s.msgstate !== 'encrypted' || !s.data) throw new OtrError('not-allowed', 'no encrypted session with this contact');
    return s;
  }

  send(text: string, options?: { tlvs?: Tlv[]; instanceTag?: number }): EngineOutput {
    const out = V3Conversation.out();
    return this.guard(out, () => {
      const s = this.pick(options?.instanceTag);
      if (options?.instanceTag !== undefined && !s) throw new OtrError('not-allowed', 'no session with that instance');
      if (s?.msgstate === 'encrypted') {
        this.sendData(s, text, options?.tlvs ?? [], 0, out);
        return;
      }
      if (s?.msgstate === 'finished') {
        // §"User types a message to be sent", MSGSTATE_FINISHED: not sent
        out.events.push({ type: 'error', code: 'not-allowed', message: 'the contact ended the private conversation; end it or start a new one' });
        return;
      }
      const enabled = this.offered().length > 0;
      if (enabled && this.policy.requireEncryption) {
        // store it and ask for OTR
        this.queued.push(text);
        out.events.push({ type: 'message-queued', text });
        out.toSend.push(this.queryMessage());
        return;
      }
      const tag = enabled && this.policy.sendWhitespaceTag && !this.receivedPlaintext;
      out.toSend.push(tag ? addWhitespaceTag(text, this.offered()) : text);
    });
  }

  start(): EngineOutput {
    const out = V3Conversation.out();
    return this.guard(out, () => {
      if (this.offered().length === 0) throw new OtrError('not-allowed', 'the policy allows neither OTR version 3 nor 2');
      out.toSend.push(this.queryMessage());
    });
  }

  end(instanceTag?: number): EngineOutput {
    const out = V3Conversation.out();
    return this.guard(out, () => {
      const targets = instanceTag !== undefined ? [this.instances.get(instanceTag)].filter((x) => x !== undefined) : [...this.instances.values()];
      for (const s of targets) {
        if (s.msgstate === 'plaintext') continue;
        if (s.msgstate === 'encrypted' && s.data) {
          this.sendData(s, '', [{ type: V3TlvType.disconnected, value: new Uint8Array(0) }], FLAG_IGNORE_UNREADABLE, out);
          s.data.destroy();
        }
        s.data = undefined;
        s.smp.reset();
        s.ake.reset();
        s.msgstate = 'plaintext';
        out.events.push(this.stateEvent(s));
      }
      if (instanceTag === undefined) {
        this.master.reset();
        // back in MSGSTATE_PLAINTEXT: whitespace tags may be offered again (§"User types a message")
        this.receivedPlaintext = false;
      }
    });
  }

  startSmp(secret: string, question?: string, instanceTag?: number): EngineOutput {
    const out = V3Conversation.out();
    return this.guard(out, () => {
      const s = this.encrypted(instanceTag);
      if (s.smp.expecting !== 1) {
        // restart: abort first, in its own message (libotr handles SMP TLVs in a fixed order, not in message order)
        const a = s.smp.abort();
        this.sendData(s, '', a.tlvs, FLAG_IGNORE_UNREADABLE, out);
      }
      const x = smpSecret(this.ourFp, fingerprint(s.theirLongTerm!), s.ssid!, new TextEncoder().encode(secret));
      const r = s.smp.start(x, question);
      this.sendData(s, '', r.tlvs, FLAG_IGNORE_UNREADABLE, out);
      this.smpEvents(r.events, out);
    });
  }

  answerSmp(secret: string, instanceTag?: number): EngineOutput {
    const out = V3Conversation.out();
    return this.guard(out, () => {
      let s: InstanceSession | undefined;
      if (instanceTag === undefined) s = [...this.instances.values()].find((i) => i.msgstate === 'encrypted' && i.smp.expecting === 'answer');
      s ??= this.encrypted(instanceTag);
      if (s.msgstate !== 'encrypted') throw new OtrError('not-allowed', 'no encrypted session');
      const y = smpSecret(fingerprint(s.theirLongTerm!), this.ourFp, s.ssid!, new TextEncoder().encode(secret));
      const r = s.smp.answer(y);
      this.sendData(s, '', r.tlvs, FLAG_IGNORE_UNREADABLE, out);
      this.smpEvents(r.events, out);
    });
  }

  abortSmp(instanceTag?: number): EngineOutput {
    const out = V3Conversation.out();
    return this.guard(out, () => {
      const s = this.encrypted(instanceTag);
      const r = s.smp.abort();
      this.sendData(s, '', r.tlvs, FLAG_IGNORE_UNREADABLE, out);
      this.smpEvents(r.events, out);
    });
  }

  /**
   * Sends TLV 8 (see extra-key.ts) and returns the extra symmetric key of the data message that
   * carries it, with the use indicator and data sent; the peer gets `extra-key-received` with the
   * same three. On failure `key` is empty and an error event says why.
   */
  useExtraKey(use: number, useData: Uint8Array, instanceTag?: number): EngineOutput & ExtraSymmetricKey {
    const out = V3Conversation.out();
    let key: Uint8Array = new Uint8Array(0);
    this.guard(out, () => {
      const tlv = encodeExtraKeyTlv(use, useData);
      const s = this.encrypted(instanceTag);
      // §"Extra symmetric key": "OTR version 3 defines an additional symmetric key" (v2 has none; libotr refuses too)
      if (s.theirTag === V2_TAG) throw new OtrError('not-allowed', 'OTR version 2 has no extra symmetric key');
      // §"Extra symmetric key": derived from the keys of the data message that carries TLV 8
      key = this.sendData(s, '', [tlv], FLAG_IGNORE_UNREADABLE, out);
    });
    return { ...out, key, use, useData: useData.slice() };
  }

  /**
   * Sends `text` with `tlvs` (among them a TLV 8) in ONE data message and returns that message's
   * extra symmetric key (§"Extra symmetric key": derived from the keys of the data message that
   * carries TLV 8), for uses whose announcement travels with other TLVs (the push handshake's
   * 0x01A4). On failure `key` is empty and an error event says why.
   */
  sendWithExtraKey(text: string, tlvs: Tlv[], instanceTag?: number): EngineOutput & { key: Uint8Array } {
    const out = V3Conversation.out();
    let key: Uint8Array = new Uint8Array(0);
    this.guard(out, () => {
      const s = this.encrypted(instanceTag);
      if (s.theirTag === V2_TAG) throw new OtrError('not-allowed', 'OTR version 2 has no extra symmetric key');
      key = this.sendData(s, text, tlvs, text.length === 0 ? FLAG_IGNORE_UNREADABLE : 0, out);
    });
    return { ...out, key };
  }

  sessions(): Array<{ instanceTag: number; state: MessageState; version?: ProtocolVersion; theirFingerprint?: string }> {
    return [...this.instances.values()]
      .filter((s) => s.msgstate !== 'plaintext' || s.theirLongTerm)
      .map((s) => {
        const r: { instanceTag: number; state: MessageState; version?: ProtocolVersion; theirFingerprint?: string } = {
          instanceTag: s.theirTag,
          state: s.msgstate,
        };
        if (s.msgstate !== 'plaintext') r.version = s.theirTag === V2_TAG ? 2 : 3;
        if (s.theirLongTerm) r.theirFingerprint = fingerprintHex(s.theirLongTerm);
        return r;
      });
  }

  /**
   * The sessions in MSGSTATE_ENCRYPTED as session records (session-persist.ts), to be kept in
   * encrypted storage and handed to restoreSession() after a restart (issue 13). An AKE or SMP
   * under way is not included, nor a session the contact is not known to have (see `confirmed`).
   * Version 2 sessions have instance tag V2_TAG.
   */
  exportSessions(): Array<{ instanceTag: number; version: 2 | 3; session: RecordObject }> {
    const out: Array<{ instanceTag: number; version: 2 | 3; session: RecordObject }> = [];
    for (const s of this.instances.values()) {
      if (s.msgstate !== 'encrypted' || !s.confirmed || !s.data || !s.theirLongTerm || !s.ssid) continue;
      const session = exportV3Session(this.ourTag, { data: s.data.exportState(), theirLongTerm: s.theirLongTerm, ssid: s.ssid });
      out.push({ instanceTag: s.theirTag, version: s.theirTag === V2_TAG ? 2 : 3, session });
    }
    return out;
  }

  /**
   * Puts a recorded session back in MSGSTATE_ENCRYPTED (replacing what that instance had); no
   * event, nothing to send. Throws SessionRecordError for a record it cannot use.
   */
  restoreSession(version: 2 | 3, instanceTag: number, r: RecordReader): void {
    if (version === 2 ? instanceTag !== V2_TAG : !isValidInstanceTag(instanceTag))
      throw new SessionRecordError('the contact instance tag does not fit the version');
    const parts = readV3Session(r, this.ourTag, dsaPow(this.engine));
    let data: DataSession;
    try {
      data = new DataSession(parts.data, this.engine, this.opts.rng, this.opts.symmetric);
    } catch {
      throw new SessionRecordError('the keys do not make a session');
    }
    const s = this.instance(instanceTag);
    s.data?.destroy();
    s.ake.reset();
    s.smp.reset();
    s.data = data;
    s.theirLongTerm = parts.theirLongTerm;
    s.ssid = parts.ssid;
    s.confirmed = true;
    s.msgstate = 'encrypted';
    s.activity = ++this.activityCounter;
  }

  /** the secure session id of an instance as libotr shows it: two %08x halves (§"…secure session id") */
  ssidHex(instanceTag?: number): string | undefined {
    const s = this.pick(instanceTag);
    return s?.ssid ? `${bytesToHex(s.ssid.subarray(0, 4))} ${bytesToHex(s.ssid.subarray(4, 8))}` : undefined;
  }
}
