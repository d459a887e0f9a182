// Fast BigInt ⇄ big-endian byte conversions for the 1536-bit values on the data-message path
// (OTRv3 §"Data types": MPI = INT length ‖ minimal big-endian bytes). The generic helpers of
// common/bytes.ts work byte by byte on BigInt, which costs ~0.2 ms per 192-byte value; going
// through hex is ~50x faster and matters when every data message carries a D-H public key.
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { ByteReader, ByteWriter } from '../common/bytes';
import { malformed } from '../common/errors';

export function bytesToBigintFast(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + bytesToHex(b));
}

/** minimal big-endian bytes (zero → empty) */
export function bigintToMinimalBytesFast(v: bigint): Uint8Array {
  if (v < 0n) throw malformed('negative MPI');
  if (v === 0n) return new Uint8Array(0);
  let hex = v.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  return hexToBytes(hex);
}

export function writeMpi(w: ByteWriter, v: bigint): ByteWriter {
  return w.data(bigintToMinimalBytesFast(v));
}

/** MPI with the minimal-encoding rule of §"Data types" */
export function readMpi(r: ByteReader, what: string): bigint {
  const b = r.data(what);
  if (b.length > 0 && b[0] === 0) throw malformed(`non-minimal ${what}`);
  return bytesToBigintFast(b);
}

/** MPI(v) as bytes */
export function mpi(v: bigint): Uint8Array {
  return writeMpi(new ByteWriter(), v).finish();
}
