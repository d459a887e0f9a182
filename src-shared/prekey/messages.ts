// Binary encodings of the OTRv4 Prekey Server messages (otrv4-prekey-server.md §"Key Exchange",
// §"Prekey Publication Message", §"Storage Information Request Message", §"Storage Status
// Message", §"Success Message", §"Failure Message", §"Prekey Ensemble Query Retrieval Message",
// §"Prekey Ensemble Retrieval Message", §"No Prekey Ensembles in Storage Message";
// otr-implementer-notes.md §14). Decoders only check structure and throw OtrError('malformed') or
// OtrError('unsupported-version'); cryptographic checks (points, MACs, signatures, proofs) happen
// in the protocol layer (dake.ts, publication.ts) where the keys are known.
//
// Every message begins `SHORT version || BYTE type`. The spec asks receivers to accept "0x0004 or a
// higher version"; the layout below is the version-4 layout, so a higher version is accepted and
// reported in `version` for the caller to decide.
import { ByteReader, ByteWriter } from '../otr/common/bytes';
import { OtrError, malformed } from '../otr/common/errors';
import { encodeKeyType, PUBKEY_TYPE_ED448, readKeyType } from '../otr/v4/key-type';
import { readClientProfileSpan, readPrekeyMessageSpan, readPrekeyProfileSpan } from './spans';

export const PREKEY_PROTOCOL_VERSION = 4;

export const PrekeyMessageType = {
  dake1: 0x35,
  dake2: 0x36,
  dake3: 0x37,
  publication: 0x08,
  storageInfoRequest: 0x09,
  storageStatus: 0x0b,
  success: 0x06,
  failure: 0x05,
  ensembleQuery: 0x10,
  ensembleRetrieval: 0x13,
  noPrekeyEnsembles: 0x0e,
} as const;

export const POINT_BYTES = 57;
export const SCALAR_BYTES = 57;
export const MAC_BYTES = 64;
export const RING_SIG_BYTES = 6 * SCALAR_BYTES;
/** ED448-PUBKEY's type, written little-endian (otr/v4/key-type.ts) */
export const ED448_PUBKEY_TYPE = PUBKEY_TYPE_ED448;
/** §"Prekey Publication Message": "The maximum number of Prekey Messages … in one message is 255" */
export const MAX_PREKEY_MESSAGES_PER_PUBLICATION = 255;
/** §"No Prekey Ensembles in Storage Message": the human-readable part */
export const NO_PREKEY_MESSAGES_TEXT = 'No Prekey Messages available for this identity';
/** identities are bare JIDs (RFC 7622 caps each part at 1023 bytes) */
const MAX_IDENTITY_BYTES = 3071;
/** a retrieval answer carries one ensemble per instance tag; more than this is abuse */
export const MAX_ENSEMBLES_PER_RETRIEVAL = 64;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export interface Dake1Message {
  type: 'dake1';
  version: number;
  senderInstanceTag: number;
  /** CLIENT-PROF, as encoded by the publisher */
  clientProfile: Uint8Array;
  /** POINT I, the publisher's ephemeral ECDH key (not yet validated) */
  i: Uint8Array;
}

/** §"Prekey Server Composite Identity": DATA(identity) || ED448-PUBKEY(H_s) */
export interface CompositeIdentity {
  identity: string;
  /** POINT H_s (57 bytes) */
  publicKey: Uint8Array;
}

export interface Dake2Message {
  type: 'dake2';
  version: number;
  receiverInstanceTag: number;
  compositeIdentity: CompositeIdentity;
  /** POINT S, the server's ephemeral ECDH key */
  s: Uint8Array;
  /** RING-SIG (342 bytes) */
  sigma: Uint8Array;
}

export interface Dake3Message {
  type: 'dake3';
  version: number;
  senderInstanceTag: number;
  sigma: Uint8Array;
  /** the attached Prekey Publication or Storage Information Request, still encoded */
  message: Uint8Array;
}

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

export interface StorageStatusMessage {
  type: 'storage-status';
  version: number;
  receiverInstanceTag: number;
  storedPrekeyMessages: number;
  mac: Uint8Array;
}

export interface SuccessMessage {
  type: 'success';
  version: number;
  receiverInstanceTag: number;
  mac: Uint8Array;
}

export interface FailureMessage {
  type: 'failure';
  version: number;
  receiverInstanceTag: number;
  mac: Uint8Array;
}

export interface EnsembleQueryMessage {
  type: 'ensemble-query';
  version: number;
  senderInstanceTag: number;
  identity: string;
  /** the versions string, e.g. "4" or "45"; unknown digits are ignored by the server */
  versions: string;
}

export interface PrekeyEnsemble {
  clientProfile: Uint8Array;
  prekeyProfile: Uint8Array;
  prekeyMessage: Uint8Array;
}

export interface EnsembleRetrievalMessage {
  type: 'ensemble-retrieval';
  version: number;
  receiverInstanceTag: number;
  identity: string;
  ensembles: PrekeyEnsemble[];
}

export interface NoPrekeyEnsemblesMessage {
  type: 'no-prekey-ensembles';
  version: number;
  receiverInstanceTag: number;
  identity: string;
  text: string;
}

/** messages that travel on their own in a stanza body */
export type TopLevelMessage =
  | Dake1Message
  | Dake2Message
  | Dake3Message
  | StorageStatusMessage
  | SuccessMessage
  | FailureMessage
  | EnsembleQueryMessage
  | EnsembleRetrievalMessage
  | NoPrekeyEnsemblesMessage;

/** messages that travel inside DAKE-3 */
export type AttachedMessage = PublicationMessage | StorageInfoRequestMessage;

type Encodable = TopLevelMessage | AttachedMessage;

function header(w: ByteWriter, type: number, version = PREKEY_PROTOCOL_VERSION): ByteWriter {
  return w.short(version).byte(type);
}

function checkTag(tag: number, what: string): void {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xffffffff) throw malformed(`${what} is not an INT`);
}

function checkLen(b: Uint8Array, n: number, what: string): void {
  if (b.length !== n) throw malformed(`${what} must be ${n} bytes`);
}

export function encodeCompositeIdentity(id: CompositeIdentity): Uint8Array {
  checkLen(id.publicKey, POINT_BYTES, 'H_s');
  return new ByteWriter().data(utf8.encode(id.identity)).bytes(encodeKeyType(ED448_PUBKEY_TYPE)).bytes(id.publicKey).finish();
}

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

/** Publication without its MAC: what the MAC is computed over lives in publication.ts */
export function encodeMessage(m: Encodable): Uint8Array {
  const w = new ByteWriter();
  switch (m.type) {
    case 'dake1':
      checkTag(m.senderInstanceTag, 'sender instance tag');
      checkLen(m.i, POINT_BYTES, 'I');
      return header(w, PrekeyMessageType.dake1, m.version).int(m.senderInstanceTag).bytes(m.clientProfile).bytes(m.i).finish();
    case 'dake2':
      checkTag(m.receiverInstanceTag, 'receiver instance tag');
      checkLen(m.s, POINT_BYTES, 'S');
      checkLen(m.sigma, RING_SIG_BYTES, 'sigma');
      return header(w, PrekeyMessageType.dake2, m.version)
        .int(m.receiverInstanceTag)
        .bytes(encodeCompositeIdentity(m.compositeIdentity))
        .bytes(m.s)
        .bytes(m.sigma)
        .finish();
    case 'dake3':
      checkTag(m.senderInstanceTag, 'sender instance tag');
      checkLen(m.sigma, RING_SIG_BYTES, 'sigma');
      return header(w, PrekeyMessageType.dake3, m.version).int(m.senderInstanceTag).bytes(m.sigma).data(m.message).finish();
    case 'publication': {
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
    case 'storage-info-request':
      checkLen(m.mac, MAC_BYTES, 'Storage Information MAC');
      return header(w, PrekeyMessageType.storageInfoRequest, m.version).bytes(m.mac).finish();
    case 'storage-status':
      checkTag(m.receiverInstanceTag, 'receiver instance tag');
      checkTag(m.storedPrekeyMessages, 'stored prekey messages number');
      checkLen(m.mac, MAC_BYTES, 'Status MAC');
      return header(w, PrekeyMessageType.storageStatus, m.version).int(m.receiverInstanceTag).int(m.storedPrekeyMessages).bytes(m.mac).finish();
    case 'success':
    case 'failure':
      checkTag(m.receiverInstanceTag, 'receiver instance tag');
      checkLen(m.mac, MAC_BYTES, `${m.type} MAC`);
      return header(w, m.type === 'success' ? PrekeyMessageType.success : PrekeyMessageType.failure, m.version)
        .int(m.receiverInstanceTag)
        .bytes(m.mac)
        .finish();
    case 'ensemble-query':
      checkTag(m.senderInstanceTag, 'sender instance tag');
      return header(w, PrekeyMessageType.ensembleQuery, m.version)
        .int(m.senderInstanceTag)
        .data(utf8.encode(m.identity))
        .data(utf8.encode(m.versions))
        .finish();
    case 'ensemble-retrieval': {
      checkTag(m.receiverInstanceTag, 'receiver instance tag');
      // §"Prekey Ensemble Retrieval Message": L is an INT and "must be greater than 0"
      // (libotr-ng / the Go server write a BYTE: implementer notes §0; we follow the spec).
      if (m.ensembles.length === 0) throw malformed('a retrieval carries at least one ensemble');
      header(w, PrekeyMessageType.ensembleRetrieval, m.version).int(m.receiverInstanceTag).data(utf8.encode(m.identity)).int(m.ensembles.length);
      for (const e of m.ensembles) w.bytes(e.clientProfile).bytes(e.prekeyProfile).bytes(e.prekeyMessage);
      return w.finish();
    }
    case 'no-prekey-ensembles':
      checkTag(m.receiverInstanceTag, 'receiver instance tag');
      return header(w, PrekeyMessageType.noPrekeyEnsembles, m.version)
        .int(m.receiverInstanceTag)
        .data(utf8.encode(m.identity))
        .data(utf8.encode(m.text))
        .finish();
  }
}

function readVersion(r: ByteReader): number {
  const version = r.short('protocol version');
  if (version < PREKEY_PROTOCOL_VERSION) {
    throw new OtrError('unsupported-version', `prekey server protocol version ${version} is not supported`);
  }
  return version;
}

function readString(r: ByteReader, what: string, max = MAX_IDENTITY_BYTES): string {
  const b = r.data(what);
  if (b.length > max) throw malformed(`${what} too long`);
  try {
    return utf8Decoder.decode(b);
  } catch {
    throw malformed(`${what} is not UTF-8`);
  }
}

export function readCompositeIdentity(r: ByteReader): CompositeIdentity {
  const identity = readString(r, 'prekey server identity');
  // otrv4-prekey-server.md §"Public keys and Fingerprints": "the same Pubkey type" as OTRv4's
  // ED448-PUBKEY, i.e. 0x0010 written little-endian (`10 00`)
  readKeyType(r, ED448_PUBKEY_TYPE, 'composite identity ED448-PUBKEY');
  return { identity, publicKey: r.fixed(POINT_BYTES, 'H_s') };
}

function readEcdhProof(r: ByteReader): EcdhProof {
  return { c: r.fixed(64, 'proof C'), v: r.fixed(SCALAR_BYTES, 'proof V') };
}

function readDhProof(r: ByteReader): DhProof {
  return { c: r.fixed(64, 'proof C'), v: r.mpi('proof V') };
}

/** Decodes a message that arrives on its own (a stanza body after base64). */
export function decodeTopLevel(bytes: Uint8Array): TopLevelMessage {
  const r = new ByteReader(bytes);
  const version = readVersion(r);
  const type = r.byte('message type');
  let m: TopLevelMessage;
  switch (type) {
    case PrekeyMessageType.dake1:
      m = {
        type: 'dake1',
        version,
        senderInstanceTag: r.int('sender instance tag'),
        clientProfile: readClientProfileSpan(r, bytes),
        i: r.fixed(POINT_BYTES, 'I'),
      };
      break;
    case PrekeyMessageType.dake2:
      m = {
        type: 'dake2',
        version,
        receiverInstanceTag: r.int('receiver instance tag'),
        compositeIdentity: readCompositeIdentity(r),
        s: r.fixed(POINT_BYTES, 'S'),
        sigma: r.fixed(RING_SIG_BYTES, 'sigma'),
      };
      break;
    case PrekeyMessageType.dake3:
      m = {
        type: 'dake3',
        version,
        senderInstanceTag: r.int('sender instance tag'),
        sigma: r.fixed(RING_SIG_BYTES, 'sigma'),
        message: r.data('attached message'),
      };
      break;
    case PrekeyMessageType.storageStatus:
      m = {
        type: 'storage-status',
        version,
        receiverInstanceTag: r.int('receiver instance tag'),
        storedPrekeyMessages: r.int('stored prekey messages number'),
        mac: r.fixed(MAC_BYTES, 'Status MAC'),
      };
      break;
    case PrekeyMessageType.success:
    case PrekeyMessageType.failure:
      m = {
        type: type === PrekeyMessageType.success ? 'success' : 'failure',
        version,
        receiverInstanceTag: r.int('receiver instance tag'),
        mac: r.fixed(MAC_BYTES, 'MAC'),
      };
      break;
    case PrekeyMessageType.ensembleQuery:
      m = {
        type: 'ensemble-query',
        version,
        senderInstanceTag: r.int('sender instance tag'),
        identity: readString(r, 'participant identity'),
        versions: readString(r, 'versions', 16),
      };
      break;
    case PrekeyMessageType.ensembleRetrieval: {
      const receiverInstanceTag = r.int('receiver instance tag');
      const identity = readString(r, 'participant identity');
      const l = r.int('L');
      if (l === 0) throw malformed('L must be greater than 0');
      if (l > MAX_ENSEMBLES_PER_RETRIEVAL) throw malformed('too many ensembles');
      const ensembles: PrekeyEnsemble[] = [];
      for (let k = 0; k < l; k++) {
        ensembles.push({
          clientProfile: readClientProfileSpan(r, bytes),
          prekeyProfile: readPrekeyProfileSpan(r, bytes),
          prekeyMessage: readPrekeyMessageSpan(r, bytes),
        });
      }
      m = { type: 'ensemble-retrieval', version, receiverInstanceTag, identity, ensembles };
      break;
    }
    case PrekeyMessageType.noPrekeyEnsembles:
      m = {
        type: 'no-prekey-ensembles',
        version,
        receiverInstanceTag: r.int('receiver instance tag'),
        identity: readString(r, 'participant identity'),
        text: readString(r, 'human-readable text', 1024),
      };
      break;
    default:
      throw malformed(`unknown prekey server message type 0x${type.toString(16)}`);
  }
  r.end();
  return m;
}

/** Decodes the message attached to a DAKE-3 (§"DAKE-3 Message": Publication or Storage Request). */
export function decodeAttached(bytes: Uint8Array): AttachedMessage {
  const r = new ByteReader(bytes);
  const version = readVersion(r);
  const type = r.byte('message type');
  let m: AttachedMessage;
  if (type === PrekeyMessageType.storageInfoRequest) {
    m = { type: 'storage-info-request', version, mac: r.fixed(MAC_BYTES, 'Storage Information MAC') };
  } else if (type === PrekeyMessageType.publication) {
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
    m = {
      type: 'publication',
      version,
      prekeyMessages,
      ...(clientProfile ? { clientProfile } : {}),
      ...(prekeyProfile ? { prekeyProfile } : {}),
      ...(prekeyMessageProofs ? { prekeyMessageProofs } : {}),
      ...(prekeyProfileProof ? { prekeyProfileProof } : {}),
      mac,
    };
  } else {
    // §"Key Exchange", server step "Verifies that the message type is either 0x08 or 0x09"
    throw malformed(`message attached to DAKE-3 has type 0x${type.toString(16)}`);
  }
  r.end();
  return m;
}
