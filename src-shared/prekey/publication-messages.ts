// The messages a publisher attaches to its DAKE-3 (otrv4-prekey-server.md §"Prekey Publication
// Message", §"Storage Information Request Message"), with the proofs a publication carries
// (§"Proofs"). Only structure is checked here; MACs and proofs are verified in publication.ts.
import { type ByteReader, ByteWriter } from '../otr/common/bytes';
import { malformed } from '../otr/common/errors';
import { MAC_BYTES, PrekeyMessageType, SCALAR_BYTES, checkLen, header } from './message-codec';
import { readClientProfileSpan, readPrekeyMessageSpan, readPrekeyProfileSpan } from './spans';

/** §"Prekey Publication Message": "The maximum number of Prekey Messages … in one message is 255" */
export const MAX_PREKEY_MESSAGES_PER_PUBLICATION = 255;

export interface EcdhProof {
  /** C, 64 bytes */
  c: Uint8Array;
  /** V, SCALAR (57 bytes LE) */
  v: Uint8Array;
}

export interface DhProof {
  c: Uint8Array;
  v: bigint;
}

export interface PublicationMessage {
  type: 'publication';
  version: number;
  prekeyMessages: Uint8Array[];
  clientProfile?: Uint8Array;
  prekeyProfile?: Uint8Array;
  /** present iff N > 0 */
  prekeyMessageProofs?: { ecdh: EcdhProof; dh: DhProof };
  /** present iff J = 1 */
  prekeyProfileProof?: EcdhProof;
  mac: Uint8Array;
}

export interface StorageInfoRequestMessage {
  type: 'storage-info-request';
  version: number;
  mac: Uint8Array;
}

/** messages that travel inside DAKE-3 */
export type AttachedMessage = PublicationMessage | StorageInfoRequestMessage;

export function encodeEcdhProof(p: EcdhProof): Uint8Array {
  checkLen(p.c, 64, 'proof C');
  checkLen(p.v, SCALAR_BYTES, 'proof V');
  return new ByteWriter().bytes(p.c).bytes(p.v).finish();
}

export function encodeDhProof(p: DhProof): Uint8Array {
  checkLen(p.c, 64, 'proof C');
  return new ByteWriter().bytes(p.c).mpi(p.v).finish();
}

/** the Proofs field of a publication, in the spec's order (used for the MAC as well) */
export function encodePublicationProofs(m: Pick<PublicationMessage, 'prekeyMessageProofs' | 'prekeyProfileProof'>): Uint8Array {
  const w = new ByteWriter();
  if (m.prekeyMessageProofs) {
    w.bytes(encodeEcdhProof(m.prekeyMessageProofs.ecdh)).bytes(encodeDhProof(m.prekeyMessageProofs.dh));
  }
  if (m.prekeyProfileProof) w.bytes(encodeEcdhProof(m.prekeyProfileProof));
  return w.finish();
}

function readEcdhProof(r: ByteReader): EcdhProof {
  return { c: r.fixed(64, 'proof C'), v: r.fixed(SCALAR_BYTES, 'proof V') };
}

function readDhProof(r: ByteReader): DhProof {
  return { c: r.fixed(64, 'proof C'), v: r.mpi('proof V') };
}

export function encodeAttachedMessage(m: AttachedMessage): Uint8Array {
  const w = new ByteWriter();
  if (m.type === 'storage-info-request') {
    checkLen(m.mac, MAC_BYTES, 'Storage Information MAC');
    return header(w, PrekeyMessageType.storageInfoRequest, m.version).bytes(m.mac).finish();
  }
  if (m.prekeyMessages.length > MAX_PREKEY_MESSAGES_PER_PUBLICATION) throw malformed('too many prekey messages');
  if (m.prekeyMessages.length > 0 !== (m.prekeyMessageProofs !== undefined)) {
    throw malformed('prekey message proofs must be present exactly when prekey messages are');
  }
  if ((m.prekeyProfile !== undefined) !== (m.prekeyProfileProof !== undefined)) {
    throw malformed('prekey profile proof must be present exactly when a prekey profile is');
  }
  checkLen(m.mac, MAC_BYTES, 'Prekey MAC');
  header(w, PrekeyMessageType.publication, m.version).byte(m.prekeyMessages.length);
  for (const pm of m.prekeyMessages) w.bytes(pm);
  w.byte(m.clientProfile ? 1 : 0);
  if (m.clientProfile) w.bytes(m.clientProfile);
  w.byte(m.prekeyProfile ? 1 : 0);
  if (m.prekeyProfile) w.bytes(m.prekeyProfile);
  return w.bytes(encodePublicationProofs(m)).bytes(m.mac).finish();
}

/** the body of an attached message after its header (undefined: neither type; nothing read); `bytes` is the whole message */
export function readAttachedMessage(r: ByteReader, bytes: Uint8Array, version: number, type: number): AttachedMessage | undefined {
  if (type === PrekeyMessageType.storageInfoRequest) {
    return { type: 'storage-info-request', version, mac: r.fixed(MAC_BYTES, 'Storage Information MAC') };
  }
  if (type !== PrekeyMessageType.publication) return undefined;
  const n = r.byte('N');
  const prekeyMessages: Uint8Array[] = [];
  for (let k = 0; k < n; k++) prekeyMessages.push(readPrekeyMessageSpan(r, bytes));
  const kFlag = r.byte('K');
  if (kFlag > 1) throw malformed('K must be 0 or 1');
  const clientProfile = kFlag === 1 ? readClientProfileSpan(r, bytes) : undefined;
  const jFlag = r.byte('J');
  if (jFlag > 1) throw malformed('J must be 0 or 1');
  const prekeyProfile = jFlag === 1 ? readPrekeyProfileSpan(r, bytes) : undefined;
  const prekeyMessageProofs = n > 0 ? { ecdh: readEcdhProof(r), dh: readDhProof(r) } : undefined;
  const prekeyProfileProof = jFlag === 1 ? readEcdhProof(r) : undefined;
  const mac = r.fixed(MAC_BYTES, 'Prekey MAC');
  return {
    type: 'publication',
    version,
    prekeyMessages,
    ...(clientProfile ? { clientProfile } : {}),
    ...(prekeyProfile ? { prekeyProfile } : {}),
    ...(prekeyMessageProofs ? { prekeyMessageProofs } : {}),
    ...(prekeyProfileProof ? { prekeyProfileProof } : {}),
    mac,
  };
}
