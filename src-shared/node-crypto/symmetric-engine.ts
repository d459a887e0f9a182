// Native (node:crypto, OpenSSL) SHA-1, SHA-256, HMAC and AES-128-CTR for the OTRv3 library, which
// takes them injected (src-shared/otr/v3/symmetric.ts; docs/architecture.md §6) exactly as it takes the
// modexp engine from dh-engines.ts. Same results as the pure default (the v3 known-answer and
// libotr interop tests run with both); the profile of one-way data messages put JavaScript SHA-1
// (inside HMAC-SHA1) and AES-CTR at about a third of their CPU time.
import { createCipheriv, createHmac, hash } from 'node:crypto';
import type { KeyedMac, V3Symmetric } from '../otr/v3/symmetric';

/** a Buffer's bytes as a plain Uint8Array (no copy), so `.slice()` downstream copies as the pure engine's results do */
const plain = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

export function nativeV3Symmetric(): V3Symmetric {
  return {
    sha1: (data) => plain(hash('sha1', data, 'buffer')),
    sha256: (data) => plain(hash('sha256', data, 'buffer')),
    hmacSha1(key): KeyedMac {
      // RFC 2104 §2 by two one-shot hashes over the padded keys made once: H(K⊕opad ‖ H(K⊕ipad ‖
      // data)). node:crypto's one-shot hash() makes no Hash object, which createHmac() does per
      // message (measured: ~4.0 µs against ~5.0 µs CPU per MAC of a data message)
      if (key.length > 64) throw new RangeError('HMAC-SHA1 key longer than a block'); // OTRv3 MAC keys are 20 bytes
      const ipad = Buffer.alloc(64, 0x36);
      const opad = Buffer.alloc(64, 0x5c);
      for (let i = 0; i < key.length; i++) {
        ipad[i]! ^= key[i]!;
        opad[i]! ^= key[i]!;
      }
      return {
        mac: (data) => plain(hash('sha1', Buffer.concat([opad, hash('sha1', Buffer.concat([ipad, data]), 'buffer')]), 'buffer')),
        destroy: () => {
          ipad.fill(0);
          opad.fill(0);
        },
      };
    },
    hmacSha256: (key, data) => plain(createHmac('sha256', key).update(data).digest()),
    aes128Ctr(key, counterBlock, data) {
      const c = createCipheriv('aes-128-ctr', key, counterBlock);
      const out = c.update(data);
      c.final(); // CTR has no padding: final() adds nothing
      return plain(out);
    },
  };
}
