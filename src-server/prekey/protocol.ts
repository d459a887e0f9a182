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
import { clientProfileOf } from '../../src-shared/prekey/spans';
import type { Dh3072Engine } from '../../src-shared/otr/v4/dh3072';
import { decodePoint } from '../../src-shared/otr/v4/ed448';
import { type EdKeyPair, generateEcdhKeyPair, isValidInstanceTag } from '../../src-shared/otr/v4/keys';
import { decodeRingSignature, encodeRingSignature } from '../../src-shared/otr/v4/rsig';
import {
  checkMac,
  dake2T,
  dake3T,
  prekeyMacKey,
  prekeyRingSign,
  prekeyRingVerify,
  resultMac,
  serverFingerprintHex,
  sharedSecret,
  storageInfoMac,
  storageStatusMac,
  xmppPhi,
  type Transcript,
} from '../../src-shared/prekey/dake';
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
  decodeAttached,
  decodeTopLevel,
  encodeMessage,
} from '../../src-shared/prekey/messages';
import type { ModPow } from '../../src-shared/prekey/proofs';
import { PublicationRejected, verifyPublication } from '../../src-shared/prekey/publication';
import { RateLimiter, hasLoneSurrogate } from './limits';
import { type PrekeyStorage, type StorageLimits, clampExpiry } from './storage';

export interface ProtocolLimits extends StorageLimits {
  /** largest accepted (reassembled) body in characters — caps publication size */
  maxBodyChars: number;
  /** retrievals per requester (bare JID) per minute */
  retrievalsPerMinute: number;
  /** retrievals of one TARGET identity per minute, whoever asks: many requesters (or one with
   * many JIDs) cannot drain an offline contact's prekey messages (issue 12, finding 10) */
  retrievalsPerTargetPerMinute: number;
  /** DAKEs (publications and status queries) per publisher (bare JID) per minute */
  dakesPerMinute: number;
  /** an unfinished DAKE is forgotten after this many ms */
  dakeTimeoutMs: number;
  /** simultaneous unfinished DAKEs, all senders together */
  maxPendingDakes: number;
  /** outgoing messages longer than this are fragmented (§"Transmitting Fragments") */
  maxOutgoingChars: number;
}

export const DEFAULT_LIMITS: ProtocolLimits = {
  maxPrekeyMessagesPerIdentity: 2000,
  maxInstanceTagsPerIdentity: 16,
  maxBodyChars: 256 * 1024,
  retrievalsPerMinute: 30,
  retrievalsPerTargetPerMinute: 20,
  dakesPerMinute: 30,
  dakeTimeoutMs: 60_000,
  maxPendingDakes: 10_000,
  maxOutgoingChars: 64 * 1024,
};

/** what happened, for logs and tests; never carries key material */
export type ServerEvent =
  | { type: 'dake-started'; from: string; instanceTag: number }
  | { type: 'dake-refused'; from: string; reason: string }
  | { type: 'dake3-ignored'; from: string; reason: 'not-in-dake' | 'bad-signature' | 'malformed' }
  | { type: 'published'; identity: string; instanceTag: number; prekeyMessages: number; clientProfile: boolean; prekeyProfile: boolean }
  | { type: 'publication-refused'; identity: string; reason: string }
  | { type: 'storage-status'; identity: string; instanceTag: number; stored: number }
  | { type: 'retrieval'; requester: string; identity: string; ensembles: number }
  | { type: 'rate-limited'; requester: string; what: 'retrieval' | 'target' | 'dake' }
  | { type: 'dropped'; from: string; reason: string };

export interface Reply {
  body: string;
}

/** an XMPP-level refusal the component turns into an error stanza (XEP-0086 style condition) */
export interface RefusalReply {
  error: 'policy-violation' | 'not-acceptable';
  text: string;
}

export interface ProtocolOptions {
  /** the component's JID, e.g. prekeys.example.org: the identity of the composite identity */
  serverJid: string;
  keyPair: EdKeyPair;
  storage: PrekeyStorage;
  random: RandomSource;
  clock: Clock;
  engine: ModPow & Dh3072Engine;
  limits?: Partial<ProtocolLimits>;
  onEvent?: (e: ServerEvent) => void;
}

interface DakeState {
  bareJid: string;
  instanceTag: number;
  clientProfile: ClientProfile;
  transcript: Transcript;
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

  constructor(private readonly o: ProtocolOptions) {
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
    const sigma = prekeyRingSign(this.o.random, this.o.keyPair.secret, [clientProfile.publicKey, this.o.keyPair.public, i], dake2T(transcript));
    const sk = sharedSecret(s.secret, i);
    // a new DAKE-1 from the same device replaces its unfinished DAKE (one request in flight)
    this.dakes.get(stateKey(from, m.senderInstanceTag))?.sk.fill(0);
    this.dakes.set(stateKey(from, m.senderInstanceTag), {
      bareJid: publisher,
      instanceTag: m.senderInstanceTag,
      clientProfile,
      transcript,
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

  /** §"Key Exchange", Prekey Server receives DAKE-3, then the attached message */
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
    const sk = state.sk;
    try {
      let ok = false;
      try {
        const sigma = decodeRingSignature(m.sigma);
        const ring = [state.clientProfile.publicKey, this.o.keyPair.public, decodePoint(state.transcript.s)] as const;
        ok = prekeyRingVerify(ring, sigma, dake3T(state.transcript));
      } catch {
        ok = false;
      }
      if (!ok) {
        this.emit({ type: 'dake3-ignored', from, reason: 'bad-signature' });
        return [];
      }
      const macKey = prekeyMacKey(sk);
      const tag = state.instanceTag;
      const failure = (reason: string): Reply[] => {
        this.emit({ type: 'publication-refused', identity: state.bareJid, reason });
        return [
          {
            body: encodeBody(
              encodeMessage({ type: 'failure', version: PREKEY_PROTOCOL_VERSION, receiverInstanceTag: tag, mac: resultMac(macKey, 'failure', tag) }),
            ),
          },
        ];
      };
      let attached;
      try {
        attached = decodeAttached(m.message);
      } catch (e) {
        return failure(e instanceof Error ? `malformed attached message: ${e.message}` : 'malformed attached message');
      }
      if (attached.type === 'storage-info-request') {
        try {
          checkMac(storageInfoMac(macKey), attached.mac, 'Storage Information MAC');
        } catch {
          return failure('bad storage information MAC');
        }
        const stored = await this.o.storage.countPrekeyMessages(state.bareJid, tag, state.clientProfile.publicKey.toBytes());
        this.emit({ type: 'storage-status', identity: state.bareJid, instanceTag: tag, stored });
        const status = encodeMessage({
          type: 'storage-status',
          version: PREKEY_PROTOCOL_VERSION,
          receiverInstanceTag: tag,
          storedPrekeyMessages: stored,
          mac: storageStatusMac(macKey, tag, stored),
        });
        return [{ body: encodeBody(status) }];
      }
      let verified;
      try {
        verified = verifyPublication(attached, {
          sk,
          macKey,
          dakeClientProfile: state.clientProfile,
          instanceTag: tag,
          nowMs: this.o.clock(),
          engine: this.o.engine,
        });
      } catch (e) {
        if (e instanceof PublicationRejected) return failure(e.reason);
        if (e instanceof OtrError) return failure(e.message);
        throw e;
      }
      const result = await this.o.storage.storePublication(
        {
          identity: state.bareJid,
          instanceTag: tag,
          longTermKey: state.clientProfile.publicKey.toBytes(),
          ...(verified.clientProfile
            ? { clientProfile: { encoded: verified.clientProfile.encoded, expires: clampExpiry(verified.clientProfile.expires) } }
            : {}),
          ...(verified.prekeyProfile
            ? { prekeyProfile: { encoded: verified.prekeyProfile.encoded, expires: clampExpiry(verified.prekeyProfile.expires) } }
            : {}),
          prekeyMessages: verified.prekeyMessages.map((x) => ({ id: x.message.id, encoded: x.encoded })),
        },
        this.limits,
        Math.floor(this.o.clock() / 1000),
      );
      if (!result.ok) return failure(result.reason);
      this.emit({
        type: 'published',
        identity: state.bareJid,
        instanceTag: tag,
        prekeyMessages: result.stored,
        clientProfile: verified.clientProfile !== undefined,
        prekeyProfile: verified.prekeyProfile !== undefined,
      });
      const success = encodeMessage({ type: 'success', version: PREKEY_PROTOCOL_VERSION, receiverInstanceTag: tag, mac: resultMac(macKey, 'success', tag) });
      return [{ body: encodeBody(success) }];
    } finally {
      sk.fill(0);
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
