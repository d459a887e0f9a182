import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ByteReader, ByteWriter, bigintToMinimalBytes } from './bytes';
import { OtrError } from './errors';

describe('wire encodings', () => {
  it('round-trips every basic type', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.nat(),
        fc.uint8Array(),
        fc.bigInt({ min: 0n, max: 1n << 2000n }),
        (b, s, i, d, m) => {
          const buf = new ByteWriter().byte(b).short(s).int(i).data(d).mpi(m).finish();
          const r = new ByteReader(buf);
          expect([r.byte(), r.short(), r.int(), r.data(), r.mpi()]).toEqual([b, s, i, d, m]);
          r.end();
        },
      ),
    );
  });

  it('encodes MPIs minimally and rejects leading zeros', () => {
    expect(bigintToMinimalBytes(0n)).toEqual(new Uint8Array(0));
    expect(bigintToMinimalBytes(0x0100n)).toEqual(Uint8Array.of(1, 0));
    expect(() => new ByteReader(Uint8Array.of(0, 0, 0, 2, 0, 1)).mpi()).toThrow(OtrError);
  });

  it('throws only malformed OtrErrors on arbitrary input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (buf) => {
        const r = new ByteReader(buf);
        try {
          r.short();
          r.data();
          r.mpi();
          r.end();
        } catch (e) {
          expect(e).toBeInstanceOf(OtrError);
          expect((e as OtrError).code).toBe('malformed');
        }
      }),
    );
  });
});
