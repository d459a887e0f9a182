// Property: over a network that delays, reorders, drops and replays, every message delivered for
// the first time decrypts to what was sent, and every replay is refused. (Store and expiry set
// generously here; their limits have their own tests in ratchet.test.ts.)
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DataMessageError } from './state';
import { makePair, str, text } from './test-support/pair';

type Action =
  { kind: 'send'; alice: boolean; burst: number } | { kind: 'deliver'; pick: number } | { kind: 'replay'; pick: number } | { kind: 'drop'; pick: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('send' as const), alice: fc.boolean(), burst: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('deliver' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('deliver' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('replay' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('drop' as const), pick: fc.nat() }),
);

describe.each(['interactive', 'non-interactive'] as const)('double ratchet over a hostile network (%s)', (mode) => {
  it('delivers every message once, in any order, refusing replays', () => {
    let run = 0;
    fc.assert(
      fc.property(fc.array(action, { minLength: 10, maxLength: 45 }), (actions) => {
        const { alice, bob } = makePair(mode, `net-${mode}-${run++}`, { skippedKeyMaxRatchets: 1_000_000, maxStoredKeys: 100_000 });
        const inFlight: Array<{ toBob: boolean; bytes: Uint8Array; text: string }> = [];
        const delivered: Array<{ toBob: boolean; bytes: Uint8Array }> = [];
        let n = 0;
        for (const a of actions) {
          if (a.kind === 'send') {
            for (let b = 0; b < a.burst; b++) {
              const t = `${a.alice ? 'A' : 'B'}${n++}`;
              inFlight.push({ toBob: a.alice, bytes: (a.alice ? alice : bob).encrypt(text(t)).message, text: t });
            }
          } else if (a.kind === 'deliver' && inFlight.length > 0) {
            const [m] = inFlight.splice(a.pick % inFlight.length, 1);
            expect(str((m!.toBob ? bob : alice).decrypt(m!.bytes).payload)).toBe(m!.text);
            delivered.push(m!);
          } else if (a.kind === 'drop' && inFlight.length > 0) {
            inFlight.splice(a.pick % inFlight.length, 1);
          } else if (a.kind === 'replay' && delivered.length > 0) {
            const m = delivered[a.pick % delivered.length]!;
            expect(() => (m.toBob ? bob : alice).decrypt(m.bytes)).toThrow(DataMessageError);
          }
        }
        // finally deliver everything still in flight, in reverse order
        for (const m of inFlight.reverse()) expect(str((m.toBob ? bob : alice).decrypt(m.bytes).payload)).toBe(m.text);
      }),
      { numRuns: 25 },
    );
  });
});
