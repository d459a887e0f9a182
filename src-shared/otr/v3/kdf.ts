// OTRv3 §"Computing AES keys, MAC keys, and the secure session id" and §"Extra symmetric key":
// secbytes = MPI(s) (minimal), h2(b) = SHA-256(b ‖ secbytes), h1(b) = SHA-1(b ‖ secbytes).
import { ByteWriter } from '../common/bytes';
import { mpi } from './mpi';
import { pureSymmetric, type V3Symmetric } from './symmetric';

export function secbytes(s: bigint): Uint8Array {
  return mpi(s);
}

export function h2(b: number, sec: Uint8Array, sym: V3Symmetric = pureSymmetric): Uint8Array {
  return sym.sha256(new ByteWriter().byte(b).bytes(sec).finish());
}

export function h1(b: number, sec: Uint8Array, sym: V3Symmetric = pureSymmetric): Uint8Array {
  return sym.sha1(new ByteWriter().byte(b).bytes(sec).finish());
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
export function deriveAkeKeys(s: bigint, sym: V3Symmetric = pureSymmetric): AkeKeys {
  const sec = secbytes(s);
  const h01 = h2(0x01, sec, sym);
  return {
    ssid: h2(0x00, sec, sym).slice(0, 8),
    c: h01.slice(0, 16),
    cPrime: h01.slice(16, 32),
    m1: h2(0x02, sec, sym),
    m2: h2(0x03, sec, sym),
    m1Prime: h2(0x04, sec, sym),
    m2Prime: h2(0x05, sec, sym),
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
export function deriveDataKeys(ourPublic: bigint, theirPublic: bigint, s: bigint, sym: V3Symmetric = pureSymmetric): DataKeys {
  const sec = secbytes(s);
  const high = ourPublic > theirPublic;
  const sendAes = h1(high ? 0x01 : 0x02, sec, sym).slice(0, 16);
  const recvAes = h1(high ? 0x02 : 0x01, sec, sym).slice(0, 16);
  return { sendAes, sendMac: sym.sha1(sendAes), recvAes, recvMac: sym.sha1(recvAes), extraKey: h2(0xff, sec, sym) };
}
