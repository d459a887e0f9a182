// The prekey server's protocol engine, independent of XMPP (otrv4-prekey-server.md §"Key
// Exchange", §"State machine", §"Publishing Prekey Values", §"Retrieving Prekey Ensembles",
// §"Query the Prekey Server for its Storage Status", §"Fragmentation of some Messages").
// component.ts feeds it stanza bodies with the sender's JID and sends back what it returns.
//
// DAKE state (IN_DAKE) is kept per (sender full JID, sender instance tag): "there can only be one
// request in flight at the same time from the same party while using an specific device". A
// DAKE-3 consumes that state whatever its outcome (IN_DAKE -> NOT_IN_DAKE), so a replayed DAKE-3
// finds no state and is ignored; an old DAKE-3 could not verify against a new DAKE anyway (σ
// covers I and S).
import { bareKey } from '../../src-shared/ipc/jid';
import { OtrError } from '../../src-shared/otr/common/errors';
import type { Clock, RandomSource } from '../../src-shared/otr/common/random';
import { type ClientProfile, validateClientProfile } from '../../src-shared/otr/v4/client-profile';
import type { Dh3072Engine } from '../../src-shared/otr/v4/dh3072';
import { decodePoint, type Point } from '../../src-shared/otr/v4/ed448';
import { type EcdhKeyPair, type EdKeyPair, generateEcdhKeyPair, isValidInstanceTag } from '../../src-shared/otr/v4/keys';
import { decodeRingSignature, encodeRingSignature, type MemberKind } from '../../src-shared/otr/v4/rsig';
import { dake2T, dake3T, prekeyRingSign, prekeyRingVerify, serverFingerprintHex, sharedSecret, xmppPhi, type Transcript } from '../../src-shared/prekey/dake';
import { Reassembler, fragmentMessage, isFragment } from '../../src-shared/prekey/fragment';
import { decodeBody, encodeBody } from '../../src-shared/prekey/framing';
import {
  type CompositeIdentity,
  type Dake1Message,
  type Dake3Message,
  type EnsembleQueryMessage,
  MAX_ENSEMBLES_PER_RETRIEVAL,
  NO_PREKEY_MESSAGES_TEXT,
  PREKEY_PROTOCOL_VERSION,
  decodeTopLevel,
  encodeMessage,
} from '../../src-shared/prekey/messages';
import type { ModPow } from '../../src-shared/prekey/proofs';
import { clientProfileOf } from '../../src-shared/prekey/spans';
import { answerAttached } from './dake3';
import { RateLimiter, hasLoneSurrogate } from './limits';
import { DEFAULT_LIMITS, type ProtocolLimits, type RefusalReply, type Reply, type ServerEvent } from './protocol-types';
import type { PrekeyStorage } from './storage';
import { type VerifyJob, type VerifyOutcome, verifyAttached } from './verify-attached';

export { DEFAULT_LIMITS } from './protocol-types';
export type { ProtocolLimits, RefusalReply, Reply, ServerEvent } from './protocol-types';

export interface ProtocolOptions {
  /** the component's JID, e.g. prekeys.example.org: the identity of the composite identity */
  serverJid: string;
  keyPair: EdKeyPair;
  storage: PrekeyStorage;
  random: RandomSource;
  clock: Clock;
  engine: ModPow & Dh3072Engine;
  /** where publications are verified (verify-pool.ts); default inline, on this thread */
  verify?: (job: VerifyJob) => Promise<VerifyOutcome>;
  limits?: Partial<ProtocolLimits>;
  onEvent?: (e: ServerEvent) => void;
}

interface DakeState {
  bareJid: string;
  instanceTag: number;
  clientProfile: ClientProfile;
  transcript: Transcript;
  /**
   * our ephemeral key pair of DAKE-2: S is a ring member of DAKE-3's σ, and knowing s makes its
   * term one constant-time multiplication by G instead of a walk over S (rsig.ts knownSecrets).
   * Kept no longer than sk, which is derived from it (until DAKE-3 or the DAKE's timeout).
   */
  s: EcdhKeyPair;
  sk: Uint8Array;
  startedAt: number;
}

export class PrekeyServerProtocol {
  readonly limits: ProtocolLimits;
  readonly fingerprint: string;
  private readonly compositeIdentity: CompositeIdentity;
  private readonly dakes = new Map<string, DakeState>();
  private readonly reassemblers = new Map<string, Reassembler>();
  private readonly retrievalLimiter: RateLimiter;
  private readonly targetLimiter: RateLimiter;
  private readonly dakeLimiter: RateLimiter;

  private readonly verify: (job: VerifyJob) => Promise<VerifyOutcome>;
  /**
   * What a member of our ring signatures is (rsig.ts `memberKind`): our own key earns a window
   * table; a publisher's key is kept as quarters, since it comes twice per publication and a
   * city's worth of publishers would build tables that are evicted before they pay off; the
   * DAKE's ephemeral I gets a plain walk.
   */
  private memberKinds(publisherKey: Point): (member: Point) => MemberKind {
    return (member) => (member === this.o.keyPair.public ? 'recurring' : member === publisherKey ? 'key' : 'ephemeral');
  }

  constructor(private readonly o: ProtocolOptions) {
    this.verify = o.verify ?? (async (job) => verifyAttached(job, o.engine));
    this.limits = { ...DEFAULT_LIMITS, ...o.limits };
    // one retrieval answer carries at most MAX_ENSEMBLES_PER_RETRIEVAL ensembles (one per device)
    this.limits.maxInstanceTagsPerIdentity = Math.min(this.limits.maxInstanceTagsPerIdentity, MAX_ENSEMBLES_PER_RETRIEVAL);
    this.compositeIdentity = { identity: o.serverJid, publicKey: o.keyPair.publicBytes };
    this.fingerprint = serverFingerprintHex(o.keyPair.public);
    this.retrievalLimiter = new RateLimiter(o.clock, this.limits.retrievalsPerMinute, 60_000);
    this.targetLimiter = new RateLimiter(o.clock, this.limits.retrievalsPerTargetPerMinute, 60_000);
    this.dakeLimiter = new RateLimiter(o.clock, this.limits.dakesPerMinute, 60_000);
  }

  private emit(e: ServerEvent): void {
    this.o.onEvent?.(e);
  }

  get pendingDakes(): number {
    return this.dakes.size;
  }

  /** Handles one stanza body from `from` (a full JID). Returns the bodies to send back. */
  async handle(from: string, body: string): Promise<(Reply | RefusalReply)[]> {
    if (hasLoneSurrogate(from) || hasLoneSurrogate(body)) return [{ error: 'not-acceptable', text: 'not well-formed UTF-16 (lone surrogate)' }];
    let text = body.trim();
    if (text.length > this.limits.maxBodyChars) {
      this.emit({ type: 'dropped', from, reason: 'body too long' });
      return [{ error: 'policy-violation', text: `message larger than ${this.limits.maxBodyChars} characters` }];
    }
    if (isFragment(text)) {
      let r = this.reassemblers.get(from);
      if (!r) {
        r = new Reassembler(this.o.clock, { maxBuffers: 2, maxChars: this.limits.maxBodyChars, timeoutMs: this.limits.dakeTimeoutMs });
        if (this.reassemblers.size > this.limits.maxPendingDakes) this.reassemblers.clear();
        this.reassemblers.set(from, r);
      }
      try {
        const whole = r.push(text);
        if (whole === undefined) return [];
        if (r.pending === 0) this.reassemblers.delete(from);
        text = whole;
      } catch (e) {
        this.emit({ type: 'dropped', from, reason: e instanceof Error ? e.message : 'bad fragment' });
        return [];
      }
    }
    let msg;
    try {
      msg = decodeTopLevel(decodeBody(text));
    } catch (e) {
      this.emit({ type: 'dropped', from, reason: e instanceof OtrError ? e.message : 'undecodable' });
      return [];
    }
    switch (msg.type) {
      case 'dake1':
        return this.onDake1(from, msg);
      case 'dake3':
        return this.onDake3(from, msg);
      case 'ensemble-query':
        return this.onQuery(from, msg);
      default:
        // DAKE-2, Success, Failure, Storage Status, Retrieval, No-Ensembles go server -> client only
        this.emit({ type: 'dropped', from, reason: `unexpected ${msg.type}` });
        return [];
    }
  }

  private expireDakes(): void {
    const now = this.o.clock();
    for (const [k, s] of this.dakes) {
      if (now - s.startedAt > this.limits.dakeTimeoutMs) {
        s.sk.fill(0);
        this.dakes.delete(k);
      }
    }
  }

  /** §"Key Exchange", Prekey Server receives DAKE-1: verify, answer DAKE-2, enter IN_DAKE */
  private onDake1(from: string, m: Dake1Message): (Reply | RefusalReply)[] {
    const publisher = bareKey(from);
    this.expireDakes();
    if (!this.dakeLimiter.take(publisher)) {
      this.emit({ type: 'rate-limited', requester: publisher, what: 'dake' });
      return [{ error: 'policy-violation', text: 'too many requests; try again later' }];
    }
    if (this.dakes.size >= this.limits.maxPendingDakes) {
      this.emit({ type: 'dake-refused', from, reason: 'server busy' });
      return [];
    }
    let clientProfile: ClientProfile;
    let i;
    try {
      if (!isValidInstanceTag(m.senderInstanceTag)) throw new OtrError('malformed', 'sender instance tag below 0x100');
      clientProfile = clientProfileOf(m.clientProfile);
      validateClientProfile(clientProfile, { senderTag: m.senderInstanceTag, nowMs: this.o.clock() });
      i = decodePoint(m.i);
    } catch (e) {
      // "If the verification fails … rejects the message and does not send anything further"
      this.emit({ type: 'dake-refused', from, reason: e instanceof Error ? e.message : 'invalid DAKE-1' });
      return [];
    }
    const s = generateEcdhKeyPair(this.o.random);
    const transcript: Transcript = {
      clientProfile: m.clientProfile,
      compositeIdentity: this.compositeIdentity,
      i: m.i,
      s: s.public.toBytes(),
      phi: xmppPhi(publisher, this.o.serverJid),
    };
    const sigma = prekeyRingSign(this.o.random, this.o.keyPair.secret, [clientProfile.publicKey, this.o.keyPair.public, i], dake2T(transcript), {
      signerPublic: this.o.keyPair.public,
      memberKind: this.memberKinds(clientProfile.publicKey),
    });
    const sk = sharedSecret(s.secret, i);
    // a new DAKE-1 from the same device replaces its unfinished DAKE (one request in flight)
    this.dakes.get(stateKey(from, m.senderInstanceTag))?.sk.fill(0);
    this.dakes.set(stateKey(from, m.senderInstanceTag), {
      bareJid: publisher,
      instanceTag: m.senderInstanceTag,
      clientProfile,
      transcript,
      s,
      sk,
      startedAt: this.o.clock(),
    });
    this.emit({ type: 'dake-started', from, instanceTag: m.senderInstanceTag });
    const dake2 = encodeMessage({
      type: 'dake2',
      version: PREKEY_PROTOCOL_VERSION,
      receiverInstanceTag: m.senderInstanceTag,
      compositeIdentity: this.compositeIdentity,
      s: transcript.s,
      sigma: encodeRingSignature(sigma),
    });
    return [{ body: encodeBody(dake2) }];
  }

  /** §"Key Exchange", Prekey Server receives DAKE-3, then the attached message (dake3.ts) */
  private async onDake3(from: string, m: Dake3Message): Promise<(Reply | RefusalReply)[]> {
    this.expireDakes();
    const key = stateKey(from, m.senderInstanceTag);
    const state = this.dakes.get(key);
    if (!state) {
      // §"State machine": DAKE-3 while not IN_DAKE is ignored (this is where replays end)
      this.emit({ type: 'dake3-ignored', from, reason: 'not-in-dake' });
      return [];
    }
    this.dakes.delete(key);
    try {
      let ok = false;
      try {
        const sigma = decodeRingSignature(m.sigma);
        // S is our own point, kept from DAKE-1: it is not decoded (nor validated) again
        ok = prekeyRingVerify([state.clientProfile.publicKey, this.o.keyPair.public, state.s.public], sigma, dake3T(state.transcript), {
          knownSecrets: [state.s],
          memberKind: this.memberKinds(state.clientProfile.publicKey),
        });
      } catch {
        ok = false;
      }
      if (!ok) {
        this.emit({ type: 'dake3-ignored', from, reason: 'bad-signature' });
        return [];
      }
      return await answerAttached(
        {
          bareJid: state.bareJid,
          instanceTag: state.instanceTag,
          clientProfile: state.clientProfile,
          sk: state.sk,
          storage: this.o.storage,
          limits: this.limits,
          nowMs: this.o.clock(),
          verify: this.verify,
          emit: (e) => this.emit(e),
        },
        m.message,
      );
    } finally {
      state.sk.fill(0);
    }
  }

  /** §"Retrieving Prekey Ensembles" with the selection rules; no DAKE needed */
  private async onQuery(from: string, m: EnsembleQueryMessage): Promise<(Reply | RefusalReply)[]> {
    const requester = bareKey(from);
    if (!this.retrievalLimiter.take(requester)) {
      // the spec's worry: a server handing everything to whoever asks (§"Prekey Server Requirements")
      this.emit({ type: 'rate-limited', requester, what: 'retrieval' });
      return [{ error: 'policy-violation', text: 'too many prekey ensemble retrievals; try again later' }];
    }
    const identity = bareKey(m.identity);
    if (!this.targetLimiter.take(identity)) {
      this.emit({ type: 'rate-limited', requester, what: 'target' });
      return [{ error: 'policy-violation', text: 'too many prekey ensemble retrievals for this contact; try again later' }];
    }
    const receiverInstanceTag = m.senderInstanceTag;
    // "Unrecognized versions should be ignored": version 4 is the only one with prekey messages
    const ensembles = m.versions.includes('4') ? await this.o.storage.takeEnsembles(identity, Math.floor(this.o.clock() / 1000)) : [];
    this.emit({ type: 'retrieval', requester, identity, ensembles: ensembles.length });
    if (ensembles.length === 0) {
      const none = encodeMessage({
        type: 'no-prekey-ensembles',
        version: PREKEY_PROTOCOL_VERSION,
        receiverInstanceTag,
        identity,
        text: NO_PREKEY_MESSAGES_TEXT,
      });
      return [{ body: encodeBody(none) }];
    }
    const encoded = encodeBody(
      encodeMessage({
        type: 'ensemble-retrieval',
        version: PREKEY_PROTOCOL_VERSION,
        receiverInstanceTag,
        identity,
        ensembles: ensembles.slice(0, MAX_ENSEMBLES_PER_RETRIEVAL),
      }),
    );
    const id = this.o.random(4);
    const identifier = ((id[0]! << 24) | (id[1]! << 16) | (id[2]! << 8) | id[3]!) >>> 0;
    return fragmentMessage(encoded, this.limits.maxOutgoingChars, { identifier, senderInstanceTag: 0, receiverInstanceTag }).map((body) => ({ body }));
  }
}

function stateKey(from: string, tag: number): string {
  return `${from}\u0000${tag}`;
}
