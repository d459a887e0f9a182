// The OTRv3 authenticated key exchange (OTRv3 §"Authenticated Key Exchange (AKE)", message
// formats in §"D-H Commit Message" … §"Signature Message", transitions in §"The protocol state
// machine": authstate NONE / AWAITING_DHKEY / AWAITING_REVEALSIG / AWAITING_SIG). One instance per
// remote instance tag. It produces message *bodies*; the session adds the instance tags.
//
// Where the spec is loose: a Reveal Signature or Signature message that fails verification is
// ignored and the authstate is left as it was (§"Receiving a Reveal Signature Message": "Otherwise,
// ignore the message"), so a forged or corrupted message cannot knock a genuine exchange over.
import { ByteReader, ByteWriter, equalBytes } from '../common/bytes';
import { invalidValue, OtrError, unreadable } from '../common/errors';
import type { RandomSource } from '../common/random';
import { dsaSign, dsaVerify, encodePublicKey, readPublicKey, type DsaPrivateKey, type DsaPublicKey } from './dsa';
import { DH1536_G, DH_SECRET_BYTES, dsaPow, isValidGroupElement, type Dh1536Engine } from './group';
import { deriveAkeKeys, type AkeKeys } from './kdf';
import { bytesToBigintFast, mpi, readMpi, writeMpi } from './mpi';
import { pureSymmetric, type V3Symmetric } from './symmetric';
import { encodeDhCommit, encodeDhKey, encodeRevealSignature, encodeSignature, MAC_BYTES, type Header, type V3Message } from './messages';

export type AuthState = 'none' | 'awaiting-dhkey' | 'awaiting-revealsig' | 'awaiting-sig';

/** our AKE D-H key gets keyid 1 (§"Key Management": our_keyid = 2 and AKE messages send keyid our_keyid − 1) */
export const AKE_KEY_ID = 1;

export interface DhKeyPair {
  priv: bigint;
  pub: bigint;
}

export interface AkeResult {
  ourDh: DhKeyPair;
  ourKeyId: number;
  theirDh: bigint;
  theirKeyId: number;
  theirLongTerm: DsaPublicKey;
  ssid: Uint8Array;
  /** we sent the Reveal Signature message: we read out the first half of the ssid (§"…secure session id") */
  weSentRevealSig: boolean;
}

export interface AkeDeps {
  ourKey: DsaPrivateKey;
  engine: Dh1536Engine;
  rng: RandomSource;
  /** hashes, HMAC and AES (pure JavaScript by default) */
  sym?: V3Symmetric;
}

type HeaderFn = () => Header;

interface Internal {
  state: AuthState;
  /** our D-H key of this exchange (x as initiator, y as responder) */
  our?: DhKeyPair;
  r?: Uint8Array;
  encryptedGx?: Uint8Array;
  hashedGx?: Uint8Array;
  /** responder: their commitment */
  theirEncryptedGx?: Uint8Array;
  theirHashedGx?: Uint8Array;
  /** initiator: their g^y and the Reveal Signature we sent (for retransmission) */
  theirGy?: bigint;
  revealSig?: { revealedKey: Uint8Array; enc: Uint8Array; mac: Uint8Array };
}

export interface AkeOutput {
  /** a message body to send (encode with the current header) */
  reply?: Uint8Array;
  result?: AkeResult;
}

const mpiBytes = mpi;

export class Ake {
  private s: Internal = { state: 'none' };
  private readonly sym: V3Symmetric;

  constructor(
    private readonly deps: AkeDeps,
    private readonly header: HeaderFn,
  ) {
    this.sym = deps.sym ?? pureSymmetric;
  }

  /** AES-128-CTR from a zero counter (§"D-H Commit Message", §"Reveal Signature Message") */
  private aesCtr0(key: Uint8Array, data: Uint8Array): Uint8Array {
    return this.sym.aes128Ctr(key, new Uint8Array(16), data);
  }

  private hmac256(key: Uint8Array, data: Uint8Array): Uint8Array {
    return this.sym.hmacSha256(key, data);
  }

  get state(): AuthState {
    return this.s.state;
  }

  /** copies the exchange of another Ake (libotr's master → child copy for a D-H commit sent to tag 0) */
  adoptFrom(other: Ake): void {
    this.s = { ...other.s };
  }

  reset(): void {
    this.s = { state: 'none' };
  }

  private newDh(): DhKeyPair {
    let priv = 0n;
    while (priv === 0n) priv = bytesToBigintFast(this.deps.rng(DH_SECRET_BYTES));
    return { priv, pub: this.deps.engine.modPow(DH1536_G, priv) };
  }

  /** §"D-H Commit Message": start (or restart) the AKE as initiator */
  start(): Uint8Array {
    const our = this.newDh();
    const r = this.deps.rng(16);
    const gxmpi = mpiBytes(our.pub);
    this.s = { state: 'awaiting-dhkey', our, r, encryptedGx: this.aesCtr0(r, gxmpi), hashedGx: this.sym.sha256(gxmpi) };
    return this.commitMessage();
  }

  private commitMessage(): Uint8Array {
    return encodeDhCommit(this.header(), this.s.encryptedGx!, this.s.hashedGx!);
  }

  private dhKeyMessage(): Uint8Array {
    return encodeDhKey(this.header(), this.s.our!.pub);
  }

  /** Handles an AKE message. Throws OtrError for messages that fail to parse or verify. */
  receive(m: V3Message): AkeOutput {
    switch (m.type) {
      case 'dh-commit':
        return this.onCommit(m.encryptedGx, m.hashedGx);
      case 'dh-key':
        return this.onDhKey(m.gy);
      case 'reveal-signature':
        return this.onRevealSignature(m.revealedKey, m.encryptedSignature, m.mac);
      case 'signature':
        return this.onSignature(m.encryptedSignature, m.mac);
      default:
        return {};
    }
  }

  private becomeResponder(encryptedGx: Uint8Array, hashedGx: Uint8Array, keepY: boolean): AkeOutput {
    const our = keepY && this.s.our ? this.s.our : this.newDh();
    this.s = { state: 'awaiting-revealsig', our, theirEncryptedGx: encryptedGx, theirHashedGx: hashedGx };
    return { reply: this.dhKeyMessage() };
  }

  private onCommit(encryptedGx: Uint8Array, hashedGx: Uint8Array): AkeOutput {
    switch (this.s.state) {
      case 'none':
        return this.becomeResponder(encryptedGx, hashedGx, false);
      case 'awaiting-dhkey': {
        // both sides started: the higher hashed g^x (32-byte big-endian) keeps its commitment
        const ours = bytesToBigintFast(this.s.hashedGx!);
        const theirs = bytesToBigintFast(hashedGx);
        if (ours > theirs) return { reply: this.commitMessage() };
        return this.becomeResponder(encryptedGx, hashedGx, false);
      }
      case 'awaiting-revealsig':
        // retransmit the same D-H Key message, use the new commitment
        return this.becomeResponder(encryptedGx, hashedGx, true);
      case 'awaiting-sig':
        return this.becomeResponder(encryptedGx, hashedGx, false);
    }
  }

  private onDhKey(gy: bigint): AkeOutput {
    if (this.s.state === 'awaiting-sig') {
      if (this.s.theirGy === gy && this.s.revealSig) {
        const rs = this.s.revealSig;
        return { reply: encodeRevealSignature(this.header(), rs.revealedKey, rs.enc, rs.mac) };
      }
      return {};
    }
    if (this.s.state !== 'awaiting-dhkey') return {};
    if (!isValidGroupElement(gy)) throw invalidValue('D-H Key: g^y out of range');
    const our = this.s.our!;
    const keys = deriveAkeKeys(this.deps.engine.modPow(gy, our.priv), this.sym);
    const enc = this.aesCtr0(keys.c, this.authBlock(keys.m1, our.pub, gy));
    const mac = this.hmac256(keys.m2, new ByteWriter().data(enc).finish()).slice(0, MAC_BYTES);
    this.s = { ...this.s, state: 'awaiting-sig', theirGy: gy, revealSig: { revealedKey: this.s.r!, enc, mac } };
    return { reply: encodeRevealSignature(this.header(), this.s.r!, enc, mac) };
  }

  /** X = PUBKEY ‖ INT keyid ‖ SIG(M), M = HMAC-SHA256_m(MPI ourPub ‖ MPI theirPub ‖ PUBKEY ‖ INT keyid) */
  private authBlock(macKey: Uint8Array, ourPub: bigint, theirPub: bigint): Uint8Array {
    const pub = encodePublicKey(this.deps.ourKey);
    const m = this.hmac256(macKey, writeMpi(writeMpi(new ByteWriter(), ourPub), theirPub).bytes(pub).int(AKE_KEY_ID).finish());
    return new ByteWriter()
      .bytes(pub)
      .int(AKE_KEY_ID)
      .bytes(dsaSign(this.deps.ourKey, m, this.deps.rng, dsaPow(this.deps.engine)))
      .finish();
  }

  /** verifies MAC, decrypts X and checks the signature over M (their pub first, then ours) */
  private verifyAuthBlock(
    keys: { enc: Uint8Array; mac: Uint8Array; macKey: Uint8Array; aesKey: Uint8Array; m1: Uint8Array },
    theirPub: bigint,
    ourPub: bigint,
  ): { theirLongTerm: DsaPublicKey; keyId: number } {
    const expected = this.hmac256(keys.macKey, new ByteWriter().data(keys.enc).finish()).slice(0, MAC_BYTES);
    if (!equalBytes(expected, keys.mac)) throw unreadable();
    const x = this.aesCtr0(keys.aesKey, keys.enc);
    let theirLongTerm: DsaPublicKey;
    let keyId: number;
    let sig: Uint8Array;
    try {
      const r = new ByteReader(x);
      theirLongTerm = readPublicKey(r, dsaPow(this.deps.engine));
      keyId = r.int('keyid');
      sig = r.fixed(40, 'SIG');
      r.end('signed block');
    } catch (e) {
      if (e instanceof OtrError) throw unreadable();
      throw e;
    }
    if (keyId === 0) throw unreadable();
    const m = this.hmac256(keys.m1, writeMpi(writeMpi(new ByteWriter(), theirPub), ourPub).bytes(encodePublicKey(theirLongTerm)).int(keyId).finish());
    if (!dsaVerify(theirLongTerm, m, sig, dsaPow(this.deps.engine))) throw unreadable();
    return { theirLongTerm, keyId };
  }

  private onRevealSignature(revealedKey: Uint8Array, encSig: Uint8Array, mac: Uint8Array): AkeOutput {
    if (this.s.state !== 'awaiting-revealsig') return {};
    const gxmpi = this.aesCtr0(revealedKey, this.s.theirEncryptedGx!);
    if (!equalBytes(this.sym.sha256(gxmpi), this.s.theirHashedGx!)) throw unreadable();
    let gx: bigint;
    try {
      const r = new ByteReader(gxmpi);
      gx = readMpi(r, 'gx');
      r.end('gx');
    } catch {
      throw unreadable();
    }
    if (!isValidGroupElement(gx)) throw invalidValue('Reveal Signature: g^x out of range');
    const our = this.s.our!;
    const keys: AkeKeys = deriveAkeKeys(this.deps.engine.modPow(gx, our.priv), this.sym);
    const { theirLongTerm, keyId } = this.verifyAuthBlock({ enc: encSig, mac, macKey: keys.m2, aesKey: keys.c, m1: keys.m1 }, gx, our.pub);
    const enc = this.aesCtr0(keys.cPrime, this.authBlock(keys.m1Prime, our.pub, gx));
    const sigMac = this.hmac256(keys.m2Prime, new ByteWriter().data(enc).finish()).slice(0, MAC_BYTES);
    const reply = encodeSignature(this.header(), enc, sigMac);
    this.s = { state: 'none' };
    return {
      reply,
      result: { ourDh: our, ourKeyId: AKE_KEY_ID, theirDh: gx, theirKeyId: keyId, theirLongTerm, ssid: keys.ssid, weSentRevealSig: false },
    };
  }

  private onSignature(encSig: Uint8Array, mac: Uint8Array): AkeOutput {
    if (this.s.state !== 'awaiting-sig') return {};
    const our = this.s.our!;
    const gy = this.s.theirGy!;
    const keys = deriveAkeKeys(this.deps.engine.modPow(gy, our.priv), this.sym);
    const { theirLongTerm, keyId } = this.verifyAuthBlock({ enc: encSig, mac, macKey: keys.m2Prime, aesKey: keys.cPrime, m1: keys.m1Prime }, gy, our.pub);
    this.s = { state: 'none' };
    return { result: { ourDh: our, ourKeyId: AKE_KEY_ID, theirDh: gy, theirKeyId: keyId, theirLongTerm, ssid: keys.ssid, weSentRevealSig: true } };
  }
}
