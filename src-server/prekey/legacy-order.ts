// Stored profiles from before the key-type byte order was corrected (otrv4.md §"Public keys,
// Shared Prekeys, Forging keys and Fingerprints": the type SHORT of ED448-PUBKEY, -FORGING-KEY
// and -SHARED-PREKEY is little-endian; we used to store `00 10` / `00 12` / `00 11`). Their
// EdDSA signatures cover those bytes, so the server cannot rewrite them: it drops them at start
// (docs/prekey-server.md "Upgrading: key-type byte order"). Each client publishes its profiles
// again at its next login; its prekey messages (no key types inside) stay usable.
import { legacyClientProfileToSpecOrder, legacyPrekeyProfileToSpecOrder } from '../../src-shared/otr/v4/key-type';

/** true when the stored bytes carry a big-endian key type, or no longer parse at all */
export function isLegacyClientProfile(encoded: Uint8Array): boolean {
  try {
    return legacyClientProfileToSpecOrder(encoded) !== undefined;
  } catch {
    return true;
  }
}

export function isLegacyPrekeyProfile(encoded: Uint8Array): boolean {
  try {
    return legacyPrekeyProfileToSpecOrder(encoded) !== undefined;
  } catch {
    return true;
  }
}
