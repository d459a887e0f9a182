// HMAC-SHA1 for data messages (OTRv3 §"Data Message": "Authenticator (MAC) … the SHA1-HMAC, using
// an appropriate MAC key"), keyed once per key pair. RFC 2104 §4 ("Implementation note"): the
// hash states after the key ⊕ ipad and key ⊕ opad blocks can be computed once per key and reused,
// which saves two compression-function calls and every allocation of a fresh HMAC per message —
// the profile of one-way data messages showed HMAC setup as their largest single cost.
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';

export class KeyedHmacSha1 {
  private readonly keyed: ReturnType<typeof hmac.create>;

  constructor(key: Uint8Array) {
    this.keyed = hmac.create(sha1, key);
  }

  /** HMAC-SHA1(key, data), 20 bytes */
  mac(data: Uint8Array): Uint8Array {
    return this.keyed.clone().update(data).digest();
  }

  /** wipes the precomputed states (they are as secret as the key) */
  destroy(): void {
    this.keyed.destroy();
  }
}
