// The server's answers to a DAKE-3 (otrv4-prekey-server.md §"Storage Status Message", §"Success
// Message", §"Failure Message"): their types and layouts. MACs are verified by the publisher
// (publisher.ts), which knows the key.
import { type ByteReader, ByteWriter } from '../otr/common/bytes';
import { MAC_BYTES, PrekeyMessageType, checkLen, checkTag, header } from './message-codec';

export interface StorageStatusMessage {
  type: 'storage-status';
  version: number;
  receiverInstanceTag: number;
  storedPrekeyMessages: number;
  mac: Uint8Array;
}

export interface SuccessMessage {
  type: 'success';
  version: number;
  receiverInstanceTag: number;
  mac: Uint8Array;
}

export interface FailureMessage {
  type: 'failure';
  version: number;
  receiverInstanceTag: number;
  mac: Uint8Array;
}

export type StatusMessage = StorageStatusMessage | SuccessMessage | FailureMessage;

export function encodeStatusMessage(m: StatusMessage): Uint8Array {
  const w = new ByteWriter();
  checkTag(m.receiverInstanceTag, 'receiver instance tag');
  if (m.type === 'storage-status') {
    checkTag(m.storedPrekeyMessages, 'stored prekey messages number');
    checkLen(m.mac, MAC_BYTES, 'Status MAC');
    return header(w, PrekeyMessageType.storageStatus, m.version).int(m.receiverInstanceTag).int(m.storedPrekeyMessages).bytes(m.mac).finish();
  }
  checkLen(m.mac, MAC_BYTES, `${m.type} MAC`);
  return header(w, m.type === 'success' ? PrekeyMessageType.success : PrekeyMessageType.failure, m.version)
    .int(m.receiverInstanceTag)
    .bytes(m.mac)
    .finish();
}

/** the body of a status, success or failure message after its header (undefined: none of these; nothing read) */
export function readStatusMessage(r: ByteReader, version: number, type: number): StatusMessage | undefined {
  switch (type) {
    case PrekeyMessageType.storageStatus:
      return {
        type: 'storage-status',
        version,
        receiverInstanceTag: r.int('receiver instance tag'),
        storedPrekeyMessages: r.int('stored prekey messages number'),
        mac: r.fixed(MAC_BYTES, 'Status MAC'),
      };
    case PrekeyMessageType.success:
    case PrekeyMessageType.failure:
      return {
        type: type === PrekeyMessageType.success ? 'success' : 'failure',
        version,
        receiverInstanceTag: r.int('receiver instance tag'),
        mac: r.fixed(MAC_BYTES, 'MAC'),
      };
    default:
      return undefined;
  }
}
