// The TLV 8 "Extra symmetric key" of OTRv3 (§"TLV Types" Type 8, §"Extra symmetric key").
//
// The key itself is never sent: both sides derive it as h2(0xFF) from the secbytes of the keys
// protecting the data message that carries the TLV (DataSession hands it out with each message).
// The TLV only says what the key is for: its value is
//
//   INT use (4 bytes, big-endian: "a 4-byte indication of what this symmetric key will be used
//   for") ‖ use-specific data (any length, possibly empty)
//
// e.g. use 0x000001a4 with data 01 02 03 is TLV bytes 00 08 00 07 00 00 01 a4 01 02 03.
// "There are no currently defined uses": the application picks them (the push handshake uses
// its own). API: V3Conversation.useExtraKey(use, useData) sends the TLV and returns
// { key, use, useData }; the receiver gets an `extra-key-received` event with the same key, use
// and useData. A TLV 8 shorter than 4 bytes is malformed and reported, never used.
import { ByteReader, ByteWriter } from '../common/bytes';
import { malformed, OtrError } from '../common/errors';
import { V3TlvType, type Tlv } from '../common/tlv';

/** what a TLV 8 says: the 4-byte use indicator and the use-specific data */
export interface ExtraKeyUse {
  use: number;
  useData: Uint8Array;
}

/** the extra symmetric key (32 bytes) together with what it is used for */
export interface ExtraSymmetricKey extends ExtraKeyUse {
  key: Uint8Array;
}

/** TLV 8 for `use` (a 32-bit unsigned integer) and `useData`. Throws OtrError('invalid-value'). */
export function encodeExtraKeyTlv(use: number, useData: Uint8Array): Tlv {
  if (!Number.isInteger(use) || use < 0 || use > 0xffffffff) throw new OtrError('invalid-value', 'use must be a 32-bit unsigned integer');
  return { type: V3TlvType.extraSymmetricKey, value: new ByteWriter().int(use).bytes(useData).finish() };
}

/** reads the use indicator and use-specific data of a TLV 8. Throws OtrError('malformed'). */
export function parseExtraKeyTlv(tlv: Tlv): ExtraKeyUse {
  if (tlv.type !== V3TlvType.extraSymmetricKey) throw malformed(`TLV type ${tlv.type} is not the extra symmetric key`);
  if (tlv.value.length < 4) throw malformed('extra symmetric key TLV without its 4-byte use indicator');
  return { use: new ByteReader(tlv.value).int('use'), useData: tlv.value.slice(4) };
}
