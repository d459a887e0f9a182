// The symmetric primitives of OTRv3, behind an injected engine (docs/architecture.md §6: the library is pure;
// the app hands in native implementations as it does the modexp engine, group.ts Dh1536Engine).
// OTRv3 uses SHA-1 and SHA-256 (§"Computing AES keys, MAC keys, and the secure session id"),
// HMAC-SHA1 (§"Data Message" authenticator), HMAC-SHA256 (§"Authenticated Key Exchange": MAC_m1,
// MAC_m2 …) and AES-128 in counter mode (§"Data Message": top half of the counter block from the
// message, bottom half zero; §AKE: a zero counter). The default is pure JavaScript (@noble).
import { ctr } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { pureBase64, type Base64Codec } from '../common/base64';

/** a MAC keyed once and applied to many messages (RFC 2104 §4: the padded key blocks are hashed once) */
export interface KeyedMac {
  mac(data: Uint8Array): Uint8Array;
  /** writes the MAC of `data` into `out` at `at` (no array allocated per message) */
  macInto(data: Uint8Array, out: Uint8Array, at: number): void;
  /** wipes the key material it holds */
  destroy(): void;
}

/**
 * AES-128-CTR keyed once per key pair for data messages (§"Data Message": the initial counter block
 * is the message's 8-byte top half followed by 8 zero bytes). Like libotr's per-pair cipher handle.
 */
export interface KeyedCtr {
  /** en/decrypts `data` under the counter top `ctrTop` (8 bytes) into `out` at `at` */
  crypt(ctrTop: Uint8Array, data: Uint8Array, out: Uint8Array, at: number): void;
  /** wipes the key material (and any key stream) it holds */
  destroy(): void;
}

export interface V3Symmetric {
  sha1(data: Uint8Array): Uint8Array;
  sha256(data: Uint8Array): Uint8Array;
  /** HMAC-SHA1 keyed with `key` (the key is copied: the caller may wipe its own) */
  hmacSha1(key: Uint8Array): KeyedMac;
  /** HMAC-SHA256(key, data), 32 bytes */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** AES-128-CTR of data from the 16-byte initial counter block (encryption and decryption alike) */
  aes128Ctr(key: Uint8Array, counterBlock: Uint8Array, data: Uint8Array): Uint8Array;
  /** AES-128-CTR for the data messages of one key pair (the key is copied: the caller may wipe its own) */
  dataCtr(key: Uint8Array): KeyedCtr;
  /**
   * the base64 of `?OTR:` encoded messages (common/base64.ts; pure by default). It travels with
   * these primitives so that the one engine the core injects also brings the native codec.
   */
  base64?: Base64Codec;
}

/** Pure JavaScript (@noble) primitives: the default. */
export const pureSymmetric: V3Symmetric = {
  sha1: (data) => sha1(data),
  sha256: (data) => sha256(data),
  hmacSha1(key) {
    const keyed = hmac.create(sha1, key);
    const mac = (data: Uint8Array) => keyed.clone().update(data).digest();
    return { mac, macInto: (data, out, at) => out.set(mac(data), at), destroy: () => keyed.destroy() };
  },
  hmacSha256: (key, data) => hmac(sha256, key, data),
  aes128Ctr: (key, counterBlock, data) => ctr(key, counterBlock).encrypt(data),
  dataCtr(key) {
    const k = key.slice();
    return {
      crypt(ctrTop, data, out, at) {
        const block = new Uint8Array(16);
        block.set(ctrTop);
        out.set(ctr(k, block).encrypt(data), at);
      },
      destroy: () => k.fill(0),
    };
  },
  base64: pureBase64,
};
