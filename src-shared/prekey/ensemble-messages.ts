// Retrieving a contact's prekey ensembles (otrv4-prekey-server.md §"Prekey Ensemble Query
// Retrieval Message", §"Prekey Ensemble Retrieval Message", §"No Prekey Ensembles in Storage
// Message"): their types and layouts. The ensembles' contents are validated by ensembles.ts.
import { type ByteReader, ByteWriter } from '../otr/common/bytes';
import { malformed } from '../otr/common/errors';
import { PrekeyMessageType, checkTag, header, readString, utf8 } from './message-codec';
import { readClientProfileSpan, readPrekeyMessageSpan, readPrekeyProfileSpan } from './spans';

/** §"No Prekey Ensembles in Storage Message": the human-readable part */
export const NO_PREKEY_MESSAGES_TEXT = 'No Prekey Messages available for this identity';
/** a retrieval answer carries one ensemble per instance tag; more than this is abuse */
export const MAX_ENSEMBLES_PER_RETRIEVAL = 64;

export interface EnsembleQueryMessage {
  type: 'ensemble-query';
  version: number;
  senderInstanceTag: number;
  identity: string;
  /** the versions string, e.g. "4" or "45"; unknown digits are ignored by the server */
  versions: string;
}

export interface PrekeyEnsemble {
  clientProfile: Uint8Array;
  prekeyProfile: Uint8Array;
  prekeyMessage: Uint8Array;
}

export interface EnsembleRetrievalMessage {
  type: 'ensemble-retrieval';
  version: number;
  receiverInstanceTag: number;
  identity: string;
  ensembles: PrekeyEnsemble[];
}

export interface NoPrekeyEnsemblesMessage {
  type: 'no-prekey-ensembles';
  version: number;
  receiverInstanceTag: number;
  identity: string;
  text: string;
}

export type EnsembleMessage = EnsembleQueryMessage | EnsembleRetrievalMessage | NoPrekeyEnsemblesMessage;

export function encodeEnsembleMessage(m: EnsembleMessage): Uint8Array {
  const w = new ByteWriter();
  switch (m.type) {
    case 'ensemble-query':
      checkTag(m.senderInstanceTag, 'sender instance tag');
      return header(w, PrekeyMessageType.ensembleQuery, m.version)
        .int(m.senderInstanceTag)
        .data(utf8.encode(m.identity))
        .data(utf8.encode(m.versions))
        .finish();
    case 'ensemble-retrieval': {
      checkTag(m.receiverInstanceTag, 'receiver instance tag');
      // §"Prekey Ensemble Retrieval Message": L is an INT and "must be greater than 0"
      // (libotr-ng / the Go server write a BYTE: implementer notes §0; we follow the spec).
      if (m.ensembles.length === 0) throw malformed('a retrieval carries at least one ensemble');
      header(w, PrekeyMessageType.ensembleRetrieval, m.version).int(m.receiverInstanceTag).data(utf8.encode(m.identity)).int(m.ensembles.length);
      for (const e of m.ensembles) w.bytes(e.clientProfile).bytes(e.prekeyProfile).bytes(e.prekeyMessage);
      return w.finish();
    }
    case 'no-prekey-ensembles':
      checkTag(m.receiverInstanceTag, 'receiver instance tag');
      return header(w, PrekeyMessageType.noPrekeyEnsembles, m.version)
        .int(m.receiverInstanceTag)
        .data(utf8.encode(m.identity))
        .data(utf8.encode(m.text))
        .finish();
  }
}

/** the body of an ensemble message after its header (undefined: not one; nothing read); `bytes` is the whole message */
export function readEnsembleMessage(r: ByteReader, bytes: Uint8Array, version: number, type: number): EnsembleMessage | undefined {
  switch (type) {
    case PrekeyMessageType.ensembleQuery:
      return {
        type: 'ensemble-query',
        version,
        senderInstanceTag: r.int('sender instance tag'),
        identity: readString(r, 'participant identity'),
        versions: readString(r, 'versions', 16),
      };
    case PrekeyMessageType.ensembleRetrieval: {
      const receiverInstanceTag = r.int('receiver instance tag');
      const identity = readString(r, 'participant identity');
      const l = r.int('L');
      if (l === 0) throw malformed('L must be greater than 0');
      if (l > MAX_ENSEMBLES_PER_RETRIEVAL) throw malformed('too many ensembles');
      const ensembles: PrekeyEnsemble[] = [];
      for (let k = 0; k < l; k++) {
        ensembles.push({
          clientProfile: readClientProfileSpan(r, bytes),
          prekeyProfile: readPrekeyProfileSpan(r, bytes),
          prekeyMessage: readPrekeyMessageSpan(r, bytes),
        });
      }
      return { type: 'ensemble-retrieval', version, receiverInstanceTag, identity, ensembles };
    }
    case PrekeyMessageType.noPrekeyEnsembles:
      return {
        type: 'no-prekey-ensembles',
        version,
        receiverInstanceTag: r.int('receiver instance tag'),
        identity: readString(r, 'participant identity'),
        text: readString(r, 'human-readable text', 1024),
      };
    default:
      return undefined;
  }
}
