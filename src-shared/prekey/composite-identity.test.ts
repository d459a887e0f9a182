// The prekey server's composite identity carries an ED448-PUBKEY, key type 0x0010 as a
// little-endian SHORT (otrv4.md §"Public keys, Shared Prekeys, Forging keys and Fingerprints";
// otrv4-prekey-server.md §"Composite Identity"): hand-built bytes, and the old big-endian order
// refused with its own error.
import { describe, expect, it } from 'vitest';
import { ByteReader, concatBytes } from '../otr/common/bytes';
import { fromHex } from '../otr/v4/keys';
import { encodeCompositeIdentity, readCompositeIdentity } from './messages';

const H = fromHex('5fd7449b59b461fd2ce787ec616ad46a1da1342485a70e1f8a0ea75d80e96778edf124769b46c7061bd6783df1e50f6cd1fa1abeafe8256180');
const hex = (s: string) => fromHex(s.replace(/\s+/g, ''));

describe('composite identity key type', () => {
  it('prekey server composite identity: DATA(identity) ‖ 10 00 ‖ H', () => {
    const bytes = encodeCompositeIdentity({ identity: 'prekeys.example.org', publicKey: H });
    const expected = concatBytes(hex('00000013'), new TextEncoder().encode('prekeys.example.org'), hex('1000'), H);
    expect(bytes).toEqual(expected);
    expect(readCompositeIdentity(new ByteReader(expected))).toEqual({ identity: 'prekeys.example.org', publicKey: H });
    const old = Uint8Array.from(expected);
    old.set(hex('0010'), 4 + 19);
    expect(() => readCompositeIdentity(new ByteReader(old))).toThrow(/big-endian byte order/);
  });
});
