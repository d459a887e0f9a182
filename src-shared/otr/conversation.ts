// The conversation the messenger drives (docs/architecture.md §6): version negotiation over one contact,
// holding the OTRv4 library (v4/session.ts) and the OTRv3 library (v3/conversation.ts) behind the
// same OtrConversation interface. OTRv4 §"OTRv4 Modes" (OTRv3-compatible mode), §"Query
// Messages", §"Whitespace Tags", §"Requesting Conversation with Older OTR Versions",
// §"Receiving a Query Message"; OTRv3 §"Policies".
//
// Routing: our query and whitespace tag offer every allowed version (4 first); an incoming
// query or tag is answered with the highest version both allow (4, else 3, else 2: OTR version 2
// runs in the OTRv3 library, only when the contact offers nothing newer; a v2-only offer the
// policy refuses gives an `older-version-refused` event, never silence); encoded messages
// and fragments go to the library of their version; user messages go to the instance the caller
// names, else to the most recently active encrypted session (v4 before v3), else out in clear
// (with our whitespace tag) or queued under REQUIRE_ENCRYPTION until a session is up.
import { OPPORTUNISTIC_POLICY, type EngineOutput, type MessageState, type OtrConversation, type OtrPolicy, type ProtocolVersion } from './api';
import { classifyMessage } from './common/envelope';
import { OtrError } from './common/errors';
import { chooseVersion, formatQueryMessage, onlyRefusedV2 } from './common/query';
import type { Tlv } from './common/tlv';
import { addWhitespaceTag } from './common/whitespace';
import { decodeSessionRecord, encodeSessionRecord, SessionRecordError, type SessionRecordHead } from './session-record';
import { V3Conversation, type V3ConversationOptions } from './v3/conversation';
import { isV4Fragment } from './v4/fragment';
import type { PrekeyEnsemble } from './v4/prekey-message';
import { V4Conversation, type V4ConversationOptions } from './v4/session';

export interface ConversationOptions {
  policy?: OtrPolicy;
  /** OTRv3 library options (policy is set here); omit to run OTRv4 only (OTRv4-standalone mode) */
  v3?: Omit<V3ConversationOptions, 'policy'>;
  /** OTRv4 library options (policy is set here); omit to run OTRv3 only */
  v4?: Omit<V4ConversationOptions, 'policy'>;
  queryExplanation?: string;
}

type Engine = { version: ProtocolVersion; conv: OtrConversation };

export class NegotiatingConversation implements OtrConversation {
  private readonly policy: OtrPolicy;
  readonly v3: V3Conversation | undefined;
  readonly v4: V4Conversation | undefined;
  private queued: Array<{ text: string; tlvs: Tlv[] }> = [];
  private peerSentPlaintext = false;
  private readonly lastActive = new Map<string, number>();
  private counter = 0;

  constructor(private readonly opts: ConversationOptions) {
    const policy = opts.policy ?? OPPORTUNISTIC_POLICY;
    this.policy = { ...policy, allowV2: policy.allowV2 !== false && !!opts.v3, allowV3: policy.allowV3 && !!opts.v3, allowV4: policy.allowV4 && !!opts.v4 };
    if (opts.v3 && opts.v4 && opts.v3.identity.instanceTag !== opts.v4.identity.instanceTag) {
      throw new OtrError('invalid-value', 'OTRv3 and OTRv4 must use the same instance tag');
    }
    // The libraries see a policy without the parts handled here (queueing, whitespace tags),
    // and each only its own version.
    const inner = { ...this.policy, requireEncryption: false, sendWhitespaceTag: false };
    this.v3 = opts.v3 && (this.policy.allowV3 || this.policy.allowV2) ? new V3Conversation({ ...opts.v3, policy: { ...inner, allowV4: false } }) : undefined;
    this.v4 = opts.v4 && this.policy.allowV4 ? new V4Conversation({ ...opts.v4, policy: { ...inner, allowV2: false, allowV3: false } }) : undefined;
  }

  /** the libraries; the OTRv3 one (version 3) also runs OTR version 2 sessions */
  private engines(): Engine[] {
    const out: Engine[] = [];
    if (this.v4) out.push({ version: 4, conv: this.v4 });
    if (this.v3) out.push({ version: 3, conv: this.v3 });
    return out;
  }

  private offered(): number[] {
    return [4, 3, 2].filter((v) => (v === 4 ? this.policy.allowV4 : v === 3 ? this.policy.allowV3 : this.policy.allowV2));
  }

  /** the engine for a negotiated version (2 runs in the OTRv3 library) */
  private engineFor(version: 2 | 3 | 4 | undefined): ProtocolVersion | undefined {
    return version === 2 ? 3 : version;
  }

  /** collects an engine's output, noting activity and flushing queued messages once encrypted */
  private absorb(e: Engine, r: EngineOutput, out: EngineOutput): void {
    out.toSend.push(...r.toSend);
    for (const ev of r.events) {
      out.events.push(ev.type === 'state-changed' && ev.version === undefined && ev.state !== 'plaintext' ? { ...ev, version: e.version } : ev);
      if (ev.type === 'message' && ev.encrypted && ev.instanceTag !== undefined) this.touch(e.version, ev.instanceTag);
      if (ev.type === 'state-changed' && ev.state === 'encrypted') {
        if (ev.theirInstanceTag !== undefined) this.touch(e.version, ev.theirInstanceTag);
        const q = this.queued;
        this.queued = [];
        for (const m of q)
          this.absorb(e, e.conv.send(m.text, { tlvs: m.tlvs, ...(ev.theirInstanceTag !== undefined ? { instanceTag: ev.theirInstanceTag } : {}) }), out);
      }
    }
  }

  private touch(version: ProtocolVersion, tag: number): void {
    this.lastActive.set(`${version}:${tag}`, ++this.counter);
  }

  private engine(version: ProtocolVersion | undefined): Engine | undefined {
    return this.engines().find((e) => e.version === version);
  }

  receive(wire: string): EngineOutput {
    const out: EngineOutput = { toSend: [], events: [] };
    let m;
    try {
      // the OTRv3 engine's base64 codec when one is injected (native in the app): the pure one
      // here cost every incoming message a second, slower decode (issue 17, OTRv3 one-way)
      m = wire.includes('?OTR|') ? undefined : classifyMessage(wire, this.opts.v3?.symmetric?.base64);
    } catch (e) {
      if (!(e instanceof OtrError)) throw e;
      out.events.push({ type: 'error', code: e.code, message: e.message });
      return out;
    }
    const deliver = (version: ProtocolVersion | undefined): EngineOutput => {
      const e = this.engine(version);
      if (e) this.absorb(e, e.conv.receive(wire), out);
      return out;
    };
    if (m === undefined) return deliver(isV4Fragment(wire) ? 4 : 3);
    switch (m.kind) {
      case 'fragment':
        return deliver(3); // "?OTR," (v2) fragments: v3 discards them
      case 'encoded':
        if (m.version === 4 || m.version === 3) return deliver(m.version);
        // version 2: the OTRv3 library runs it, or reports that the policy refuses it
        if (m.version === 2 && this.v3) return deliver(3);
        out.events.push({ type: 'error', code: 'unsupported-version', message: `OTR version ${m.version ?? '?'} message ignored` });
        return out;
      case 'error':
        out.events.push({ type: 'error', code: 'peer-error', message: m.message });
        if (this.policy.errorStartAke && !this.anyEncrypted()) out.toSend.push(...this.start().toSend);
        return out;
      case 'query':
        // §"Receiving a Query Message": the highest version both sides allow
        if (onlyRefusedV2(m.versions, this.policy)) out.events.push({ type: 'older-version-refused', version: 2, by: 'query' });
        return deliver(this.engineFor(chooseVersion(m.versions, this.policy)));
      case 'plaintext': {
        this.peerSentPlaintext = true;
        const v = this.policy.whitespaceStartAke ? chooseVersion(m.tagVersions, this.policy) : undefined;
        if (v !== undefined && !this.anyEncrypted()) return deliver(this.engineFor(v));
        if (m.text.length > 0) out.events.push({ type: 'message', text: m.text, encrypted: false });
        if (this.policy.whitespaceStartAke && !this.anyEncrypted() && onlyRefusedV2(m.tagVersions, this.policy)) {
          out.events.push({ type: 'older-version-refused', version: 2, by: 'whitespace-tag' });
        }
        return out;
      }
    }
  }

  private anyEncrypted(): boolean {
    return this.sessions().some((s) => s.state === 'encrypted');
  }

  /** the engine holding instance `tag` (or the best session when tag is undefined) */
  private route(tag?: number): Engine | undefined {
    let best: { e: Engine; score: number; state: MessageState } | undefined;
    for (const e of this.engines()) {
      for (const s of e.conv.sessions()) {
        if (tag !== undefined && s.instanceTag !== tag) continue;
        if (s.state === 'plaintext' && tag === undefined) continue;
        // encrypted beats finished; then the most recently active; then v4 over v3
        const score =
          (s.state === 'encrypted' ? 1e12 : s.state === 'finished' ? 1e6 : 0) +
          (this.lastActive.get(`${e.version}:${s.instanceTag}`) ?? 0) +
          (e.version === 4 ? 0.5 : 0);
        if (!best || score > best.score) best = { e, score, state: s.state };
      }
    }
    return best?.e;
  }

  send(text: string, options: { tlvs?: Tlv[]; instanceTag?: number } = {}): EngineOutput {
    const out: EngineOutput = { toSend: [], events: [] };
    const e = this.route(options.instanceTag);
    if (e) {
      const st = e.conv.sessions().find((s) => (options.instanceTag === undefined ? s.state !== 'plaintext' : s.instanceTag === options.instanceTag));
      if (st && st.state !== 'plaintext') {
        this.absorb(e, e.conv.send(text, options), out);
        return out;
      }
    }
    if (this.offered().length === 0) {
      out.toSend.push(text);
      return out;
    }
    if (this.policy.requireEncryption || (options.tlvs?.length ?? 0) > 0) {
      this.queued.push({ text, tlvs: options.tlvs ?? [] });
      out.events.push({ type: 'message-queued', text });
      out.toSend.push(...this.start().toSend);
      return out;
    }
    out.toSend.push(this.policy.sendWhitespaceTag && !this.peerSentPlaintext ? addWhitespaceTag(text, this.offered()) : text);
    return out;
  }

  start(): EngineOutput {
    if (this.offered().length === 0) return { toSend: [], events: [{ type: 'error', code: 'not-allowed', message: 'the policy allows no OTR version' }] };
    return { toSend: [formatQueryMessage(this.offered(), this.opts.queryExplanation)], events: [] };
  }

  /** OTRv4 only: start an offline conversation with a prekey ensemble (see V4Conversation). */
  startNonInteractive(ensemble: PrekeyEnsemble, text?: string, tlvs: Tlv[] = []): EngineOutput {
    const out: EngineOutput = { toSend: [], events: [] };
    if (!this.v4) out.events.push({ type: 'error', code: 'not-allowed', message: 'version 4 is not allowed' });
    else this.absorb({ version: 4, conv: this.v4 }, this.v4.startNonInteractive(ensemble, text, tlvs), out);
    return out;
  }

  end(instanceTag?: number): EngineOutput {
    const out: EngineOutput = { toSend: [], events: [] };
    for (const e of this.engines()) {
      if (instanceTag !== undefined && !e.conv.sessions().some((s) => s.instanceTag === instanceTag)) continue;
      this.absorb(e, e.conv.end(instanceTag), out);
    }
    return out;
  }

  /** runs `f` on the engine holding the instance, or reports that there is none (an error event, as the libraries do) */
  private onEngine(tag: number | undefined, f: (e: Engine) => EngineOutput): EngineOutput {
    const out: EngineOutput = { toSend: [], events: [] };
    const e = this.route(tag);
    if (!e) out.events.push({ type: 'error', code: 'not-allowed', message: 'no private conversation with this contact' });
    else this.absorb(e, f(e), out);
    return out;
  }

  startSmp(secret: string, question?: string, instanceTag?: number): EngineOutput {
    return this.onEngine(instanceTag, (e) => e.conv.startSmp(secret, question, instanceTag));
  }

  answerSmp(secret: string, instanceTag?: number): EngineOutput {
    return this.onEngine(instanceTag, (e) => e.conv.answerSmp(secret, instanceTag));
  }

  abortSmp(instanceTag?: number): EngineOutput {
    return this.onEngine(instanceTag, (e) => e.conv.abortSmp(instanceTag));
  }

  useExtraKey(use: number, useData: Uint8Array, instanceTag?: number): EngineOutput & { key: Uint8Array } {
    let key: Uint8Array = new Uint8Array(0);
    const out = this.onEngine(instanceTag, (e) => {
      const r = e.conv.useExtraKey(use, useData, instanceTag);
      key = r.key;
      return r;
    });
    return { ...out, key };
  }

  /**
   * Every session in the encrypted state as a session record (session-record.ts) for encrypted
   * storage, keyed by version and the contact's instance tag (issue 13, "restarts lose nothing").
   * A DAKE/AKE or SMP under way is not recorded.
   */
  exportSessions(): Array<SessionRecordHead & { record: Uint8Array }> {
    const out: Array<SessionRecordHead & { record: Uint8Array }> = [];
    for (const x of this.v4?.exportSessions() ?? [])
      out.push({ version: 4, instanceTag: x.instanceTag, record: encodeSessionRecord({ version: 4, instanceTag: x.instanceTag }, x.session) });
    for (const x of this.v3?.exportSessions() ?? []) out.push({ version: x.version, instanceTag: x.instanceTag, record: encodeSessionRecord(x, x.session) });
    return out;
  }

  /**
   * Puts a recorded session back (after a restart): encrypted again, no event and nothing to
   * send. Throws SessionRecordError when the record is corrupt or truncated, of another record
   * version, or for a version this conversation does not run; the conversation is then unchanged
   * and starts afresh when next needed.
   */
  restoreSession(record: Uint8Array): SessionRecordHead {
    const { version, instanceTag, session } = decodeSessionRecord(record);
    if (version === 4) {
      if (!this.v4) throw new SessionRecordError('version 4 is not allowed');
      this.v4.restoreSession(instanceTag, session);
    } else {
      if (!this.v3 || (version === 3 ? !this.policy.allowV3 : !this.policy.allowV2)) throw new SessionRecordError(`version ${version} is not allowed`);
      this.v3.restoreSession(version, instanceTag, session);
    }
    this.touch(version === 4 ? 4 : 3, instanceTag);
    return { version, instanceTag };
  }

  sessions(): Array<{ instanceTag: number; state: MessageState; version?: ProtocolVersion; theirFingerprint?: string }> {
    return this.engines().flatMap((e) => e.conv.sessions().map((s) => (s.state === 'plaintext' ? s : { ...s, version: s.version ?? e.version })));
  }
}
