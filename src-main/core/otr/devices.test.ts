import { describe, expect, it } from 'vitest';
import { STALE_AFTER_MS, deviceList, type DeviceRow } from './devices';

const NOW = 1_800_000_000_000;
const row = (instanceTag: number, lastSeenAgo: number, fingerprint = 'ab'.repeat(56)): DeviceRow => ({
  instanceTag,
  fingerprint,
  version: 4,
  firstSeen: NOW - lastSeenAgo - 1000,
  lastSeen: NOW - lastSeenAgo,
});

describe('devices page order (issue 15)', () => {
  it('marks devices silent for more than 30 days stale and never lists them first', () => {
    // the stale one was verified and seen recently-ish before going quiet: still after the active ones
    const rows = [row(0x101, STALE_AFTER_MS + 1, 'cd'.repeat(56)), row(0x102, 5 * 86_400_000), row(0x103, 60_000)];
    const list = deviceList(rows, (fp) => fp === 'cd'.repeat(56), NOW);
    expect(list.map((d) => [d.instanceTag, d.stale])).toEqual([
      [0x103, false],
      [0x102, false],
      [0x101, true],
    ]);
    expect(list[2]!.verified).toBe(true);
  });

  it('puts this device first and never marks it stale', () => {
    const list = deviceList([row(0x200, 1000), row(0x300, STALE_AFTER_MS * 2)], () => false, NOW, 0x300);
    expect(list[0]).toMatchObject({ instanceTag: 0x300, thisDevice: true, stale: false });
    expect(list[1]!.thisDevice).toBeUndefined();
  });

  it('is exactly 30 days: a device seen 30 days ago to the millisecond is not stale yet', () => {
    expect(deviceList([row(0x101, STALE_AFTER_MS)], () => false, NOW)[0]!.stale).toBe(false);
  });
});
