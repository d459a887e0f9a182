// An OTRv3 (or version 2) session in MSGSTATE_ENCRYPTED as a session record and back (issue 13,
// "restarts lose nothing"; OTRv3 §"Data Exchange", §"Key Management", §"Revealing MAC keys").
// Recorded: our two D-H key pairs and their two public keys with the keyids, the top-half
// counters of every key pair combination in use (a counter must never repeat under one key,
// §"Data Message"), the MAC keys waiting to be revealed, the contact's long-term DSA key (the
// fingerprint and SMP need it) and the secure session id. Not recorded: an AKE or SMP exchange
// under way (they start over). Our instance tag is the identity's and is checked on restore.
import { bigHex, hexOf, type RecordObject, type RecordReader, SessionRecordError } from '../session-record';
import type { DataSessionState } from './data-session';
import { type DsaPublicKey, validatePublicKey, type PowFn } from './dsa';
import { isValidGroupElement } from './group';

/** the part of a session a record carries */
export interface V3SessionParts {
  data: DataSessionState;
  theirLongTerm: DsaPublicKey;
  ssid: Uint8Array;
}

const SSID_BYTES = 8;
/** HMAC-SHA1 keys (§"Computing AES keys, MAC keys…") */
const MAC_KEY_BYTES = 20;
const MAX_CTR = (1n << 64n) - 1n;
const MAX_KEYID = 0xffffffff;
/** at most 2 × 2 key pair combinations are ever kept (DataSession.forget) */
const MAX_PAIRS = 4;
const MAX_REVEAL = 1024;

export function exportV3Session(ourTag: number, p: V3SessionParts): RecordObject {
  const d = p.data;
  const our = (k: { id: number; priv: bigint; pub: bigint }) => ({ id: k.id, priv: bigHex(k.priv), pub: bigHex(k.pub) });
  const their = (k: { id: number; pub: bigint }) => ({ id: k.id, pub: bigHex(k.pub) });
  return {
    ourTag,
    ssid: hexOf(p.ssid),
    theirLongTerm: { p: bigHex(p.theirLongTerm.p), q: bigHex(p.theirLongTerm.q), g: bigHex(p.theirLongTerm.g), y: bigHex(p.theirLongTerm.y) },
    ourPrev: our(d.ourPrev),
    ourCur: our(d.ourCur),
    theirCur: their(d.theirCur),
    theirPrev: d.theirPrev ? their(d.theirPrev) : null,
    pairs: d.pairs.map((x) => ({ ourId: x.ourId, theirId: x.theirId, sendCtr: bigHex(x.sendCtr), recvCtr: bigHex(x.recvCtr), recvMacUsed: x.recvMacUsed })),
    revealQueue: d.revealQueue.map(hexOf),
  };
}

function group(v: bigint, what: string): bigint {
  if (!isValidGroupElement(v)) throw new SessionRecordError(`${what} is not in the D-H group`);
  return v;
}

function counter(v: bigint, what: string): bigint {
  if (v > MAX_CTR) throw new SessionRecordError(`${what} exceeds 64 bits`);
  return v;
}

/** Reads exportV3Session()'s record; throws SessionRecordError. */
export function readV3Session(r: RecordReader, ourTag: number, pow: PowFn): V3SessionParts {
  if (r.int('ourTag', 0, MAX_KEYID) !== ourTag) throw new SessionRecordError('the session belongs to another instance tag of ours');
  const ssid = r.bytes('ssid', SSID_BYTES);
  const lt = r.obj('theirLongTerm');
  const theirLongTerm = { p: lt.big('p'), q: lt.big('q'), g: lt.big('g'), y: lt.big('y') };
  lt.done();
  try {
    validatePublicKey(theirLongTerm, pow);
  } catch {
    throw new SessionRecordError('theirLongTerm is not a valid DSA key');
  }
  const our = (k: string) => {
    const o = r.obj(k);
    const key = { id: o.int('id', 1, MAX_KEYID), priv: o.big('priv'), pub: group(o.big('pub'), `${k}.pub`) };
    o.done();
    if (key.priv === 0n) throw new SessionRecordError(`${k}.priv is zero`);
    return key;
  };
  const their = (o: RecordReader, k: string) => {
    const key = { id: o.int('id', 1, MAX_KEYID), pub: group(o.big('pub'), `${k}.pub`) };
    o.done();
    return key;
  };
  const ourPrev = our('ourPrev');
  const ourCur = our('ourCur');
  const theirCur = their(r.obj('theirCur'), 'theirCur');
  const theirPrev = r.isNull('theirPrev') ? undefined : their(r.obj('theirPrev'), 'theirPrev');
  // §"Key Management": our_keyid and their_keyid advance by one at each rotation
  if (ourCur.id !== ourPrev.id + 1) throw new SessionRecordError('our keyids are not consecutive');
  if (theirPrev && theirCur.id !== theirPrev.id + 1) throw new SessionRecordError('their keyids are not consecutive');
  const pairs = r.objs('pairs', MAX_PAIRS).map((o, n) => {
    const x = {
      ourId: o.int('ourId', 1, MAX_KEYID),
      theirId: o.int('theirId', 1, MAX_KEYID),
      sendCtr: counter(o.big('sendCtr'), `pairs[${n}].sendCtr`),
      recvCtr: counter(o.big('recvCtr'), `pairs[${n}].recvCtr`),
      recvMacUsed: o.bool('recvMacUsed'),
    };
    o.done();
    if (x.ourId !== ourPrev.id && x.ourId !== ourCur.id) throw new SessionRecordError(`pairs[${n}] names a key of ours the session does not hold`);
    if (x.theirId !== theirCur.id && x.theirId !== theirPrev?.id) throw new SessionRecordError(`pairs[${n}] names a key of theirs the session does not hold`);
    return x;
  });
  const revealQueue = r.bytesList('revealQueue', MAX_REVEAL, MAC_KEY_BYTES);
  r.done();
  return { ssid, theirLongTerm, data: { ourPrev, ourCur, theirCur, theirPrev, pairs, revealQueue } };
}
