// TLV 8, the extra symmetric key (OTRv3 §"TLV Types" Type 8, §"Extra symmetric key"): the 4-byte
// use indicator, hand-built bytes, and the key both sides derive from the carrying message.
import { describe, expect, it } from 'vitest';
import { hexToBytes } from '@noble/hashes/utils.js';
import { encodeTlvs, decodeTlvs } from '../common/tlv';
import { OtrError } from '../common/errors';
import { encodeExtraKeyTlv, parseExtraKeyTlv } from './extra-key';
import { twoPeers } from './test-support/pair';

describe('TLV 8 encoding', () => {
  it('is INT use (big-endian) ‖ use-specific data, inside TYPE 0x0008 ‖ LEN', () => {
    const tlv = encodeExtraKeyTlv(0x1a4, Uint8Array.of(1, 2, 3));
    expect(encodeTlvs([tlv])).toEqual(hexToBytes('00080007000001a4010203'));
    expect(parseExtraKeyTlv(decodeTlvs(hexToBytes('00080007000001a4010203'))[0]!)).toEqual({ use: 0x1a4, useData: Uint8Array.of(1, 2, 3) });
    // the highest use, no data: exactly the 4 bytes
    expect(encodeExtraKeyTlv(0xffffffff, new Uint8Array(0)).value).toEqual(hexToBytes('ffffffff'));
    expect(parseExtraKeyTlv({ type: 8, value: hexToBytes('ffffffff') })).toEqual({ use: 0xffffffff, useData: new Uint8Array(0) });
  });

  it('refuses a use that is not a 32-bit unsigned integer, a value without the 4-byte indicator, and other TLV types', () => {
    for (const use of [-1, 2 ** 32, 1.5, Number.NaN]) expect(() => encodeExtraKeyTlv(use, new Uint8Array(0))).toThrow(OtrError);
    for (const value of [new Uint8Array(0), Uint8Array.of(0, 0, 1)]) {
      expect(() => parseExtraKeyTlv({ type: 8, value })).toThrow(expect.objectContaining({ code: 'malformed' }));
    }
    expect(() => parseExtraKeyTlv({ type: 7, value: new Uint8Array(8) })).toThrow(OtrError);
  });
});

describe('the extra symmetric key in a conversation', () => {
  it('sent: key, use and data come back to the sender; received: the same three arrive as an event', () => {
    const { a, b, say } = twoPeers();
    say(a, a.conv.start());
    const sent = a.conv.useExtraKey(0x01020304, Uint8Array.of(0xaa));
    expect(sent.use).toBe(0x01020304);
    expect(sent.useData).toEqual(Uint8Array.of(0xaa));
    expect(sent.key.length).toBe(32);
    say(a, sent);
    const got = b.events.filter((e) => e.type === 'extra-key-received');
    expect(got).toEqual([{ type: 'extra-key-received', key: sent.key, use: 0x01020304, useData: Uint8Array.of(0xaa) }]);
    // a later message uses other keys: another TLV 8 gives another key, the same on both sides
    say(b, b.conv.send('rotate'));
    say(a, a.conv.send('rotate too'));
    const again = b.conv.useExtraKey(7, new Uint8Array(0));
    say(b, again);
    expect(again.key).not.toEqual(sent.key);
    expect(a.events.filter((e) => e.type === 'extra-key-received')).toEqual([
      { type: 'extra-key-received', key: again.key, use: 7, useData: new Uint8Array(0) },
    ]);
  });

  it('a TLV 8 without its use indicator is reported as malformed and gives no key', () => {
    const { a, b, say } = twoPeers();
    say(a, a.conv.start());
    say(a, a.conv.send('', { tlvs: [{ type: 8, value: Uint8Array.of(0, 1) }] }));
    expect(b.events.some((e) => e.type === 'extra-key-received')).toBe(false);
    expect(b.events).toContainEqual(expect.objectContaining({ type: 'error', code: 'malformed' }));
    // the session goes on
    say(a, a.conv.send('still here'));
    expect(b.events).toContainEqual({ type: 'message', text: 'still here', encrypted: true, instanceTag: 0x1111 });
  });

  it('without an encrypted session nothing is sent and the key is empty', () => {
    const { a } = twoPeers();
    const r = a.conv.useExtraKey(1, new Uint8Array(0));
    expect(r.toSend).toEqual([]);
    expect(r.key.length).toBe(0);
    expect(r.events).toEqual([expect.objectContaining({ type: 'error', code: 'not-allowed' })]);
  });
});
