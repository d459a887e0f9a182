// Key-type SHORTs of ED448-PUBKEY, ED448-SHARED-PREKEY and ED448-FORGING-KEY (otrv4.md §"Public
// keys, Shared Prekeys, Forging keys and Fingerprints"): "Pubkey type — 2 byte unsigned value,
// little-endian — Ed448 public keys have type 0x0010" (0x0011 shared prekeys, 0x0012 forging
// keys), and §"Encoding and Decoding": ED448-PUBKEY and ED448-SHARED-PREKEY "are encoded as
// little-endian". So the bytes on the wire are `10 00`, `11 00`, `12 00` — what otr4j writes and
// requires. Every other SHORT of OTRv4 (field types, protocol version) stays big-endian.
//
// Before this was corrected we wrote `00 10` / `00 11` / `00 12` (docs/otrv4-decisions.md D1).
// Such material is refused on the wire with its own message, and the helpers at the end find it
// in stored profiles so that they can be re-signed (our own) or dropped (the prekey server).
import { type ByteReader } from '../common/bytes';
import { malformed, OtrError } from '../common/errors';

export const PUBKEY_TYPE_ED448 = 0x0010;
export const PUBKEY_TYPE_SHARED_PREKEY = 0x0011;
export const PUBKEY_TYPE_FORGING = 0x0012;

/** the two little-endian bytes of a key type */
export function encodeKeyType(type: number): Uint8Array {
  return Uint8Array.of(type & 0xff, (type >>> 8) & 0xff);
}

/** 'malformed', for a key type written in the old big-endian order (`00 10` …) */
export class LegacyKeyTypeOrderError extends OtrError {
  constructor(what: string) {
    super('malformed', `${what} has its key type in big-endian byte order (the spec's is little-endian)`);
  }
}

/**
 * Reads the 2-byte little-endian key type and requires `type`. The big-endian form of the same
 * type gets its own message, so a peer (or stored value) of the older encoding is recognisable.
 */
export function readKeyType(r: ByteReader, type: number, what: string): void {
  const b = r.fixed(2, `${what} type`);
  if (b[0] === (type & 0xff) && b[1] === type >>> 8) return;
  if (b[0] === type >>> 8 && b[1] === (type & 0xff)) throw new LegacyKeyTypeOrderError(what);
  throw malformed(`${what} has the wrong key type`);
}

// ---- stored material in the old byte order ----

const swapAt = (out: Uint8Array, at: number, type: number): boolean => {
  if (out[at] !== type >>> 8 || out[at + 1] !== (type & 0xff)) return false;
  out[at] = type & 0xff;
  out[at + 1] = type >>> 8;
  return true;
};

const u32 = (b: Uint8Array, at: number): number => {
  if (at + 4 > b.length) throw malformed('truncated client profile');
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
};

/**
 * A CLIENT-PROF whose ED448-PUBKEY or ED448-FORGING-KEY carries the big-endian key type: returns
 * a copy with those bytes in the spec's order (its EdDSA signature no longer matches: the caller
 * re-signs, or drops it), or undefined when the profile has no big-endian key type. Walks the
 * field layout only; throws OtrError('malformed') when that layout is broken.
 */
export function legacyClientProfileToSpecOrder(encoded: Uint8Array): Uint8Array | undefined {
  const out = Uint8Array.from(encoded);
  const n = u32(out, 0);
  if (n > 7) throw malformed('too many client profile fields');
  let at = 4;
  let swapped = false;
  let qLen = 20;
  for (let i = 0; i < n; i++) {
    if (at + 2 > out.length) throw malformed('truncated client profile');
    const type = (out[at]! << 8) | out[at + 1]!;
    at += 2;
    switch (type) {
      case 0x0001:
        at += 4;
        break;
      case 0x0002:
        swapped = swapAt(out, at, PUBKEY_TYPE_ED448) || swapped;
        at += 2 + 57;
        break;
      case 0x0003:
        swapped = swapAt(out, at, PUBKEY_TYPE_FORGING) || swapped;
        at += 2 + 57;
        break;
      case 0x0004:
        at += 4 + u32(out, at);
        break;
      case 0x0005:
        at += 8;
        break;
      case 0x0006: {
        // PUBKEY: SHORT 0 ‖ MPI p ‖ MPI q ‖ MPI g ‖ MPI y; len(q) sizes the transitional signature
        at += 2;
        for (let k = 0; k < 4; k++) {
          const len = u32(out, at);
          if (k === 1) qLen = len;
          at += 4 + len;
        }
        break;
      }
      case 0x0007:
        at += 2 * qLen;
        break;
      default:
        throw malformed('unknown client profile field type');
    }
    if (at > out.length) throw malformed('truncated client profile');
  }
  return swapped ? out : undefined;
}

/** PREKEY-PROF (INT ‖ INT64 ‖ ED448-SHARED-PREKEY ‖ sig) with the big-endian key type: the same, swapped */
export function legacyPrekeyProfileToSpecOrder(encoded: Uint8Array): Uint8Array | undefined {
  if (encoded.length < 14) throw malformed('truncated prekey profile');
  const out = Uint8Array.from(encoded);
  return swapAt(out, 12, PUBKEY_TYPE_SHARED_PREKEY) ? out : undefined;
}
