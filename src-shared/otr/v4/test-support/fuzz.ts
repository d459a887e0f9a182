// fast-check helpers: every decoder, fed random bytes and mutations of a valid encoding, may
// only throw OtrError.
import fc from 'fast-check';
import { OtrError } from '../../common/errors';

/** a valid input with a few bytes flipped, inserted, removed or truncated */
export function mutate(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.tuple(fc.nat({ max: Math.max(0, valid.length - 1) }), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
      const b = Uint8Array.from(valid);
      if (b.length) b[i] = b[i]! ^ x;
      return b;
    }),
    fc.nat({ max: valid.length }).map((n) => valid.slice(0, n)),
    fc
      .tuple(fc.nat({ max: valid.length }), fc.uint8Array({ minLength: 1, maxLength: 8 }))
      .map(([i, ins]) => Uint8Array.from([...valid.slice(0, i), ...ins, ...valid.slice(i)])),
    fc
      .tuple(fc.nat({ max: Math.max(0, valid.length - 1) }), fc.integer({ min: 1, max: 8 }))
      .map(([i, n]) => Uint8Array.from([...valid.slice(0, i), ...valid.slice(i + n)])),
  );
}

export function expectOnlyOtrErrors(run: (b: Uint8Array) => unknown, valid: Uint8Array, numRuns = 150): void {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: valid.length + 16 }), mutate(valid)), (b) => {
      try {
        run(b);
      } catch (e) {
        if (!(e instanceof OtrError)) throw e;
      }
    }),
    { numRuns },
  );
}
