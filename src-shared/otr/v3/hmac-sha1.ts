// HMAC-SHA1 (RFC 2104) over SHA-1 (RFC 3174 / FIPS 180-4 §6.1), written for OTRv3 data messages
// (§"Data Message": the authenticator is HMAC-SHA1 under the pair's MAC key). The key's two padded
// blocks are compressed once (RFC 2104 §4: the midstates of K⊕ipad and K⊕opad are kept), so a MAC
// costs the compressions of the data only, plus one for the outer hash. It works on Int32Array
// words and one shared message schedule, so it allocates nothing but the 20-byte result.
// Why not node:crypto: it has no one-shot HMAC, and two one-shot hashes per MAC were ~4.5 µs of a
// ~15 µs message pair, mostly the cost of the calls (docs/performance.md, OTRv3 round four).

/** the message schedule W[0..79] (FIPS 180-4 §6.1.2 step 1), shared: JavaScript runs one MAC at a time */
const W = new Int32Array(80);
/** the working hash value of the MAC in progress */
const H = new Int32Array(5);
/** the last one or two blocks of the inner hash (data tail, 0x80, zeros, bit length) */
const TAIL = new Uint8Array(128);

const IV = [0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0];

/** W[0..15] already filled: expands the schedule and compresses it into H (FIPS 180-4 §6.1.2) */
function compress(): void {
  const w = W;
  for (let t = 16; t < 80; t++) {
    const x = w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!;
    w[t] = (x << 1) | (x >>> 31);
  }
  const h = H;
  let a = h[0]!;
  let b = h[1]!;
  let c = h[2]!;
  let d = h[3]!;
  let e = h[4]!;
  let t = 0;
  for (; t < 20; t++) {
    const tmp = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + w[t]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = tmp;
  }
  for (; t < 40; t++) {
    const tmp = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + w[t]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = tmp;
  }
  for (; t < 60; t++) {
    const tmp = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + 0x8f1bbcdc + w[t]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = tmp;
  }
  for (; t < 80; t++) {
    const tmp = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0xca62c1d6 + w[t]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = tmp;
  }
  h[0] = (h[0]! + a) | 0;
  h[1] = (h[1]! + b) | 0;
  h[2] = (h[2]! + c) | 0;
  h[3] = (h[3]! + d) | 0;
  h[4] = (h[4]! + e) | 0;
}

/** big-endian words of the 64-byte block of `m` at `o` into W[0..15] */
function load(m: Uint8Array, o: number): void {
  for (let t = 0; t < 16; t++, o += 4) W[t] = (m[o]! << 24) | (m[o + 1]! << 16) | (m[o + 2]! << 8) | m[o + 3]!;
}

/**
 * H := SHA-1 compression of `data` from byte `from` (a multiple of 64) continued from H, where
 * `prefix` bytes (a whole number of blocks) were hashed before `data`, and finished with the
 * padding of FIPS 180-4 §5.1.1.
 */
function finish(data: Uint8Array, from: number, prefix: number): void {
  const n = data.length;
  const whole = n & ~63;
  for (let o = from; o < whole; o += 64) {
    load(data, o);
    compress();
  }
  const rest = n - whole;
  const tail = TAIL;
  tail.fill(0);
  for (let i = 0; i < rest; i++) tail[i] = data[whole + i]!;
  tail[rest] = 0x80;
  const end = rest < 56 ? 64 : 128;
  // the bit length as a 64-bit big-endian number; lengths here stay far below 2^53 bits
  const bits = (prefix + n) * 8;
  const hi = Math.floor(bits / 0x1_0000_0000);
  const lo = bits >>> 0;
  tail[end - 8] = hi >>> 24;
  tail[end - 7] = hi >>> 16;
  tail[end - 6] = hi >>> 8;
  tail[end - 5] = hi;
  tail[end - 4] = lo >>> 24;
  tail[end - 3] = lo >>> 16;
  tail[end - 2] = lo >>> 8;
  tail[end - 1] = lo;
  load(tail, 0);
  compress();
  if (end === 128) {
    load(tail, 64);
    compress();
  }
  tail.fill(0, 0, rest); // the tail held data (a MAC'd message is public, but leave nothing behind)
}

function digestOfH(out: Uint8Array, at: number): void {
  for (let i = 0; i < 5; i++) {
    const v = H[i]!;
    out[at + 4 * i] = v >>> 24;
    out[at + 4 * i + 1] = v >>> 16;
    out[at + 4 * i + 2] = v >>> 8;
    out[at + 4 * i + 3] = v;
  }
}

/** SHA-1 of `data` (RFC 3174), 20 bytes */
export function sha1(data: Uint8Array): Uint8Array {
  H.set(IV);
  finish(data, 0, 0);
  const out = new Uint8Array(20);
  digestOfH(out, 0);
  H.fill(0);
  return out;
}

/** leading blocks of the data whose midstates are kept (see HmacSha1) */
const CACHED_BLOCKS = 3;

/**
 * HMAC-SHA1 keyed once (RFC 2104); the key is copied into the midstates, the caller may wipe its own.
 *
 * It also keeps the inner hash's midstates after each of the first CACHED_BLOCKS blocks of the
 * last data, and those blocks: a MAC whose data starts with the same blocks continues from there.
 * The data messages of one key pair repeat their first ~216 bytes (§"Data Message": version,
 * type, instance tags, flags, keyids, the sender's next D-H key; the counter comes after), so the
 * MAC of a data message compresses 3 blocks fewer (of 7 for 100 bytes of text). Three blocks: a
 * fourth would hold the counter, which changes with every message. The kept blocks
 * are message bytes sent in the clear; the midstates derive from the key and are wiped with it.
 */
export class HmacSha1 {
  /** midstates after K⊕ipad (0..4) and K⊕opad (5..9): key material, wiped by destroy() */
  private readonly mid = new Int32Array(10);
  /** the inner hash's midstate after K⊕ipad and data block j (5 words at 5·j), for j < `cached` */
  private readonly prefixMid = new Int32Array(5 * CACHED_BLOCKS);
  /** the data blocks those midstates are of */
  private readonly prefix = new Uint8Array(64 * CACHED_BLOCKS);
  private cached = 0;

  constructor(key: Uint8Array) {
    const block = new Uint8Array(64);
    // RFC 2104 §2: a key longer than the block is replaced by its hash (OTRv3 MAC keys are 20 bytes)
    block.set(key.length > 64 ? sha1(key) : key);
    for (let i = 0; i < 64; i++) block[i] ^= 0x36;
    H.set(IV);
    load(block, 0);
    compress();
    this.mid.set(H, 0);
    for (let i = 0; i < 64; i++) block[i] ^= 0x36 ^ 0x5c;
    H.set(IV);
    load(block, 0);
    compress();
    this.mid.set(H, 5);
    block.fill(0);
    H.fill(0);
    W.fill(0);
  }

  /** writes HMAC-SHA1(key, data) into `out` at `at` (20 bytes) */
  macInto(data: Uint8Array, out: Uint8Array, at: number): void {
    const mid = this.mid;
    const h = H;
    const w = W;
    const pre = this.prefix;
    const preMid = this.prefixMid;
    // how many leading blocks of `data` are the kept ones
    const usable = Math.min(this.cached, data.length >>> 6);
    const end = usable * 64;
    let same = 0;
    while (same < end && data[same] === pre[same]) same++;
    const blocks = same >>> 6;
    if (blocks === 0) for (let i = 0; i < 5; i++) h[i] = mid[i]!;
    else for (let i = 0; i < 5; i++) h[i] = preMid[5 * (blocks - 1) + i]!;
    // the blocks after those, up to CACHED_BLOCKS, are compressed here and kept for the next MAC
    const keep = Math.min(CACHED_BLOCKS, data.length >>> 6);
    for (let j = blocks; j < keep; j++) {
      load(data, 64 * j);
      compress();
      for (let i = 0; i < 5; i++) preMid[5 * j + i] = h[i]!;
      for (let i = 64 * j, e = i + 64; i < e; i++) pre[i] = data[i]!;
    }
    this.cached = keep > blocks ? keep : Math.max(this.cached, blocks);
    finish(data, 64 * Math.max(blocks, keep), 64);
    // the outer hash: one block, the inner digest after K⊕opad's midstate, then 0x80 and 84·8 bits
    for (let i = 0; i < 5; i++) {
      w[i] = h[i]!;
      h[i] = mid[5 + i]!;
    }
    w[5] = 0x80000000 | 0;
    for (let i = 6; i < 15; i++) w[i] = 0;
    w[15] = (64 + 20) * 8;
    compress();
    digestOfH(out, at);
  }

  mac(data: Uint8Array): Uint8Array {
    const out = new Uint8Array(20);
    this.macInto(data, out, 0);
    return out;
  }

  /** wipes the midstates (key material); a MAC made afterwards no longer depends on the key */
  destroy(): void {
    this.mid.fill(0);
    this.prefixMid.fill(0);
    this.prefix.fill(0);
    this.cached = 0;
    // the shared scratch holds the last MAC's schedule (derived from its inner hash) and state
    W.fill(0);
    H.fill(0);
  }
}
