// Boundaries of the OTRv4 structures that prekey-server messages carry (otrv4 §"Client Profile",
// §"Prekey Profile", §"Prekey Message"). The prekey server messages concatenate them without
// length prefixes, so each is read with the OTRv4 library's own reader (src-shared/otr/v4), which
// also checks its structure and points; the exact bytes are returned because the MACs, the
// transcripts and the storage work on the encoded form.
import type { ByteReader } from '../otr/common/bytes';
import { readClientProfile } from '../otr/v4/client-profile';
import { readPrekeyMessage } from '../otr/v4/prekey-message';
import { readPrekeyProfile } from '../otr/v4/prekey-profile';

export function readClientProfileSpan(r: ByteReader, source: Uint8Array): Uint8Array {
  return readClientProfile(r, source).encoded;
}

export function readPrekeyProfileSpan(r: ByteReader, source: Uint8Array): Uint8Array {
  return readPrekeyProfile(r, source).encoded;
}

export function readPrekeyMessageSpan(r: ByteReader, source: Uint8Array): Uint8Array {
  const start = r.position;
  readPrekeyMessage(r);
  return source.slice(start, r.position);
}
