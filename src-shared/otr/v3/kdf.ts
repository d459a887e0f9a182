// OTRv3 §"Computing AES keys, MAC keys, and the secure session id" and §"Extra symmetric key":
// secbytes = MPI(s) (minimal), h2(b) = SHA-256(b ‖ secbytes), h1(b) = SHA-1(b ‖ secbytes).
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ByteWriter } from '../common/bytes';
import { mpi } from './mpi';

export function secbytes(s: bigint): Uint8Array {
  return mpi(s);
}

export function h2(b: number, sec: Uint8Array): Uint8Array {
  return sha256(new ByteWriter().byte(b).bytes(sec).finish());
}

export function h1(b: number, sec: Uint8Array): Uint8Array {
  return sha1(new ByteWriter().byte(b).bytes(sec).finish());
}

export interface AkeKeys {
  ssid: Uint8Array;
  c: Uint8Array;
  cPrime: Uint8Array;
  m1: Uint8Array;
  m2: Uint8Array;
  m1Prime: Uint8Array;
  m2Prime: Uint8Array;
}

/** the seven AKE values from the shared secret s */
export function deriveAkeKeys(s: bigint): AkeKeys {
  const sec = secbytes(s);
  const h01 = h2(0x01, sec);
  return {
    ssid: h2(0x00, sec).slice(0, 8),
    c: h01.slice(0, 16),
    cPrime: h01.slice(16, 32),
    m1: h2(0x02, sec),
    m2: h2(0x03, sec),
    m1Prime: h2(0x04, sec),
    m2Prime: h2(0x05, sec),
  };
}

export interface DataKeys {
  sendAes: Uint8Array;
  sendMac: Uint8Array;
  recvAes: Uint8Array;
  recvMac: Uint8Array;
  /** h2(0xFF): the extra symmetric key for messages protected by these keys */
  extraKey: Uint8Array;
}

/**
 * Session keys of one (our key, their key) pair. The "high" end (numerically larger public key)
 * uses sendbyte 0x01 / recvbyte 0x02, the low end the reverse.
 */
export function deriveDataKeys(ourPublic: bigint, theirPublic: bigint, s: bigint): DataKeys {
  const sec = secbytes(s);
  const high = ourPublic > theirPublic;
  const sendAes = h1(high ? 0x01 : 0x02, sec).slice(0, 16);
  const recvAes = h1(high ? 0x02 : 0x01, sec).slice(0, 16);
  return { sendAes, sendMac: sha1(sendAes), recvAes, recvMac: sha1(recvAes), extraKey: h2(0xff, sec) };
}
