// DAKE-1, DAKE-2 and DAKE-3 of the OTRv4 Prekey Server (otrv4-prekey-server.md §"Key Exchange",
// §"Prekey Server Composite Identity"): their types and layouts. Only structure is checked here;
// points and ring signatures are verified in dake.ts / the protocol layer.
import { type ByteReader, ByteWriter } from '../otr/common/bytes';
import { encodeKeyType, readKeyType } from '../otr/v4/key-type';
import { ED448_PUBKEY_TYPE, POINT_BYTES, PrekeyMessageType, RING_SIG_BYTES, checkLen, checkTag, header, readString, utf8 } from './message-codec';
import { readClientProfileSpan } from './spans';

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

export type DakeMessage = Dake1Message | Dake2Message | Dake3Message;

export function encodeCompositeIdentity(id: CompositeIdentity): Uint8Array {
  checkLen(id.publicKey, POINT_BYTES, 'H_s');
  return new ByteWriter().data(utf8.encode(id.identity)).bytes(encodeKeyType(ED448_PUBKEY_TYPE)).bytes(id.publicKey).finish();
}

export function readCompositeIdentity(r: ByteReader): CompositeIdentity {
  const identity = readString(r, 'prekey server identity');
  // otrv4-prekey-server.md §"Public keys and Fingerprints": "the same Pubkey type" as OTRv4's
  // ED448-PUBKEY, i.e. 0x0010 written little-endian (`10 00`)
  readKeyType(r, ED448_PUBKEY_TYPE, 'composite identity ED448-PUBKEY');
  return { identity, publicKey: r.fixed(POINT_BYTES, 'H_s') };
}

export function encodeDakeMessage(m: DakeMessage): Uint8Array {
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
  }
}

/** the body of a DAKE message after its header (undefined: not a DAKE type; nothing read); `bytes` is the whole message, for the spans */
export function readDakeMessage(r: ByteReader, bytes: Uint8Array, version: number, type: number): DakeMessage | undefined {
  switch (type) {
    case PrekeyMessageType.dake1:
      return {
        type: 'dake1',
        version,
        senderInstanceTag: r.int('sender instance tag'),
        clientProfile: readClientProfileSpan(r, bytes),
        i: r.fixed(POINT_BYTES, 'I'),
      };
    case PrekeyMessageType.dake2:
      return {
        type: 'dake2',
        version,
        receiverInstanceTag: r.int('receiver instance tag'),
        compositeIdentity: readCompositeIdentity(r),
        s: r.fixed(POINT_BYTES, 'S'),
        sigma: r.fixed(RING_SIG_BYTES, 'sigma'),
      };
    case PrekeyMessageType.dake3:
      return {
        type: 'dake3',
        version,
        senderInstanceTag: r.int('sender instance tag'),
        sigma: r.fixed(RING_SIG_BYTES, 'sigma'),
        message: r.data('attached message'),
      };
    default:
      return undefined;
  }
}
