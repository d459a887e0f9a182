// Boundaries of the OTRv4 structures that prekey-server messages carry (otrv4 §"Client Profile",
// §"Prekey Profile", §"Prekey Message"; otr-implementer-notes.md §4 and §7). The prekey server
// protocol carries them as opaque, self-delimiting values: these readers only find where each one
// ends, so that the surrounding message can be parsed. Their meaning (signatures, expiry, points)
// is checked by the OTRv4 library's own decoders/validators in src-shared/otr/v4, never here.
import { ByteReader, bytesToBigint, concatBytes } from '../otr/common/bytes';
import { malformed } from '../otr/common/errors';

const POINT = 57;
const ED448_KEY = 2 + POINT; // SHORT type || POINT
const EDDSA_SIG = 114;
const PREKEY_PROFILE_BYTES = 4 + 8 + ED448_KEY + EDDSA_SIG;
/** a generous cap; real profiles are < 1 KiB (with a v3 DSA key) */
const MAX_CLIENT_PROFILE_FIELDS = 16;

/** CLIENT-PROF = INT n || n × (SHORT type || field) || CLIENT-EDDSA-SIG */
export function readClientProfileSpan(r: ByteReader): Uint8Array {
  const probe = new Recorder(r);
  const n = probe.int('client profile field count');
  if (n > MAX_CLIENT_PROFILE_FIELDS) throw malformed('client profile has too many fields');
  for (let i = 0; i < n; i++) {
    const type = probe.short('client profile field type');
    switch (type) {
      case 0x0001:
        probe.fixed(4, 'owner instance tag');
        break;
      case 0x0002:
      case 0x0003:
        probe.fixed(ED448_KEY, 'client profile key');
        break;
      case 0x0004:
        probe.data('versions');
        break;
      case 0x0005:
        probe.fixed(8, 'client profile expiration');
        break;
      case 0x0006: {
        // OTRv3 PUBKEY: SHORT 0x0000 || MPI p || MPI q || MPI g || MPI y
        probe.short('DSA key type');
        for (let k = 0; k < 4; k++) probe.data('DSA key MPI');
        break;
      }
      case 0x0007:
        probe.fixed(40, 'transitional signature');
        break;
      default:
        throw malformed(`unknown client profile field type ${type}`);
    }
  }
  probe.fixed(EDDSA_SIG, 'client profile signature');
  return probe.bytes();
}

/** PREKEY-PROF = INT owner tag || 8-byte expiry || ED448-SHARED-PREKEY || PREKEY-EDDSA-SIG */
export function readPrekeyProfileSpan(r: ByteReader): Uint8Array {
  return r.fixed(PREKEY_PROFILE_BYTES, 'prekey profile');
}

/** Prekey message = SHORT version || BYTE 0x0F || INT id || INT owner tag || POINT Y || MPI B */
export function readPrekeyMessageSpan(r: ByteReader): Uint8Array {
  const probe = new Recorder(r);
  probe.short('prekey message version');
  const type = probe.byte('prekey message type');
  if (type !== 0x0f) throw malformed('not a prekey message');
  probe.fixed(8, 'prekey message id and tag');
  probe.fixed(POINT, 'prekey message Y');
  probe.data('prekey message B');
  return probe.bytes();
}

/** the owner instance tag stored at a fixed place in a prekey message (after SHORT, BYTE, INT) */
export function prekeyMessageInstanceTag(pm: Uint8Array): number {
  const r = new ByteReader(pm);
  r.fixed(7);
  return r.int();
}

/** reads through a ByteReader and keeps a copy of every byte consumed */
class Recorder {
  private readonly parts: Uint8Array[] = [];
  constructor(private readonly r: ByteReader) {}
  fixed(n: number, what: string): Uint8Array {
    const b = this.r.fixed(n, what);
    this.parts.push(b);
    return b;
  }
  byte(what: string): number {
    return this.fixed(1, what)[0]!;
  }
  short(what: string): number {
    return Number(bytesToBigint(this.fixed(2, what)));
  }
  int(what: string): number {
    return Number(bytesToBigint(this.fixed(4, what)));
  }
  data(what: string): Uint8Array {
    return this.fixed(this.int(`${what} length`), what);
  }
  bytes(): Uint8Array {
    return concatBytes(...this.parts);
  }
}
