// Issue 13, several devices: which of the contact's devices a message goes to (otr/fanout.ts), and
// the mark replies carry (otr/device-label.ts).
import { describe, expect, it } from 'vitest';
import { deviceLabel, replyMark, severalDevices } from './device-label';
import { STALE_AFTER_MS, type DeviceRow } from './devices';
import { copyId, deviceOnline, devicesToAsk, fanoutTargets, messageIdOfCopy, type FanoutInput } from './fanout';

const BOB = 'bob@example.test';
const PHONE = 0x1001;
const LAPTOP = 0x2002;
const OLD = 0x3003;

const enc = (...tags: number[]) => tags.map((instanceTag) => ({ instanceTag, state: 'encrypted' as const }));
const jids = new Map([
  [PHONE, `${BOB}/phone`],
  [LAPTOP, `${BOB}/laptop`],
  [OLD, `${BOB}/old`],
]);
const base: FanoutInput = { sessions: enc(PHONE, LAPTOP), tagJid: jids, present: [`${BOB}/phone`, `${BOB}/laptop`] };

describe('fan-out: the devices a message is encrypted to', () => {
  it('goes to every device with a live session by default', () => {
    expect(fanoutTargets(base)).toEqual([PHONE, LAPTOP]);
  });

  it('leaves out a device that went offline, and one whose session is not encrypted', () => {
    expect(fanoutTargets({ ...base, present: [`${BOB}/laptop`] })).toEqual([LAPTOP]);
    const sessions = [...enc(PHONE), { instanceTag: LAPTOP, state: 'finished' as const }, { instanceTag: OLD, state: 'plaintext' as const }];
    expect(fanoutTargets({ ...base, sessions })).toEqual([PHONE]);
  });

  it('compares the bare part of the address without case, the resource with it', () => {
    expect(fanoutTargets({ ...base, present: ['BOB@Example.test/laptop'] })).toEqual([LAPTOP]);
    expect(deviceOnline(LAPTOP, jids, [`${BOB}/Laptop`])).toBe(false);
  });

  it('counts a device whose address is not known yet as online (a restored session), and every device when presence is unknown', () => {
    const tagJid = new Map([[PHONE, `${BOB}/phone`]]);
    expect(fanoutTargets({ ...base, tagJid, present: [] })).toEqual([LAPTOP]);
    expect(fanoutTargets({ ...base, present: undefined })).toEqual([PHONE, LAPTOP]);
  });

  it('falls back to the session the header shows when the contact is offline on every device', () => {
    expect(fanoutTargets({ ...base, present: [], current: LAPTOP })).toEqual([LAPTOP]);
    // a current session that is not encrypted any more is not written to
    expect(fanoutTargets({ ...base, present: [], current: OLD })).toEqual([PHONE]);
  });

  it('writes to the devices the user chose, those of them that have a session', () => {
    expect(fanoutTargets({ ...base, chosen: [LAPTOP] })).toEqual([LAPTOP]);
    expect(fanoutTargets({ ...base, chosen: [OLD, LAPTOP, LAPTOP] })).toEqual([LAPTOP]);
    // a choice none of whose devices has a session falls back to the default
    expect(fanoutTargets({ ...base, chosen: [OLD] })).toEqual([PHONE, LAPTOP]);
  });

  it('keeps the offline start’s devices until the contact writes', () => {
    expect(fanoutTargets({ ...base, present: [], offlineFanout: [PHONE, LAPTOP] })).toEqual([PHONE, LAPTOP]);
  });

  it('has no target without an encrypted session', () => {
    expect(fanoutTargets({ ...base, sessions: [{ instanceTag: PHONE, state: 'plaintext' }] })).toEqual([]);
  });
});

describe('devices asked for a session of their own', () => {
  it('asks the online devices without a session, once, and only while another device has one', () => {
    const present = [`${BOB}/phone`, `${BOB}/laptop`, `${BOB}/tablet`];
    expect(devicesToAsk({ ...base, present }, new Set())).toEqual([`${BOB}/tablet`]);
    expect(devicesToAsk({ ...base, present }, new Set([`${BOB}/tablet`]))).toEqual([]);
    expect(devicesToAsk({ ...base, present, sessions: [{ instanceTag: PHONE, state: 'finished' }] }, new Set())).toEqual([]);
    expect(devicesToAsk({ ...base, present: undefined }, new Set())).toEqual([]);
    // nobody while a session's address is not known (restored after a restart): it may be any of them
    expect(devicesToAsk({ ...base, present, tagJid: new Map([[PHONE, `${BOB}/phone`]]) }, new Set())).toEqual([]);
    // a bare JID (a resource-less presence) is not a device to address
    expect(devicesToAsk({ ...base, present: [BOB] }, new Set())).toEqual([]);
  });
});

describe('the ids of the copies', () => {
  it('keeps the message id on the first copy, gives the others their own that name it', () => {
    const id = '6f1c2a4e-0b7d-4c55-9a4f-3e2d1c0b9a87';
    expect(copyId(id, PHONE, true)).toBe(id);
    const other = copyId(id, LAPTOP, false);
    expect(other).not.toBe(id);
    expect(other).not.toBe(copyId(id, PHONE, false));
    expect(messageIdOfCopy(other)).toBe(id);
    expect(messageIdOfCopy(id)).toBe(id);
    // a receipt for an id that is not ours stays one that matches no message
    expect(messageIdOfCopy('x~y~z')).toBe('x');
  });
});

describe('the device mark of a reply', () => {
  const NOW = 1_800_000_000_000;
  const row = (instanceTag: number, lastSeenAgo: number, name?: string): DeviceRow => ({
    instanceTag,
    fingerprint: 'ab'.repeat(56),
    version: 4,
    firstSeen: NOW - lastSeenAgo - 1,
    lastSeen: NOW - lastSeenAgo,
    ...(name ? { name } : {}),
  });

  it('names the device by its resource, else by its instance tag as the devices dialog does', () => {
    expect(deviceLabel(0x3f2a1b00, 'laptop')).toBe('laptop');
    expect(deviceLabel(0x101)).toBe('Device 00000101');
    expect(deviceLabel(0x101, '  ')).toBe('Device 00000101');
    expect(deviceLabel(1, 'x'.repeat(100))).toHaveLength(64);
  });

  it('is given only while the contact has more than one device that is not stale', () => {
    expect(severalDevices([PHONE], [row(PHONE, 0)], NOW)).toBe(false);
    expect(severalDevices([PHONE], [row(PHONE, 0), row(OLD, STALE_AFTER_MS + 1)], NOW)).toBe(false);
    expect(severalDevices([PHONE, LAPTOP], [], NOW)).toBe(true);
    expect(severalDevices([PHONE], [row(LAPTOP, 1000)], NOW)).toBe(true);
  });

  it('prefers the resource the device writes from now, then the stored one', () => {
    const rows = [row(PHONE, 0, 'phone-stored'), row(LAPTOP, 0)];
    expect(replyMark(PHONE, [PHONE, LAPTOP], rows, NOW, () => undefined)).toBe('phone-stored');
    expect(replyMark(PHONE, [PHONE, LAPTOP], rows, NOW, () => 'phone-now')).toBe('phone-now');
    expect(replyMark(LAPTOP, [PHONE, LAPTOP], rows, NOW, () => undefined)).toBe(`Device ${LAPTOP.toString(16).toUpperCase().padStart(8, '0')}`);
    expect(replyMark(PHONE, [PHONE], [row(PHONE, 0)], NOW, () => 'phone')).toBeUndefined();
    expect(replyMark(undefined, [PHONE, LAPTOP], rows, NOW, () => 'x')).toBeUndefined();
  });
});
