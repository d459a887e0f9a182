// TLV records carried after the NUL in a decrypted data message (OTRv3 §"Tagged-Length-Value
// (TLV) records", OTRv4 §"TLV Record Types"): SHORT type, SHORT length, value. The framing is the
// same in both versions; the type numbers differ (see V3TlvType / V4TlvType).
import { ByteReader, ByteWriter } from './bytes';

export interface Tlv {
  type: number;
  value: Uint8Array;
}

export const V3TlvType = {
  padding: 0,
  disconnected: 1,
  smp1: 2,
  smp2: 3,
  smp3: 4,
  smp4: 5,
  smpAbort: 6,
  smp1Question: 7,
  extraSymmetricKey: 8,
} as const;

export const V4TlvType = {
  padding: 0,
  disconnected: 1,
  smp1: 2,
  smp2: 3,
  smp3: 4,
  smp4: 5,
  smpAbort: 6,
  extraSymmetricKey: 7,
} as const;

/** The push handshake's TLV (docs/architecture.md §7, ChatSecure push v3): JSON in UTF-8. */
export const PUSH_HANDSHAKE_TLV = 0x01a4;

export function encodeTlvs(tlvs: readonly Tlv[]): Uint8Array {
  const w = new ByteWriter();
  for (const t of tlvs) {
    if (t.value.length > 0xffff) throw new RangeError('TLV value longer than 65535 bytes');
    w.short(t.type).short(t.value.length).bytes(t.value);
  }
  return w.finish();
}

/** Parses TLVs; throws OtrError('malformed') on a truncated record. */
export function decodeTlvs(bytes: Uint8Array): Tlv[] {
  const r = new ByteReader(bytes);
  const out: Tlv[] = [];
  while (r.remaining > 0) {
    const type = r.short('TLV type');
    const len = r.short('TLV length');
    out.push({ type, value: r.fixed(len, 'TLV value') });
  }
  return out;
}

/**
 * Splits a decrypted data-message payload into the human-readable text (before the first NUL)
 * and the TLVs after it. A corrupted record stops the parsing and the records before it are kept
 * (OTRv4 §"TLV Record Types"; OTRv3 likewise keeps the message): the message itself was
 * authenticated, so its text is never lost to a bad TLV.
 */
// made once: a decoder or encoder per message was measurable in the OTRv3 data-message profile
const UTF8_DECODER = new TextDecoder('utf-8', { fatal: false });
const UTF8_ENCODER = new TextEncoder();

export function splitMessagePayload(payload: Uint8Array): { text: string; tlvs: Tlv[] } {
  const nul = payload.indexOf(0);
  const text = UTF8_DECODER.decode(nul < 0 ? payload : payload.subarray(0, nul));
  const tlvs: Tlv[] = [];
  if (nul >= 0) {
    const r = new ByteReader(payload.subarray(nul + 1));
    try {
      while (r.remaining > 0) {
        const type = r.short('TLV type');
        const len = r.short('TLV length');
        tlvs.push({ type, value: r.fixed(len, 'TLV value') });
      }
    } catch {
      // stop at the corrupted record
    }
  }
  return { text, tlvs };
}

/** UTF-8 of `text`; ASCII (most chat text) is copied by a loop, cheaper than a TextEncoder call for short text */
function utf8(text: string): Uint8Array {
  const n = text.length;
  if (n > 256) return UTF8_ENCODER.encode(text);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return UTF8_ENCODER.encode(text);
    out[i] = c;
  }
  return out;
}

export function joinMessagePayload(text: string, tlvs: readonly Tlv[]): Uint8Array {
  const t = utf8(text);
  if (tlvs.length === 0) return t;
  const w = new ByteWriter().bytes(t).byte(0).bytes(encodeTlvs(tlvs));
  return w.finish();
}
