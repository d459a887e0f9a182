// The state one OTRv3 conversation keeps (OTRv3 §"The protocol state machine", §"Instance Tags")
// and the steps every part of it uses: the sessions by instance tag, the "master" AKE answering
// query messages, and the outgoing path (encode, fragment, encrypt a data message). The parts:
// receive.ts routes incoming messages, data-receive.ts handles decrypted data messages,
// conversation.ts is the public API. Internal to v3/.
import { OPPORTUNISTIC_POLICY, type OtrEvent, type OtrPolicy, type SmpEvent } from '../api';
import { encodeOtrMessage } from '../common/envelope';
import { OtrError } from '../common/errors';
import { formatErrorMessage } from '../common/error-message';
import { fragmentV2, fragmentV3, type V3Reassembler } from '../common/fragment-v3';
import { formatQueryMessage } from '../common/query';
import type { Clock, RandomSource } from '../common/random';
import { joinMessagePayload, type Tlv } from '../common/tlv';
import { Ake, type AkeResult } from './ake';
import { DataSession } from './data-session';
import { fingerprint, fingerprintHex } from './dsa';
import { bigintDh1536Engine, type Dh1536Engine } from './group';
import { isValidInstanceTag, type V3Identity } from './identity';
import { InstanceSession, V2_TAG, type Out } from './instance-session';
import { FLAG_IGNORE_UNREADABLE, V2_PROTOCOL_VERSION, type Header } from './messages';
import { Smp } from './smp';
import type { V3Symmetric } from './symmetric';

export interface V3ConversationOptions {
  identity: V3Identity;
  rng: RandomSource;
  clock: Clock;
  policy?: OtrPolicy;
  /** modular exponentiation in the 1536-bit group; BigInt by default */
  engine?: Dh1536Engine;
  /** SHA-1/SHA-256, HMAC, AES-128-CTR and the base64 of encoded messages; pure JavaScript by default (symmetric.ts) */
  symmetric?: V3Symmetric;
  /** fragment encoded messages longer than this many characters (0 / undefined: never) */
  maxMessageSize?: number;
  /** send a heartbeat after receiving a data message if nothing was sent for this long (default 60 s, libotr's) */
  heartbeatIntervalMs?: number;
  /** text after the query string (shown by clients that do not speak OTR) */
  queryExplanation?: string;
}

/** at most this many instances of one contact are tracked at once */
const MAX_INSTANCES = 32;
const NO_KEY = new Uint8Array(0);

export class ConversationState {
  readonly policy: OtrPolicy;
  readonly engine: Dh1536Engine;
  readonly ourTag: number;
  readonly ourFp: Uint8Array;
  readonly master: Ake;
  readonly instances = new Map<number, InstanceSession>();
  readonly reassemblers = new Map<number, V3Reassembler>();
  queued: string[] = [];
  /** when the master D-H Commit went out (it may be adopted for MASTER_COMMIT_LIFETIME_MS) */
  masterStartedAt = Number.NEGATIVE_INFINITY;
  receivedPlaintext = false;
  activityCounter = 0;

  constructor(readonly opts: V3ConversationOptions) {
    if (!isValidInstanceTag(opts.identity.instanceTag)) throw new OtrError('invalid-value', 'our instance tag must be ≥ 0x100');
    this.policy = opts.policy ?? OPPORTUNISTIC_POLICY;
    this.engine = opts.engine ?? bigintDh1536Engine;
    this.ourTag = opts.identity.instanceTag;
    this.ourFp = fingerprint(opts.identity.dsaKey);
    this.master = new Ake(this.akeDeps(), () => ({ senderTag: this.ourTag, receiverTag: 0 }));
  }

  akeDeps() {
    return { ourKey: this.opts.identity.dsaKey, engine: this.engine, rng: this.opts.rng, sym: this.opts.symmetric };
  }

  /** the policy allows OTR version 2 (absent: allowed) */
  get v2Allowed(): boolean {
    return this.policy.allowV2 !== false;
  }

  /** the versions we offer in query messages and whitespace tags */
  offered(): number[] {
    return [...(this.policy.allowV3 ? [3] : []), ...(this.v2Allowed ? [2] : [])];
  }

  instance(tag: number): InstanceSession {
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
  evictIdleInstance(): void {
    let victim: InstanceSession | undefined;
    for (const i of this.instances.values()) {
      if (i.msgstate === 'plaintext' && (!victim || i.activity < victim.activity)) victim = i;
    }
    if (victim) this.instances.delete(victim.theirTag);
  }

  header(s: InstanceSession): Header {
    return s.theirTag === V2_TAG ? { senderTag: 0, receiverTag: 0, version: V2_PROTOCOL_VERSION } : { senderTag: this.ourTag, receiverTag: s.theirTag };
  }

  /** encodes and fragments a version 3 message (to `receiverTag`) or, with `v2`, a version 2 one */
  wire(bytes: Uint8Array, receiverTag: number, v2 = false): string[] {
    const msg = encodeOtrMessage(bytes, this.opts.symmetric?.base64);
    const max = this.opts.maxMessageSize;
    if (!max) return [msg];
    return v2 ? fragmentV2(msg, max) : fragmentV3(msg, max, this.ourTag, receiverTag);
  }

  wireFor(s: InstanceSession, bytes: Uint8Array): string[] {
    return this.wire(bytes, s.theirTag, s.theirTag === V2_TAG);
  }

  goEncrypted(s: InstanceSession, result: AkeResult, out: Out): void {
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

  stateEvent(s: InstanceSession): OtrEvent {
    const ev: OtrEvent = { type: 'state-changed', state: s.msgstate, theirInstanceTag: s.theirTag };
    if (s.msgstate === 'encrypted') {
      ev.version = s.theirTag === V2_TAG ? 2 : 3;
      if (s.theirLongTerm) ev.theirFingerprint = fingerprintHex(s.theirLongTerm);
      if (s.ssid) ev.ssid = s.ssid.slice();
    }
    return ev;
  }

  unreadable(flags: number, out: Out): void {
    // IGNORE_UNREADABLE: say nothing at all (§"Data Message" flags)
    if (flags & FLAG_IGNORE_UNREADABLE) return;
    out.events.push({ type: 'error', code: 'unreadable', message: 'an encrypted message could not be read' });
    out.toSend.push(formatErrorMessage('ERROR_1: Message could not be read'));
  }

  smpEvents(events: SmpEvent[], out: Out): void {
    for (const smp of events) out.events.push({ type: 'smp', smp });
  }

  /** sends a data message; returns its extra symmetric key if `withExtraKey` (§"Extra symmetric key"), else an empty array */
  sendData(s: InstanceSession, text: string, tlvs: Tlv[], flags: number, out: Out, withExtraKey = false): Uint8Array {
    if (!s.data) throw new OtrError('not-allowed', 'no encrypted session');
    // the key of the pair encrypt() uses: it rotates no key (only receiving does)
    const extraKey = withExtraKey ? s.data.currentExtraKey() : NO_KEY;
    const message = s.data.encrypt(this.header(s), tlvs.length === 0 ? text : joinMessagePayload(text, tlvs), flags);
    const wire = this.wireFor(s, message);
    for (const m of wire) out.toSend.push(m);
    s.lastSentAt = this.opts.clock();
    return extraKey;
  }

  queryMessage(): string {
    return formatQueryMessage(this.offered(), this.opts.queryExplanation);
  }

  /** the instance for an outgoing action: the caller's, else the most recently active encrypted one, else a finished one */
  pick(tag?: number): InstanceSession | undefined {
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

  encrypted(tag?: number): InstanceSession {
    const s = this.pick(tag);
    if (!s || s.msgstate !== 'encrypted' || !s.data) throw new OtrError('not-allowed', 'no encrypted session with this contact');
    return s;
  }
}
