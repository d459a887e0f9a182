import { describe, expect, it } from 'vitest';
import { SafetyNumberInputError, formatSafetyNumber, safetyNumber } from './safety-number';

const alice = 'a1'.repeat(56);
const bob = '0b'.repeat(56);

describe('safety number (docs/otr-in-the-app.md §"Safety numbers")', () => {
  it('is 60 digits in 12 groups of 5', async () => {
    const n = await safetyNumber(alice, bob);
    expect(n).toMatch(/^[0-9]{60}$/);
    expect(formatSafetyNumber(n)).toHaveLength(12);
    expect(formatSafetyNumber(n).every((g) => /^[0-9]{5}$/.test(g))).toBe(true);
  });

  it('is the same whichever side computes it (both orders)', async () => {
    expect(await safetyNumber(alice, bob)).toBe(await safetyNumber(bob, alice));
    // and the grouped, upper-case form users paste is the same key
    const grouped = bob.toUpperCase().replace(/(.{8})/g, '$1 ');
    expect(await safetyNumber(alice, grouped)).toBe(await safetyNumber(alice, bob));
  });

  it('changes when either fingerprint changes, even by one digit', async () => {
    const n = await safetyNumber(alice, bob);
    const bob2 = '1' + bob.slice(1);
    const alice2 = alice.slice(0, -1) + '0';
    expect(await safetyNumber(alice, bob2)).not.toBe(n);
    expect(await safetyNumber(alice2, bob)).not.toBe(n);
  });

  it('is fixed by its construction (a committed value guards against silent changes)', async () => {
    // SHA-512("messenger safety number v1" 0x00 lo 0x00 hi), 12 x (40-bit big-endian mod 100000)
    const input = new TextEncoder().encode(`messenger safety number v1\u00000b${'0b'.repeat(55)}\u0000${alice}`);
    const d = new Uint8Array(await crypto.subtle.digest('SHA-512', input));
    let expected = '';
    for (let g = 0; g < 12; g++)
      expected += String(Number(BigInt('0x' + Buffer.from(d.subarray(g * 5, g * 5 + 5)).toString('hex')) % 100000n)).padStart(5, '0');
    expect(await safetyNumber(alice, bob)).toBe(expected);
  });

  it('works for OTRv3 fingerprints and refuses bad or mixed input with a typed error', async () => {
    expect(await safetyNumber('ab'.repeat(20), 'cd'.repeat(20))).toMatch(/^[0-9]{60}$/);
    await expect(safetyNumber('xyz', bob)).rejects.toBeInstanceOf(SafetyNumberInputError);
    await expect(safetyNumber('ab'.repeat(20), bob)).rejects.toBeInstanceOf(SafetyNumberInputError);
  });
});
