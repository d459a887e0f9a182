// OTRv3 data messages and key management (OTRv3 §"Data Message", §"Key Management", §"Computing
// AES keys, MAC keys…", §"Revealing MAC keys", §"Extra symmetric key"): AES-128-CTR with the
// top-8-byte counter, HMAC-SHA1 over the message up to the ciphertext, D-H key rotation driven by
// the keyids in received messages, receiving MAC keys revealed when their D-H key is forgotten.
//
// Receiving is transactional: nothing in the session changes until the MAC, the keyids and the
// counter have all been checked, and every failure is the same OtrError('unreadable') — the caller
// cannot tell a bad MAC from a replayed counter or an unknown keyid.
import { concatBytes, equalBytes, wipe } from '../common/bytes';
import { unreadable } from '../common/errors';
import type { RandomSource } from '../common/random';
import type { AkeResult, DhKeyPair } from './ake';
import { DH1536_G, DH_SECRET_BYTES, isValidGroupElement, type Dh1536Engine } from './group';
import { deriveDataKeys, type DataKeys } from './kdf';
import { bigintToMinimalBytesFast, bytesToBigintFast } from './mpi';
import { CTR_BYTES, layoutDataMessage, MAC_BYTES, type DataMessageFields, type Header } from './messages';
import { joinMessagePayload } from '../common/tlv';
import { pureSymmetric, type KeyedCtr, type KeyedMac, type V3Symmetric } from './symmetric';

interface OurKey extends DhKeyPair {
  id: number;
  /** pub as MPI value bytes, computed once: every data message we send carries it */
  pubBytes: Uint8Array;
}
interface TheirKey {
  id: number;
  pub: bigint;
}
interface PairKeys extends DataKeys {
  /** HMAC-SHA1 keyed with sendMac / recvMac once for all messages of this pair */
  sendHmac: KeyedMac;
  recvHmac: KeyedMac;
  /** AES-128-CTR keyed with sendAes / recvAes once for all messages of this pair */
  sendCtrAes: KeyedCtr;
  recvCtrAes: KeyedCtr;
  sendCtr: bigint;
  recvCtr: bigint;
  recvMacUsed: boolean;
}

const ourKey = (id: number, k: DhKeyPair): OurKey => ({ id, priv: k.priv, pub: k.pub, pubBytes: bigintToMinimalBytesFast(k.pub) });
const pairId = (ourId: number, theirId: number): string => `${ourId}:${theirId}`;
const MAX_CTR = (1n << 64n) - 1n;
const NO_KEYS = new Uint8Array(0);
const LOW32 = 0xffffffffn;

/** the counter's 8 bytes (§"Data Message" CTR), from two 32-bit halves (fewer BigInts than a byte loop) */
function ctrBytes(v: bigint): Uint8Array {
  const out = new Uint8Array(CTR_BYTES);
  const hi = Number(v >> 32n);
  const lo = Number(v & LOW32);
  for (let i = 0; i < 4; i++) {
    out[3 - i] = hi >>> (8 * i);
    out[7 - i] = lo >>> (8 * i);
  }
  return out;
}
function ctrValue(b: Uint8Array): bigint {
  const hi = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  const lo = ((b[4]! << 24) | (b[5]! << 16) | (b[6]! << 8) | b[7]!) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** text of at most 1024 characters, all ASCII: its UTF-8 is its character codes */
function isShortAscii(text: string): boolean {
  if (text.length > 1024) return false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}

export interface Decrypted {
  /**
   * the plaintext, in a buffer the session reuses: valid until the next decrypt(); the caller
   * wipes it once it has read it (data-receive.ts)
   */
  payload: Uint8Array;
  /**
   * the extra symmetric key of the keys this message used (for a TLV 8 in it), in a buffer the
   * session reuses: valid until the next decrypt(); the caller wipes it once done (data-receive.ts)
   */
  extraKey: Uint8Array;
}

/**
 * What a session keeps between messages (§"Key Management"): our two D-H key pairs with their
 * keyids, their two public keys with keyids, the counters of every key pair combination in use
 * (the AES/MAC keys themselves are recomputed from the D-H keys), and the MAC keys waiting to be
 * revealed (§"Revealing MAC keys"). session-persist.ts writes and reads it.
 */
export interface DataSessionState {
  ourPrev: { id: number; priv: bigint; pub: bigint };
  ourCur: { id: number; priv: bigint; pub: bigint };
  theirCur: { id: number; pub: bigint };
  theirPrev: { id: number; pub: bigint } | undefined;
  pairs: Array<{ ourId: number; theirId: number; sendCtr: bigint; recvCtr: bigint; recvMacUsed: boolean }>;
  revealQueue: Uint8Array[];
}

export class DataSession {
  private ourPrev: OurKey;
  private ourCur: OurKey;
  private theirCur: TheirKey;
  private theirPrev: TheirKey | undefined;
  private readonly pairs = new Map<string, PairKeys>();
  private revealQueue: Uint8Array[] = [];
  // Buffers reused from message to message, because an array over 64 bytes lives outside V8's heap
  // and costs ~0.3 µs to make and more to collect (docs/performance.md, OTRv3 round four).
  /** the data message being sent: ciphertext and public fields only; encrypt() returns a view */
  private sendBuf = new Uint8Array(0);
  /** the plaintext of the message received last (wiped by the receiver and by destroy()) */
  private recvBuf = new Uint8Array(0);
  /** the MAC a received message should carry */
  private readonly macBuf = new Uint8Array(MAC_BYTES);
  /** the extra symmetric key of the message received last (wiped by the receiver and by destroy()) */
  private readonly extraBuf = new Uint8Array(32);

  /** from the AKE's result, or from a state exportState() gave (a restart, issue 13) */
  constructor(
    init: AkeResult | DataSessionState,
    private readonly engine: Dh1536Engine,
    private readonly rng: RandomSource,
    private readonly sym: V3Symmetric = pureSymmetric,
  ) {
    if ('pairs' in init) {
      this.ourPrev = ourKey(init.ourPrev.id, init.ourPrev);
      this.ourCur = ourKey(init.ourCur.id, init.ourCur);
      this.theirCur = { ...init.theirCur };
      this.theirPrev = init.theirPrev ? { ...init.theirPrev } : undefined;
      for (const q of init.pairs) {
        const our = [this.ourPrev, this.ourCur].find((k) => k.id === q.ourId);
        const their = [this.theirCur, this.theirPrev].find((k) => k?.id === q.theirId);
        if (!our || !their) throw new RangeError('a key pair combination of keys the session does not hold');
        this.pairs.set(pairId(our.id, their.id), { ...this.computePair(our, their), sendCtr: q.sendCtr, recvCtr: q.recvCtr, recvMacUsed: q.recvMacUsed });
      }
      this.revealQueue = init.revealQueue.map((k) => k.slice());
      return;
    }
    const ake = init;
    // §"Key Management": the AKE key is our_dh[our_keyid − 1]; a fresh one is our_dh[our_keyid]
    this.ourPrev = ourKey(ake.ourKeyId, ake.ourDh);
    this.ourCur = ourKey(ake.ourKeyId + 1, this.newDh());
    this.theirCur = { id: ake.theirKeyId, pub: ake.theirDh };
    this.theirPrev = undefined;
  }

  private newDh(): DhKeyPair {
    let priv = 0n;
    while (priv === 0n) priv = bytesToBigintFast(this.rng(DH_SECRET_BYTES));
    return { priv, pub: this.engine.modPow(DH1536_G, priv) };
  }

  private computePair(our: OurKey, their: TheirKey): PairKeys {
    const s = this.engine.modPow(their.pub, our.priv);
    const k = deriveDataKeys(our.pub, their.pub, s, this.sym);
    return {
      ...k,
      sendHmac: this.sym.hmacSha1(k.sendMac),
      recvHmac: this.sym.hmacSha1(k.recvMac),
      sendCtrAes: this.sym.dataCtr(k.sendAes),
      recvCtrAes: this.sym.dataCtr(k.recvAes),
      sendCtr: 0n,
      recvCtr: 0n,
      recvMacUsed: false,
    };
  }

  private pair(our: OurKey, their: TheirKey): PairKeys {
    const id = pairId(our.id, their.id);
    let p = this.pairs.get(id);
    if (!p) {
      p = this.computePair(our, their);
      this.pairs.set(id, p);
    }
    return p;
  }

  private sendScratch = (n: number): Uint8Array => {
    if (this.sendBuf.length < n) this.sendBuf = new Uint8Array(Math.max(n, 512));
    return this.sendBuf.subarray(0, n);
  };

  /**
   * builds a data message (§"When you send a Data Message") of `payload`, or of the message text
   * `payload` without TLVs (§"Data Message": the plaintext is the UTF-8 text). The result is a view
   * of a buffer the session reuses: valid until the next encrypt() (the caller base64-encodes it
   * at once).
   */
  encrypt(header: Header, payload: Uint8Array | string, flags: number): Uint8Array {
    // ASCII text (most chat text) is written straight into the message and encrypted in place
    const ascii = typeof payload === 'string' && isShortAscii(payload);
    if (typeof payload === 'string' && !ascii) payload = joinMessagePayload(payload, []);
    const p = this.pair(this.ourPrev, this.theirCur);
    if (p.sendCtr >= MAX_CTR) throw new RangeError('counter exhausted');
    p.sendCtr += 1n;
    const ctr = ctrBytes(p.sendCtr);
    const oldMacKeys = this.revealQueue.length === 0 ? NO_KEYS : concatBytes(...this.revealQueue);
    this.revealQueue = [];
    const nextDh = this.ourCur.pubBytes;
    const f = { flags, senderKeyId: this.ourPrev.id, recipientKeyId: this.theirCur.id, nextDh, ctr, oldMacKeys };
    const { bytes, encAt, macAt } = layoutDataMessage(header, f, payload.length, this.sendScratch);
    if (ascii) {
      const text = payload as string;
      for (let i = 0; i < text.length; i++) bytes[encAt + i] = text.charCodeAt(i);
      p.sendCtrAes.crypt(ctr, bytes.subarray(encAt, encAt + text.length), bytes, encAt);
    } else p.sendCtrAes.crypt(ctr, payload as Uint8Array, bytes, encAt);
    p.sendHmac.macInto(bytes.subarray(0, macAt), bytes, macAt);
    return bytes;
  }

  /** the extra symmetric key of the keys the next sent message will use */
  currentExtraKey(): Uint8Array {
    return this.pair(this.ourPrev, this.theirCur).extraKey.slice();
  }

  /** §"When you receive a Data Message". Throws OtrError('unreadable') and changes nothing on failure. */
  decrypt(m: Pick<DataMessageFields, 'senderKeyId' | 'recipientKeyId' | 'nextDh' | 'ctr' | 'encrypted' | 'mac' | 'authenticated'>): Decrypted {
    const our = m.recipientKeyId === this.ourCur.id ? this.ourCur : m.recipientKeyId === this.ourPrev.id ? this.ourPrev : undefined;
    const their = m.senderKeyId === this.theirCur.id ? this.theirCur : this.theirPrev && m.senderKeyId === this.theirPrev.id ? this.theirPrev : undefined;
    if (!our || !their) throw unreadable();
    const id = pairId(our.id, their.id);
    const known = this.pairs.get(id);
    const p = known ?? this.computePair(our, their);
    const mac = this.macBuf;
    p.recvHmac.macInto(m.authenticated, mac, 0);
    const ctr = ctrValue(m.ctr);
    // all checks are evaluated before deciding, so the failing one is not singled out
    const macOk = equalBytes(mac, m.mac);
    mac.fill(0); // the MAC a forged message should have carried is not kept
    const ctrOk = ctr > p.recvCtr;
    const rotateTheirs = m.senderKeyId === this.theirCur.id;
    const next = rotateTheirs ? bytesToBigintFast(m.nextDh) : 0n;
    const nextOk = !rotateTheirs || isValidGroupElement(next);
    if (!(macOk && ctrOk && nextOk)) {
      if (!known) this.wipePair(p);
      throw unreadable();
    }
    const n = m.encrypted.length;
    if (this.recvBuf.length < n) {
      this.recvBuf.fill(0);
      this.recvBuf = new Uint8Array(Math.max(n, 256));
    }
    const payload = this.recvBuf.subarray(0, n);
    p.recvCtrAes.crypt(m.ctr, m.encrypted, payload, 0);

    // commit
    p.recvCtr = ctr;
    p.recvMacUsed = true;
    this.pairs.set(id, p);
    const extraKey = this.extraBuf;
    extraKey.set(p.extraKey);
    if (m.recipientKeyId === this.ourCur.id) this.rotateOurs();
    if (rotateTheirs) this.rotateTheirs(next);
    return { payload, extraKey };
  }

  /** forget pairs that use `pred`'s key, queueing their used receiving MAC keys for revelation */
  private forget(pred: (ourId: number, theirId: number) => boolean): void {
    for (const [id, p] of this.pairs) {
      const [o, t] = id.split(':').map(Number) as [number, number];
      if (!pred(o, t)) continue;
      if (p.recvMacUsed) this.revealQueue.push(p.recvMac.slice());
      this.wipePair(p);
      this.pairs.delete(id);
    }
  }

  private wipePair(p: PairKeys): void {
    wipe(p.sendAes, p.sendMac, p.recvAes, p.recvMac, p.extraKey);
    p.sendHmac.destroy();
    p.recvHmac.destroy();
    p.sendCtrAes.destroy();
    p.recvCtrAes.destroy();
  }

  private rotateOurs(): void {
    const old = this.ourPrev;
    this.forget((o) => o === old.id);
    this.ourPrev = this.ourCur;
    this.ourCur = ourKey(this.ourCur.id + 1, this.newDh());
  }

  private rotateTheirs(next: bigint): void {
    const old = this.theirPrev;
    if (old) this.forget((_o, t) => t === old.id);
    this.theirPrev = this.theirCur;
    this.theirCur = { id: this.theirCur.id + 1, pub: next };
  }

  /** the state to persist (copies; see DataSessionState) */
  exportState(): DataSessionState {
    const key = (k: OurKey) => ({ id: k.id, priv: k.priv, pub: k.pub });
    return {
      ourPrev: key(this.ourPrev),
      ourCur: key(this.ourCur),
      theirCur: { ...this.theirCur },
      theirPrev: this.theirPrev ? { ...this.theirPrev } : undefined,
      pairs: [...this.pairs].map(([id, p]) => {
        const [ourId, theirId] = id.split(':').map(Number) as [number, number];
        return { ourId, theirId, sendCtr: p.sendCtr, recvCtr: p.recvCtr, recvMacUsed: p.recvMacUsed };
      }),
      revealQueue: this.revealQueue.map((k) => k.slice()),
    };
  }

  /** erase all key material (end of session) */
  destroy(): void {
    this.forget(() => true);
    this.recvBuf.fill(0);
    this.sendBuf.fill(0);
    this.extraBuf.fill(0);
    this.revealQueue = [];
    this.ourPrev.priv = 0n;
    this.ourCur.priv = 0n;
  }

  /** keyids, for tests and diagnostics (no secrets) */
  get keyIds(): { ourPrev: number; ourCur: number; theirCur: number; theirPrev?: number } {
    return { ourPrev: this.ourPrev.id, ourCur: this.ourCur.id, theirCur: this.theirCur.id, theirPrev: this.theirPrev?.id };
  }
}
