import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OtrError } from '../common/errors';
import { fragmentV4, isV4Fragment, parseV4Fragment, V4Assembler } from './fragment';
import { seededRandom } from './test-support/engines';
import { vectorPath } from '../test-support/vectors';

const SEEDS = vectorPath('otr4j-seeds') + '/';
const seed = (p: string) => readFileSync(SEEDS + p, 'utf8');
const OURS = 0x27e31597;

describe('v4 fragments', () => {
  it('otr4j seeds: a one-piece fragment, an empty piece, illegal index and total', () => {
    const a = new V4Assembler(OURS, () => 0);
    expect(a.add(seed('Fragment/full-message-00'))).toEqual({ status: 'complete', message: '?OTR:SGVsbG8gV29ybGQh.', senderTag: 0x5a73a599 });
    for (const bad of ['Fragment/otrv4-full-message-00', 'Fragment/otrv4-fragment-illegal-index', 'Fragment/otrv4-fragment-illegal-total']) {
      expect(() => parseV4Fragment(seed(bad))).toThrow(OtrError);
    }
    expect(isV4Fragment(seed('Fragment/otrv3-full-message-00'))).toBe(false);
    expect(isV4Fragment(seed('Fragment/full-message-00'))).toBe(true);
    expect(isV4Fragment(seed('MessageProcessor/fragment-00'))).toBe(true);
  });

  it('reassembles the example of §"Receiving Fragments" in any order', () => {
    const pieces = [
      '?OTR|3c5b5f03|5a73a599|27e31597,00001,00003,?OTR:AAMDJ+MVmSfjFZcAAAAAAQAAAAIAAADA1g5IjD1ZGLDVQEyCgCyn9hbrL3KAbGDdzE2ZkMyTKl7XfkSxh8YJnudstiB74i4BzT0W2haClg6dMary/jo9sMudwmUdlnKpIGEKXWdvJKT+hQ26h9nzMgEditLB8v,',
      '?OTR|3c5b5f03|5a73a599|27e31597,00002,00003,jPEWAJ6gBXvZrY6ZQrx3gb4v0UaSMOMiR5sB7Eaulb2Yc6RmRnnlxgUUC2alosg4WIeFN951PLjScajVba6dqlDi+q1H5tPvI5SWMN7PCBWIJ41+WvF+5IAZzQZYgNaVLbAAAAAAAAAAEAAAAHwNiIi5Ms+4PsY/L2i,',
      '?OTR|3c5b5f03|5a73a599|27e31597,00003,00003,pkTtquknfx6HodLvk3RAAAAAA==.,',
    ];
    const whole = seed('MessageProcessor/otr-encoded-00').trim();
    for (const order of [
      [0, 1, 2],
      [2, 0, 1],
      [1, 2, 0],
    ]) {
      const a = new V4Assembler(OURS, () => 0);
      const results = order.map((i) => a.add(pieces[i]!));
      expect(results.slice(0, 2).every((r) => r.status === 'incomplete')).toBe(true);
      expect(results[2]).toEqual({ status: 'complete', message: whole, senderTag: 0x5a73a599 });
      expect(a.pendingCount).toBe(0);
    }
  });

  it('drops fragments for another instance, duplicates, and inconsistent totals', () => {
    const a = new V4Assembler(OURS, () => 0);
    expect(a.add('?OTR|1|5a73a599|00000999,1,2,ab,').status).toBe('dropped');
    expect(a.add('?OTR|1|5a73a599|0,1,2,ab,').status).toBe('incomplete');
    expect(a.add('?OTR|1|5a73a599|0,1,2,ab,').status).toBe('dropped');
    expect(a.add('?OTR|1|5a73a599|0,2,3,cd,').status).toBe('dropped');
  });

  it('bounds memory and forgets stale buffers', () => {
    let now = 0;
    const a = new V4Assembler(OURS, () => now, { maxBuffers: 4, timeoutMs: 1000 });
    for (let i = 0; i < 50; i++) a.add(`?OTR|${i.toString(16)}|5a73a599|0,1,2,x,`);
    expect(a.pendingCount).toBe(4);
    now = 5000;
    a.add('?OTR|ffff|5a73a599|0,1,2,y,');
    expect(a.pendingCount).toBe(1);
  });

  it('round-trips fragmentV4 for random messages, sizes and orders', () => {
    const rng = seededRandom('frag');
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9+/=.:?]{1,400}$/), fc.integer({ min: 60, max: 200 }), fc.infiniteStream(fc.nat()), (msg, max, rand) => {
        const frags = fragmentV4(msg, max, 0x1234, OURS, rng);
        expect(frags.every((f) => f.length <= max || frags.length === 1)).toBe(true);
        const order = frags.map((_, i) => i);
        for (let i = order.length - 1; i > 0; i--) {
          const j = rand.next().value % (i + 1);
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
        const a = new V4Assembler(OURS, () => 0);
        let got: string | undefined;
        for (const i of order) {
          if (frags.length === 1) got = frags[0];
          else {
            const r = a.add(frags[i]!);
            if (r.status === 'complete') got = r.message;
          }
        }
        expect(got).toBe(msg);
      }),
      { numRuns: 100 },
    );
  });

  it('the parser throws only OtrError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `?OTR|${s}`),
          fc.tuple(fc.stringMatching(/^[0-9a-f]{0,9}$/), fc.string(), fc.string()).map(([a, b, c]) => `?OTR|${a}|${a}|${a},${b},${c},x,`),
        ),
        (s) => {
          try {
            parseV4Fragment(s);
          } catch (e) {
            expect(e).toBeInstanceOf(OtrError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
