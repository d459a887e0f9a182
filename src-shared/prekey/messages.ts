// Binary encodings of the OTRv4 Prekey Server messages (otrv4-prekey-server.md §"Key Exchange",
// §"Prekey Publication Message", §"Storage Information Request Message", §"Storage Status
// Message", §"Success Message", §"Failure Message", §"Prekey Ensemble Query Retrieval Message",
// §"Prekey Ensemble Retrieval Message", §"No Prekey Ensembles in Storage Message";
// otr-implementer-notes.md §14). Decoders only check structure and throw OtrError('malformed') or
// OtrError('unsupported-version'); cryptographic checks (points, MACs, signatures, proofs) happen
// in the protocol layer (dake.ts, publication.ts) where the keys are known.
//
// This file is the one entry point (encode any message, decode one by where it travels); the
// layouts are by family: dake-messages.ts, publication-messages.ts (attached to DAKE-3),
// status-messages.ts (the server's answers), ensemble-messages.ts (retrieval), with the shared
// header and checks in message-codec.ts.
import { ByteReader } from '../otr/common/bytes';
import { malformed } from '../otr/common/errors';
import { encodeDakeMessage, readDakeMessage, type DakeMessage } from './dake-messages';
import { encodeEnsembleMessage, readEnsembleMessage, type EnsembleMessage } from './ensemble-messages';
import { readVersion } from './message-codec';
import { encodeAttachedMessage, readAttachedMessage, type AttachedMessage } from './publication-messages';
import { encodeStatusMessage, readStatusMessage, type StatusMessage } from './status-messages';

export { ED448_PUBKEY_TYPE, MAC_BYTES, POINT_BYTES, PREKEY_PROTOCOL_VERSION, PrekeyMessageType, RING_SIG_BYTES, SCALAR_BYTES } from './message-codec';
export * from './dake-messages';
export * from './ensemble-messages';
export * from './publication-messages';
export * from './status-messages';

/** messages that travel on their own in a stanza body */
export type TopLevelMessage = DakeMessage | StatusMessage | EnsembleMessage;

type Encodable = TopLevelMessage | AttachedMessage;

/** Publication without its MAC: what the MAC is computed over lives in publication.ts */
export function encodeMessage(m: Encodable): Uint8Array {
  switch (m.type) {
    case 'dake1':
    case 'dake2':
    case 'dake3':
      return encodeDakeMessage(m);
    case 'publication':
    case 'storage-info-request':
      return encodeAttachedMessage(m);
    case 'storage-status':
    case 'success':
    case 'failure':
      return encodeStatusMessage(m);
    case 'ensemble-query':
    case 'ensemble-retrieval':
    case 'no-prekey-ensembles':
      return encodeEnsembleMessage(m);
  }
}

/** Decodes a message that arrives on its own (a stanza body after base64). */
export function decodeTopLevel(bytes: Uint8Array): TopLevelMessage {
  const r = new ByteReader(bytes);
  const version = readVersion(r);
  const type = r.byte('message type');
  const m: TopLevelMessage | undefined =
    readDakeMessage(r, bytes, version, type) ?? readStatusMessage(r, version, type) ?? readEnsembleMessage(r, bytes, version, type);
  if (!m) throw malformed(`unknown prekey server message type 0x${type.toString(16)}`);
  r.end();
  return m;
}

/** Decodes the message attached to a DAKE-3 (§"DAKE-3 Message": Publication or Storage Request). */
export function decodeAttached(bytes: Uint8Array): AttachedMessage {
  const r = new ByteReader(bytes);
  const version = readVersion(r);
  const type = r.byte('message type');
  const m = readAttachedMessage(r, bytes, version, type);
  // §"Key Exchange", server step "Verifies that the message type is either 0x08 or 0x09"
  if (!m) throw malformed(`message attached to DAKE-3 has type 0x${type.toString(16)}`);
  r.end();
  return m;
}
