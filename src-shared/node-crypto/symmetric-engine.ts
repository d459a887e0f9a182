// Native (node:crypto, OpenSSL) SHA-1, SHA-256, HMAC-SHA256 and AES-128-CTR for the OTRv3 library,
// which takes them injected (src-shared/otr/v3/symmetric.ts; docs/architecture.md §6) exactly as it
// takes the modexp engine from dh-engines.ts — the fastest primitives in Node, which for the
// data messages' HMAC-SHA1 is a JavaScript one (v3/hmac-sha1.ts, see below). Same results as the
// pure default (the v3 known-answer and libotr interop tests run with both).
import { createCipheriv, createHmac, hash, type Cipher } from 'node:crypto';
import { HmacSha1 } from '../otr/v3/hmac-sha1';
import type { KeyedCtr, V3Symmetric } from '../otr/v3/symmetric';
import { nativeBase64 } from './base64-codec';

/** a Buffer's bytes as a plain Uint8Array (no copy), so `.slice()` downstream copies as the pure engine's results do */
const plain = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

function aes128Ctr(key: Uint8Array, counterBlock: Uint8Array, data: Uint8Array): Buffer {
  const c = createCipheriv('aes-128-ctr', key, counterBlock);
  const out = c.update(data);
  c.final(); // CTR has no padding: final() adds nothing
  return out;
}

/** data messages of this many successive counters get their key stream from one AES call */
const BATCH = 16;
/** key stream per counter in a batch, in 16-byte blocks, at least (128 bytes: most chat messages) */
const MIN_BLOCKS = 8;
/** longer messages get a cipher of their own (their key stream is not made ahead) */
const MAX_BLOCKS = 64;

/**
 * AES-128-CTR of one key pair's data messages. node:crypto cannot set the counter of an existing
 * cipher (libotr's gcry_cipher_setctr), and a Cipher object per message cost ~2.5 µs of CPU, more
 * than the AES itself. So one AES-128-ECB context per key pair encrypts, in one call, the counter
 * blocks ctr‖0 … ctr‖(k−1) of BATCH successive counters (§"Data Message": the message's counter is
 * the top half of the initial block, the bottom half counts blocks from 0): the key stream of the
 * counters a sender uses next (it counts up by one) and a receiver expects next (the first batch
 * of a pair covers 2 counters: after a D-H rotation a pair may carry a single message). A counter outside
 * the batch, or a longer message, makes a new batch from that counter. Key stream already used is
 * wiped at once and never used again; destroy() wipes the rest.
 */
function dataCtr(aesKey: Uint8Array): KeyedCtr {
  const key = aesKey.slice(); // for messages longer than a batch covers; wiped by destroy()
  let ecb: Cipher | undefined; // made at the first message: a pair may never be used in one direction
  let destroyed = false;
  // a plain Uint8Array (not the Buffer update() gives): the XOR loop then sees one array type
  let stream: Uint8Array = new Uint8Array(0);
  let hi = -1; // the batch covers counters hi‖(lo0 + next) … hi‖(lo0 + count − 1)
  let lo0 = 0;
  let next = 0;
  let count = 0;
  let blocks = 0;

  /** the counter blocks of the last batch (no secret): reused, only the counters are rewritten */
  let input = Buffer.alloc(0);
  let refills = 0;

  function refill(h: number, l: number, minBlocks: number): void {
    stream.fill(0);
    ecb ??= createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
    const newBlocks = Math.max(MIN_BLOCKS, minBlocks);
    // the first batch of a key pair is small: after a D-H rotation a pair may carry one message
    const newCount = Math.min(refills++ === 0 ? 2 : BATCH, 0x1_0000_0000 - l); // the low word does not wrap inside a batch
    if (newBlocks !== blocks || newCount !== count) {
      blocks = newBlocks;
      count = newCount;
      input = Buffer.alloc(count * blocks * 16);
      for (let o = 0, b = 0; o < input.length; o += 16, b = (b + 1) % blocks) input.writeUInt32BE(b, o + 12);
    }
    for (let m = 0, o = 0; m < count; m++) {
      const lo = l + m;
      for (let b = 0; b < blocks; b++, o += 16) {
        input[o] = h >>> 24;
        input[o + 1] = h >>> 16;
        input[o + 2] = h >>> 8;
        input[o + 3] = h;
        input[o + 4] = lo >>> 24;
        input[o + 5] = lo >>> 16;
        input[o + 6] = lo >>> 8;
        input[o + 7] = lo;
      }
    }
    stream = plain(ecb.update(input));
    hi = h;
    lo0 = l;
    next = 0;
  }

  return {
    crypt(ctrTop, data, out, at) {
      if (destroyed) throw new Error('keyed AES-CTR used after destroy()');
      const need = (data.length + 15) >>> 4;
      if (need > MAX_BLOCKS) {
        const block = new Uint8Array(16);
        block.set(ctrTop);
        out.set(aes128Ctr(key, block, data), at);
        return;
      }
      const h = ((ctrTop[0]! << 24) | (ctrTop[1]! << 16) | (ctrTop[2]! << 8) | ctrTop[3]!) >>> 0;
      const l = ((ctrTop[4]! << 24) | (ctrTop[5]! << 16) | (ctrTop[6]! << 8) | ctrTop[7]!) >>> 0;
      let i = l - lo0;
      if (h !== hi || i < next || i >= count || need > blocks) {
        refill(h, l, need);
        i = 0;
      }
      const off = i * blocks * 16;
      const ks = stream; // a local: the loop then need not reload the closure's variable
      for (let j = 0, n = data.length; j < n; j++) out[at + j] = data[j]! ^ ks[off + j]!;
      stream.fill(0, next * blocks * 16, off + blocks * 16); // this counter's key stream, and any skipped, is spent
      next = i + 1;
    },
    destroy() {
      destroyed = true;
      stream.fill(0);
      key.fill(0);
      count = 0;
      try {
        ecb?.final(); // releases OpenSSL's context (and its key schedule)
      } catch {
        // already final
      }
      ecb = undefined;
    },
  };
}

export function nativeV3Symmetric(): V3Symmetric {
  return {
    sha1: (data) => plain(hash('sha1', data, 'buffer')),
    sha256: (data) => plain(hash('sha256', data, 'buffer')),
    // JavaScript, not node:crypto: Node has no one-shot HMAC, and the two one-shot hashes a MAC took
    // cost more in calls and result Buffers than the hashing (hmac-sha1.ts; docs/performance.md)
    hmacSha1: (key) => new HmacSha1(key),
    hmacSha256: (key, data) => plain(createHmac('sha256', key).update(data).digest()),
    aes128Ctr: (key, counterBlock, data) => plain(aes128Ctr(key, counterBlock, data)),
    dataCtr,
    base64: nativeBase64,
  };
}
