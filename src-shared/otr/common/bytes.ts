// Big-endian wire encodings shared by OTRv3 and OTRv4 (OTRv3 §"Data types", OTRv4 §"Data Types"):
// BYTE, SHORT, INT, DATA, MPI (minimal length), fixed-size fields. Little-endian EC types of v4
// (POINT, SCALAR) are fixed-size byte fields here and are interpreted in v4/.
// The reader throws only OtrError('malformed').
import { malformed } from './errors';

export class ByteWriter {
  private chunks: Uint8Array[] = [];
  private length = 0;

  bytes(b: Uint8Array): this {
    this.chunks.push(b);
    this.length += b.length;
    return this;
  }
  byte(v: number): this {
    return this.bytes(Uint8Array.of(v & 0xff));
  }
  short(v: number): this {
    return this.bytes(Uint8Array.of((v >>> 8) & 0xff, v & 0xff));
  }
  int(v: number): this {
    return this.bytes(Uint8Array.of((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff));
  }
  /** 8-byte big-endian (two's complement for negatives), e.g. v4 profile expiry */
  int64(v: bigint): this {
    return this.bytes(bigintToBytes(BigInt.asUintN(64, v), 8));
  }
  /** DATA: INT length followed by the bytes */
  data(b: Uint8Array): this {
    return this.int(b.length).bytes(b);
  }
  /** MPI: INT length followed by the minimal big-endian encoding (zero is length 0) */
  mpi(v: bigint): this {
    if (v < 0n) throw malformed('negative MPI');
    return this.data(bigintToMinimalBytes(v));
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
}

export class ByteReader {
  private offset = 0;
  constructor(private readonly buf: Uint8Array) {}

  get remaining(): number {
    return this.buf.length - this.offset;
  }
  get position(): number {
    return this.offset;
  }
  fixed(n: number, what = 'field'): Uint8Array {
    if (!Number.isInteger(n) || n < 0 || n > this.remaining) throw malformed(`truncated ${what}`);
    const out = this.buf.slice(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  byte(what = 'BYTE'): number {
    return this.fixed(1, what)[0]!;
  }
  short(what = 'SHORT'): number {
    const b = this.fixed(2, what);
    return (b[0]! << 8) | b[1]!;
  }
  int(what = 'INT'): number {
    const b = this.fixed(4, what);
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  }
  int64(what = 'INT64'): bigint {
    return BigInt.asIntN(64, bytesToBigint(this.fixed(8, what)));
  }
  data(what = 'DATA'): Uint8Array {
    const len = this.int(`${what} length`);
    return this.fixed(len, what);
  }
  /** MPI; rejects non-minimal encodings (leading zero byte) as OTRv4 §"Encoding and Decoding" asks */
  mpi(what = 'MPI', { allowNonMinimal = false } = {}): bigint {
    const b = this.data(what);
    if (!allowNonMinimal && b.length > 0 && b[0] === 0) throw malformed(`non-minimal ${what}`);
    return bytesToBigint(b);
  }
  rest(): Uint8Array {
    return this.fixed(this.remaining);
  }
  /** every structure must consume its input exactly */
  end(what = 'message'): void {
    if (this.remaining !== 0) throw malformed(`trailing bytes after ${what}`);
  }
}

// Through hex strings: one BigInt parse/format instead of a BigInt shift per byte (the 384-byte DH
// values and 57-byte scalars of OTRv4 are converted several times per DAKE).
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function bytesToBigint(b: Uint8Array): bigint {
  if (b.length === 0) return 0n;
  let h = '';
  for (const x of b) h += HEX[x]!;
  return BigInt('0x' + h);
}

/** fixed-length big-endian; throws if the value does not fit */
export function bigintToBytes(v: bigint, length: number): Uint8Array {
  if (v < 0n) throw malformed('negative integer');
  const h = v.toString(16);
  if (h.length > 2 * length && v !== 0n) throw malformed('integer too large for field');
  const out = new Uint8Array(length);
  const padded = h.length % 2 ? '0' + h : h;
  const start = length - padded.length / 2;
  for (let i = 0; i < padded.length / 2; i++) out[start + i] = parseInt(padded.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bigintToMinimalBytes(v: bigint): Uint8Array {
  if (v === 0n) return new Uint8Array(0);
  const hex = v.toString(16);
  return bigintToBytes(v, Math.ceil(hex.length / 2));
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const w = new ByteWriter();
  for (const p of parts) w.bytes(p);
  return w.finish();
}

/** constant-time comparison for MACs and authenticators */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** best-effort erasure of key material that is no longer needed */
export function wipe(...bufs: (Uint8Array | undefined)[]): void {
  for (const b of bufs) b?.fill(0);
}
