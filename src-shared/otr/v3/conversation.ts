// One OTRv3 conversation with one contact (OTRv3 §"The protocol state machine", §"Policies",
// §"Instance Tags"): it negotiates (query messages, whitespace tags, error messages), runs one
// session per remote instance tag (msgstate + AKE + data keys + SMP), fragments outgoing encoded
// messages and reassembles incoming v3 fragments. Pure: every input comes through receive()/send()
// and the other calls; everything to transmit and everything that happened comes back.
//
// This file is the public API; the state and the outgoing path are in conversation-state.ts,
// incoming messages are routed by receive.ts, decrypted data messages handled by data-receive.ts.
// Decisions where the spec is silent (see docs/otrv3.md and receive.ts):
// * Outgoing messages go to the instance chosen by the caller, else to the encrypted session that
//   was most recently active.
// * Errors returned as events never say whether a MAC, a counter or a keyid was wrong.
import { bytesToHex } from '@noble/hashes/utils.js';
import type { EngineOutput, MessageState, OtrConversation, ProtocolVersion } from '../api';
import { OtrError } from '../common/errors';
import { V3TlvType, type Tlv } from '../common/tlv';
import { addWhitespaceTag } from '../common/whitespace';
import { ConversationState, type V3ConversationOptions } from './conversation-state';
import { DataSession } from './data-session';
import { fingerprint, fingerprintHex } from './dsa';
import { dsaPow } from './group';
import { isValidInstanceTag } from './identity';
import { V2_TAG, type InstanceSession, type Out } from './instance-session';
import { FLAG_IGNORE_UNREADABLE } from './messages';
import { handle } from './receive';
import { type RecordObject, type RecordReader, SessionRecordError } from '../session-record';
import { exportV3Session, readV3Session } from './session-persist';
import { encodeExtraKeyTlv, type ExtraSymmetricKey } from './extra-key';
import { smpSecret } from './smp';

export type { V3ConversationOptions } from './conversation-state';
export { V2_TAG } from './instance-session';

export class V3Conversation implements OtrConversation {
  private readonly st: ConversationState;

  constructor(opts: V3ConversationOptions) {
    this.st = new ConversationState(opts);
  }

  /** our own fingerprint, 40 hex */
  get fingerprint(): string {
    return fingerprintHex(this.st.opts.identity.dsaKey);
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

  receive(wire: string): EngineOutput {
    const out = V3Conversation.out();
    return this.guard(out, () => handle(this.st, wire, out, false));
  }

  // ------------------------------------------------------------------ user actions

  send(text: string, options?: { tlvs?: Tlv[]; instanceTag?: number }): EngineOutput {
    const out = V3Conversation.out();
    return this.guard(out, () => {
      const s = this.st.pick(options?.instanceTag);
      if (options?.instanceTag !== undefined && !s) throw new OtrError('not-allowed', 'no session with that instance');
      if (s?.msgstate === 'encrypted') {
        this.st.sendData(s, text, options?.tlvs ?? [], 0, out);
        return;
      }
      if (s?.msgstate === 'finished') {
        // §"User types a message to be sent", MSGSTATE_FINISHED: not sent
        out.events.push({ type: 'error', code: 'not-allowed', message: 'the contact ended the private conversation; end it or start a new one' });
        return;
      }
      const enabled = this.st.offered().length > 0;
      if (enabled && this.st.policy.requireEncryption) {
        // store it and ask for OTR
        this.st.queued.push(text);
        out.events.push({ type: 'message-queued', text });
        out.toSend.push(this.st.queryMessage());
        return;
      }
      const tag = enabled && this.st.policy.sendWhitespaceTag && !this.st.receivedPlaintext;
      out.toSend.push(tag ? addWhitespaceTag(text, this.st.offered()) : text);
    });
  }

  start(): EngineOutput {
    const out = V3Conversation.out();
    return this.guard(out, () => {
      if (this.st.offered().length === 0) throw new OtrError('not-allowed', 'the policy allows neither OTR version 3 nor 2');
      out.toSend.push(this.st.queryMessage());
    });
  }

  end(instanceTag?: number): EngineOutput {
    const out = V3Conversation.out();
    return this.guard(out, () => {
      const targets = instanceTag !== undefined ? [this.st.instances.get(instanceTag)].filter((x) => x !== undefined) : [...this.st.instances.values()];
      for (const s of targets) {
        if (s.msgstate === 'plaintext') continue;
        if (s.msgstate === 'encrypted' && s.data) {
          this.st.sendData(s, '', [{ type: V3TlvType.disconnected, value: new Uint8Array(0) }], FLAG_IGNORE_UNREADABLE, out);
          s.data.destroy();
        }
        s.data = undefined;
        s.smp.reset();
        s.ake.reset();
        s.msgstate = 'plaintext';
        out.events.push(this.st.stateEvent(s));
      }
      if (instanceTag === undefined) {
        this.st.master.reset();
        // back in MSGSTATE_PLAINTEXT: whitespace tags may be offered again (§"User types a message")
        this.st.receivedPlaintext = false;
      }
    });
  }

  startSmp(secret: string, question?: string, instanceTag?: number): EngineOutput {
    const out = V3Conversation.out();
    return this.guard(out, () => {
      const s = this.st.encrypted(instanceTag);
      if (s.smp.expecting !== 1) {
        // restart: abort first, in its own message (libotr handles SMP TLVs in a fixed order, not in message order)
        const a = s.smp.abort();
        this.st.sendData(s, '', a.tlvs, FLAG_IGNORE_UNREADABLE, out);
      }
      const x = smpSecret(this.st.ourFp, fingerprint(s.theirLongTerm!), s.ssid!, new TextEncoder().encode(secret));
      const r = s.smp.start(x, question);
      this.st.sendData(s, '', r.tlvs, FLAG_IGNORE_UNREADABLE, out);
      this.st.smpEvents(r.events, out);
    });
  }

  answerSmp(secret: string, instanceTag?: number): EngineOutput {
    const out = V3Conversation.out();
    return this.guard(out, () => {
      let s: InstanceSession | undefined;
      if (instanceTag === undefined) s = [...this.st.instances.values()].find((i) => i.msgstate === 'encrypted' && i.smp.expecting === 'answer');
      s ??= this.st.encrypted(instanceTag);
      if (s.msgstate !== 'encrypted') throw new OtrError('not-allowed', 'no encrypted session');
      const y = smpSecret(fingerprint(s.theirLongTerm!), this.st.ourFp, s.ssid!, new TextEncoder().encode(secret));
      const r = s.smp.answer(y);
      this.st.sendData(s, '', r.tlvs, FLAG_IGNORE_UNREADABLE, out);
      this.st.smpEvents(r.events, out);
    });
  }

  abortSmp(instanceTag?: number): EngineOutput {
    const out = V3Conversation.out();
    return this.guard(out, () => {
      const s = this.st.encrypted(instanceTag);
      const r = s.smp.abort();
      this.st.sendData(s, '', r.tlvs, FLAG_IGNORE_UNREADABLE, out);
      this.st.smpEvents(r.events, out);
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
      const s = this.st.encrypted(instanceTag);
      // §"Extra symmetric key": "OTR version 3 defines an additional symmetric key" (v2 has none; libotr refuses too)
      if (s.theirTag === V2_TAG) throw new OtrError('not-allowed', 'OTR version 2 has no extra symmetric key');
      // §"Extra symmetric key": derived from the keys of the data message that carries TLV 8
      key = this.st.sendData(s, '', [tlv], FLAG_IGNORE_UNREADABLE, out, true);
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
      const s = this.st.encrypted(instanceTag);
      if (s.theirTag === V2_TAG) throw new OtrError('not-allowed', 'OTR version 2 has no extra symmetric key');
      key = this.st.sendData(s, text, tlvs, text.length === 0 ? FLAG_IGNORE_UNREADABLE : 0, out, true);
    });
    return { ...out, key };
  }

  sessions(): Array<{ instanceTag: number; state: MessageState; version?: ProtocolVersion; theirFingerprint?: string }> {
    return [...this.st.instances.values()]
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
    for (const s of this.st.instances.values()) {
      if (s.msgstate !== 'encrypted' || !s.confirmed || !s.data || !s.theirLongTerm || !s.ssid) continue;
      const session = exportV3Session(this.st.ourTag, { data: s.data.exportState(), theirLongTerm: s.theirLongTerm, ssid: s.ssid });
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
    const parts = readV3Session(r, this.st.ourTag, dsaPow(this.st.engine));
    let data: DataSession;
    try {
      data = new DataSession(parts.data, this.st.engine, this.st.opts.rng, this.st.opts.symmetric);
    } catch {
      throw new SessionRecordError('the keys do not make a session');
    }
    const s = this.st.instance(instanceTag);
    s.data?.destroy();
    s.ake.reset();
    s.smp.reset();
    s.data = data;
    s.theirLongTerm = parts.theirLongTerm;
    s.ssid = parts.ssid;
    s.confirmed = true;
    s.msgstate = 'encrypted';
    s.activity = ++this.st.activityCounter;
  }

  /** the secure session id of an instance as libotr shows it: two %08x halves (§"…secure session id") */
  ssidHex(instanceTag?: number): string | undefined {
    const s = this.st.pick(instanceTag);
    return s?.ssid ? `${bytesToHex(s.ssid.subarray(0, 4))} ${bytesToHex(s.ssid.subarray(4, 8))}` : undefined;
  }
}
