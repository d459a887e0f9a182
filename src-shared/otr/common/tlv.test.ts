import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeTlvs, joinMessagePayload, splitMessagePayload, V4TlvType } from './tlv';

describe('TLV payloads', () => {
  it('round-trips text and TLVs', () => {
    fc.assert(
      fc.property(
        fc.string().filter((t) => !t.includes('\0')),
        fc.array(fc.record({ type: fc.integer({ min: 0, max: 0xffff }), value: fc.uint8Array({ maxLength: 40 }) }), { maxLength: 5 }),
        (text, tlvs) => {
          const out = splitMessagePayload(joinMessagePayload(text, tlvs));
          expect(out.text).toBe(text);
          expect(out.tlvs).toEqual(tlvs);
        },
      ),
    );
  });

  it('keeps the text and the records before a corrupted one', () => {
    const good = encodeTlvs([{ type: V4TlvType.disconnected, value: new Uint8Array(0) }]);
    const truncated = Uint8Array.of(0x00, 0x07, 0x00, 0x40, 1, 2); // claims 64 bytes, has 2
    const payload = Uint8Array.of(...new TextEncoder().encode('hello'), 0, ...good, ...truncated);
    expect(splitMessagePayload(payload)).toEqual({ text: 'hello', tlvs: [{ type: V4TlvType.disconnected, value: new Uint8Array(0) }] });
  });
});
