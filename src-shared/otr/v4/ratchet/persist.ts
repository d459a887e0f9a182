// The double ratchet's state as a session record (../../session-record.ts) and back (issue 13:
// "restarts lose nothing"). Everything otrv4.md §"The Double Ratchet Algorithm" and §"Key
// Management" keep between messages is written: the counters i, j, k and pn, the root key, the
// brace key, both chain keys, our newest ECDH and DH key pairs (while their secrets are still
// needed), the other side's ECDH and DH public keys, the ratchet ids every message of the current
// chains carries, the MAC keys still to be revealed (§"Revealing MAC Keys") and the stored
// skipped message keys with their age and ratchet step (§"Deletion of Stored Message Keys"), in
// eviction order. lastNewEcdhAt goes too, so §"Session Expiration" counts across restarts.
//
// The restore validates what the protocol would have validated when the values first arrived:
// points decode (on the curve, in the subgroup, not the identity), DH values are in the group,
// keys have their lengths, and the skipped-key store is within its bound. Anything else is a
// SessionRecordError.
import { MAC_BYTES } from '../data-message';
import { isValidDhPublic } from '../dh3072';
import { decodePoint, encodePoint, POINT_BYTES } from '../ed448';
import { bigHex, hexOf, RecordReader, type RecordObject, type RecordValue, SessionRecordError } from '../../session-record';
import { DoubleRatchet } from './ratchet';
import { skippedId } from './skipped';
import type { RatchetOptions, RatchetState, SkippedKey } from './state';

const ROOT_BYTES = 64;
const CHAIN_BYTES = 64;
const BRACE_BYTES = 32;
const KEY_BYTES = 64;
/** default bound of the skipped-key store (state.ts RATCHET_DEFAULTS.maxStoredKeys) */
const DEFAULT_MAX_STORED = 1000;
const U32 = 0xffffffff;

const maybeHex = (b: Uint8Array | null): RecordValue => (b ? hexOf(b) : null);
const maybeBig = (v: bigint | null): RecordValue => (v === null ? null : bigHex(v));

export function exportRatchet(r: DoubleRatchet): RecordObject {
  const s = r.exportState();
  const skipped: RecordValue[] = [];
  for (const [id, key] of s.skipped) {
    const [ecdh, messageId] = id.split(':') as [string, string];
    skipped.push({
      ecdh,
      messageId: Number(messageId),
      mkEnc: hexOf(key.mkEnc),
      extraKey: hexOf(key.extraKey),
      ratchetId: key.ratchetId,
      storedAt: key.storedAt,
      storedAtI: key.storedAtI,
    });
  }
  return {
    i: s.i,
    j: s.j,
    k: s.k,
    pn: s.pn,
    root: hexOf(s.root),
    brace: maybeHex(s.brace),
    chainS: maybeHex(s.chainS),
    chainR: maybeHex(s.chainR),
    ourEcdh: s.ourEcdh ? { secret: bigHex(s.ourEcdh.secret), public: hexOf(encodePoint(s.ourEcdh.public)) } : null,
    ourDh: s.ourDh ? { secret: bigHex(s.ourDh.secret), public: bigHex(s.ourDh.public) } : null,
    theirEcdh: maybeHex(s.theirEcdhBytes),
    theirDh: maybeBig(s.theirDh),
    sendingChainId: s.sendingChainId,
    sendingEcdh: maybeHex(s.sendingEcdh),
    sendingDh: maybeBig(s.sendingDh),
    receivingChainId: s.receivingChainId,
    receivingDh: maybeBig(s.receivingDh),
    needSenderRotation: s.needSenderRotation,
    acceptTheirRotation: s.acceptTheirRotation,
    macKeysToReveal: s.macKeysToReveal.map(hexOf),
    revealNow: s.revealNow.map(hexOf),
    skipped,
    lastNewEcdhAt: s.lastNewEcdhAt,
  };
}

function point(bytes: Uint8Array, what: string) {
  try {
    return decodePoint(bytes);
  } catch {
    throw new SessionRecordError(`${what} is not a valid point`);
  }
}

function dhValue(v: bigint, what: string): bigint {
  if (!isValidDhPublic(v)) throw new SessionRecordError(`${what} is not in the DH group`);
  return v;
}

const nullable = <T>(r: RecordReader, k: string, read: () => T): T | null => (r.isNull(k) ? null : read());

/** Rebuilds a ratchet from exportRatchet()'s record; throws SessionRecordError. */
export function restoreRatchet(r: RecordReader, opts: RatchetOptions): DoubleRatchet {
  const maxStored = opts.maxStoredKeys ?? DEFAULT_MAX_STORED;
  const ourEcdh = nullable(r, 'ourEcdh', () => {
    const o = r.obj('ourEcdh');
    const k = { secret: o.big('secret'), public: point(o.bytes('public', POINT_BYTES), 'ourEcdh.public') };
    o.done();
    return k;
  });
  const ourDh = nullable(r, 'ourDh', () => {
    const o = r.obj('ourDh');
    const k = { secret: o.big('secret'), public: dhValue(o.big('public'), 'ourDh.public') };
    o.done();
    return k;
  });
  const theirEcdhBytes = nullable(r, 'theirEcdh', () => r.bytes('theirEcdh', POINT_BYTES));
  const skipped = new Map<string, SkippedKey>();
  for (const o of r.objs('skipped', maxStored)) {
    const ecdh = o.bytes('ecdh', POINT_BYTES);
    const messageId = o.int('messageId', 0, U32);
    skipped.set(skippedId(ecdh, messageId), {
      mkEnc: o.bytes('mkEnc', KEY_BYTES),
      extraKey: o.bytes('extraKey', KEY_BYTES),
      ratchetId: o.int('ratchetId', 0, U32),
      storedAt: o.time('storedAt'),
      storedAtI: o.int('storedAtI'),
    });
    o.done();
  }
  const s: RatchetState = {
    i: r.int('i'),
    j: r.int('j', 0, U32),
    k: r.int('k', 0, U32),
    pn: r.int('pn', 0, U32),
    root: r.bytes('root', ROOT_BYTES),
    brace: nullable(r, 'brace', () => r.bytes('brace', BRACE_BYTES)),
    chainS: nullable(r, 'chainS', () => r.bytes('chainS', CHAIN_BYTES)),
    chainR: nullable(r, 'chainR', () => r.bytes('chainR', CHAIN_BYTES)),
    ourEcdh,
    ourDh,
    theirEcdh: theirEcdhBytes ? point(theirEcdhBytes, 'theirEcdh') : null,
    theirEcdhBytes,
    theirDh: nullable(r, 'theirDh', () => dhValue(r.big('theirDh'), 'theirDh')),
    sendingChainId: r.int('sendingChainId', 0, U32),
    sendingEcdh: nullable(r, 'sendingEcdh', () => r.bytes('sendingEcdh', POINT_BYTES)),
    sendingDh: nullable(r, 'sendingDh', () => dhValue(r.big('sendingDh'), 'sendingDh')),
    receivingChainId: r.int('receivingChainId', 0, U32),
    receivingDh: nullable(r, 'receivingDh', () => dhValue(r.big('receivingDh'), 'receivingDh')),
    needSenderRotation: r.bool('needSenderRotation'),
    acceptTheirRotation: r.bool('acceptTheirRotation'),
    macKeysToReveal: r.bytesList('macKeysToReveal', 4 * maxStored, MAC_BYTES),
    revealNow: r.bytesList('revealNow', 4 * maxStored, MAC_BYTES),
    skipped,
    lastNewEcdhAt: r.time('lastNewEcdhAt'),
  };
  r.done();
  // a state the ratchet could never have been in: it could not send or receive anything
  if (!s.chainS && !s.chainR) throw new SessionRecordError('the ratchet has neither a sending nor a receiving chain');
  if (s.chainS && !s.sendingEcdh) throw new SessionRecordError('a sending chain without its ECDH key');
  if (s.sendingEcdh) point(s.sendingEcdh, 'sendingEcdh');
  if (s.chainR && !s.theirEcdhBytes) throw new SessionRecordError('a receiving chain without their ECDH key');
  return new DoubleRatchet(s, opts);
}
