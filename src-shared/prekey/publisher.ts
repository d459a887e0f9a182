// The publisher's side of the DAKE with the Prekey Server as a pure state machine
// (otrv4-prekey-server.md §"Key Exchange" (Alice's steps), §"State machine": Starting the DAKE ->
// IN_DAKE; Receiving a DAKE-2 in IN_DAKE -> DAKE-3, NOT_IN_DAKE; then the server's answer).
// No I/O: the core's PrekeyClient sends what this returns and feeds it what arrives.
import { equalBytes } from '../otr/common/bytes';
import type { RandomSource } from '../otr/common/random';
import type { ClientProfile } from '../otr/v4/client-profile';
import { decodePoint, type Point } from '../otr/v4/ed448';
import { type EdKeyPair, generateEcdhKeyPair } from '../otr/v4/keys';
import { decodeRingSignature, encodeRingSignature } from '../otr/v4/rsig';
import {
  dake2T,
  dake3T,
  prekeyMacKey,
  prekeyRingSign,
  prekeyRingVerify,
  resultMac,
  serverFingerprintHex,
  sharedSecret,
  storageStatusMac,
  xmppPhi,
  type Transcript,
} from './dake';
import { type AttachedMessage, type Dake2Message, PREKEY_PROTOCOL_VERSION, type TopLevelMessage, encodeMessage } from './messages';

export type PublisherFailure =
  /** DAKE-2 names another server, carries bad points or σ does not verify */
  | 'dake-failed'
  /** H_s in DAKE-2 does not have the fingerprint the client expected */
  | 'fingerprint-mismatch'
  /** the answer's MAC does not verify (the spec: ignore it) */
  | 'bad-mac';

export class PublisherError extends Error {
  override readonly name = 'PublisherError';
  constructor(
    readonly code: PublisherFailure,
    message: string,
  ) {
    super(message);
  }
}

export type DakeOutcome = { type: 'success' } | { type: 'failure' } | { type: 'storage-status'; stored: number };

export interface PublisherDakeOptions {
  random: RandomSource;
  instanceTag: number;
  longTerm: EdKeyPair;
  clientProfile: ClientProfile;
  /** our bare JID and the server's, for phi (§"Shared Session State") */
  publisherJid: string;
  serverJid: string;
  /** the fingerprint (hex) discovery announced for the server */
  serverFingerprint: string;
}

export class PublisherDake {
  private state: 'start' | 'in-dake' | 'awaiting-answer' | 'done' = 'start';
  private readonly i;
  private macKey?: Uint8Array;

  constructor(private readonly o: PublisherDakeOptions) {
    this.i = generateEcdhKeyPair(o.random);
  }

  /** Starting the DAKE: the DAKE-1 message (binary) */
  start(): Uint8Array {
    if (this.state !== 'start') throw new Error('DAKE already started');
    this.state = 'in-dake';
    return encodeMessage({
      type: 'dake1',
      version: PREKEY_PROTOCOL_VERSION,
      senderInstanceTag: this.o.instanceTag,
      clientProfile: this.o.clientProfile.encoded,
      i: this.i.public.toBytes(),
    });
  }

  /** true if `m` is the DAKE-2 this DAKE waits for */
  isOurDake2(m: TopLevelMessage): m is Dake2Message {
    return this.state === 'in-dake' && m.type === 'dake2' && m.receiverInstanceTag === this.o.instanceTag;
  }

  /**
   * Receiving DAKE-2 in IN_DAKE: verify it and answer DAKE-3 with the message `attach` builds
   * from SK and prekey_mac_k. Throws PublisherError if DAKE-2 does not verify.
   */
  onDake2(m: Dake2Message, attach: (sk: Uint8Array, macKey: Uint8Array) => AttachedMessage): Uint8Array {
    if (!this.isOurDake2(m)) throw new Error('not expecting this DAKE-2');
    this.state = 'done';
    const serverJid = this.o.serverJid.toLowerCase();
    if (m.compositeIdentity.identity.toLowerCase() !== serverJid) throw new PublisherError('dake-failed', 'DAKE-2 names another prekey server');
    let hs: Point;
    let s: Point;
    try {
      hs = decodePoint(m.compositeIdentity.publicKey);
      s = decodePoint(m.s);
    } catch {
      throw new PublisherError('dake-failed', 'DAKE-2 carries an invalid point');
    }
    if (serverFingerprintHex(hs) !== this.o.serverFingerprint.toUpperCase()) {
      throw new PublisherError('fingerprint-mismatch', 'the prekey server authenticated with a key that does not match its fingerprint');
    }
    const transcript: Transcript = {
      clientProfile: this.o.clientProfile.encoded,
      compositeIdentity: m.compositeIdentity,
      i: this.i.public.toBytes(),
      s: m.s,
      phi: xmppPhi(this.o.publisherJid.toLowerCase(), serverJid),
    };
    let ok = false;
    try {
      // I is our own ephemeral key and H_a our own long-term key: their terms of σ are computed
      // from i and h_a (constant time) rather than by a walk over the point or a window table
      // for our own key
      ok = prekeyRingVerify([this.o.longTerm.public, hs, this.i.public], decodeRingSignature(m.sigma), dake2T(transcript), {
        knownSecrets: [this.i, this.o.longTerm],
      });
    } catch {
      ok = false;
    }
    if (!ok) throw new PublisherError('dake-failed', 'DAKE-2 signature does not verify');
    const sk = sharedSecret(this.i.secret, s);
    try {
      this.macKey = prekeyMacKey(sk);
      const sigma = prekeyRingSign(this.o.random, this.o.longTerm.secret, [this.o.longTerm.public, hs, s], dake3T(transcript), {
        signerPublic: this.o.longTerm.public,
      });
      const attached = attach(sk, this.macKey);
      this.state = 'awaiting-answer';
      return encodeMessage({
        type: 'dake3',
        version: PREKEY_PROTOCOL_VERSION,
        senderInstanceTag: this.o.instanceTag,
        sigma: encodeRingSignature(sigma),
        message: encodeMessage(attached),
      });
    } finally {
      sk.fill(0);
    }
  }

  /** true if `m` may be the answer to our DAKE-3 */
  isOurAnswer(m: TopLevelMessage): boolean {
    return (
      this.state === 'awaiting-answer' &&
      (m.type === 'success' || m.type === 'failure' || m.type === 'storage-status') &&
      m.receiverInstanceTag === this.o.instanceTag
    );
  }

  /** §"Key Exchange", Alice receives a message from the Prekey Server: check its MAC */
  onAnswer(m: TopLevelMessage): DakeOutcome {
    if (!this.isOurAnswer(m) || !this.macKey) throw new Error('not expecting this message');
    const tag = this.o.instanceTag;
    const k = this.macKey;
    let outcome: DakeOutcome | undefined;
    if (m.type === 'storage-status' && equalBytes(storageStatusMac(k, tag, m.storedPrekeyMessages), m.mac)) {
      outcome = { type: 'storage-status', stored: m.storedPrekeyMessages };
    } else if (m.type === 'success' && equalBytes(resultMac(k, 'success', tag), m.mac)) {
      outcome = { type: 'success' };
    } else if (m.type === 'failure' && equalBytes(resultMac(k, 'failure', tag), m.mac)) {
      outcome = { type: 'failure' };
    }
    if (!outcome) throw new PublisherError('bad-mac', `${m.type} MAC does not verify`);
    // "Securely deletes prekey_mac_k"
    k.fill(0);
    this.macKey = undefined;
    this.state = 'done';
    return outcome;
  }
}
