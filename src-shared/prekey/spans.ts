// Boundaries of the OTRv4 structures that prekey-server messages carry (otrv4 §"Client Profile",
// §"Prekey Profile", §"Prekey Message"). The prekey server messages concatenate them without
// length prefixes, so each is read with the OTRv4 library's own reader (src-shared/otr/v4), which
// also checks its structure and points; the exact bytes are returned because the MACs, the
// transcripts and the storage work on the encoded form. The parsed value is remembered for those
// bytes (point validation is the expensive part), so `*Of()` does not decode twice.
import { ByteReader } from '../otr/common/bytes';
import { type ClientProfile, readClientProfile } from '../otr/v4/client-profile';
import { type PrekeyMessage, readPrekeyMessage } from '../otr/v4/prekey-message';
import { type PrekeyProfile, readPrekeyProfile } from '../otr/v4/prekey-profile';

const parsed = new WeakMap<Uint8Array, ClientProfile | PrekeyProfile | PrekeyMessage>();

export function readClientProfileSpan(r: ByteReader, source: Uint8Array): Uint8Array {
  const p = readClientProfile(r, source);
  parsed.set(p.encoded, p);
  return p.encoded;
}

export function readPrekeyProfileSpan(r: ByteReader, source: Uint8Array): Uint8Array {
  const p = readPrekeyProfile(r, source);
  parsed.set(p.encoded, p);
  return p.encoded;
}

export function readPrekeyMessageSpan(r: ByteReader, source: Uint8Array): Uint8Array {
  const start = r.position;
  const m = readPrekeyMessage(r);
  const bytes = source.slice(start, r.position);
  parsed.set(bytes, m);
  return bytes;
}

/** the client profile in `bytes` (exactly one, nothing after it) */
export function clientProfileOf(bytes: Uint8Array): ClientProfile {
  return (parsed.get(bytes) as ClientProfile | undefined) ?? whole(bytes, readClientProfileSpan);
}

export function prekeyProfileOf(bytes: Uint8Array): PrekeyProfile {
  return (parsed.get(bytes) as PrekeyProfile | undefined) ?? whole(bytes, readPrekeyProfileSpan);
}

export function prekeyMessageOf(bytes: Uint8Array): PrekeyMessage {
  return (parsed.get(bytes) as PrekeyMessage | undefined) ?? whole(bytes, readPrekeyMessageSpan);
}

function whole<T>(bytes: Uint8Array, read: (r: ByteReader, s: Uint8Array) => Uint8Array): T {
  const r = new ByteReader(bytes);
  const span = read(r, bytes);
  r.end('embedded value');
  return parsed.get(span) as T;
}
