// Issue 13, several devices: the IPC schemas of otr.devices.choose (which of the contact's devices
// get what we write) and of the 'new-device' notice refuse bad input with a typed error (zod's
// issues, turned into 'invalid-argument' at the boundary) instead of letting it reach the core.
import { describe, expect, it } from 'vitest';
import { otrNoticeSchema, otrRequestSchemas } from './otr-contract';

const choose = otrRequestSchemas['otr.devices.choose'];
const ok = { accountId: 'acct-1', peer: 'bob@example.test' };

describe('otr.devices.choose', () => {
  it('takes a list of instance tags, or null for all devices', () => {
    expect(choose.parse({ ...ok, instanceTags: [0x100, 0xffffffff] }).instanceTags).toEqual([0x100, 0xffffffff]);
    expect(choose.parse({ ...ok, instanceTags: null }).instanceTags).toBeNull();
  });

  it.each([
    ['an empty list', { ...ok, instanceTags: [] }],
    ['no list at all', { ...ok }],
    ['a tag below 0x100 (OTRv4 §"Instance Tags")', { ...ok, instanceTags: [0xff] }],
    ['a tag above 32 bits', { ...ok, instanceTags: [2 ** 32] }],
    ['a fraction', { ...ok, instanceTags: [256.5] }],
    ['a tag as text', { ...ok, instanceTags: ['256'] }],
    ['a single number', { ...ok, instanceTags: 256 }],
    ['more than 64 tags', { ...ok, instanceTags: Array.from({ length: 65 }, (_, i) => 0x100 + i) }],
    ['a full JID as the peer', { ...ok, peer: 'bob@example.test/phone', instanceTags: [0x100] }],
    ['an extra field', { ...ok, instanceTags: [0x100], all: true }],
  ])('refuses %s', (_, input) => {
    expect(choose.safeParse(input).success).toBe(false);
  });
});

describe("the 'new-device' notice", () => {
  const base = { id: 'n1', at: 1, accountId: 'acct-1', peer: 'bob@example.test', kind: 'new-device', fingerprint: 'ab'.repeat(56), instanceTag: 0x1234 };
  it('carries the fingerprint, the instance tag and, where known, the device name', () => {
    expect(otrNoticeSchema.parse(base)).toMatchObject({ instanceTag: 0x1234 });
    expect(otrNoticeSchema.parse({ ...base, device: 'laptop' })).toMatchObject({ device: 'laptop' });
  });
  it('refuses one without its instance tag or fingerprint, or with a sentence in it', () => {
    const { instanceTag: _t, ...noTag } = base;
    const { fingerprint: _f, ...noKey } = base;
    expect(otrNoticeSchema.safeParse(noTag).success).toBe(false);
    expect(otrNoticeSchema.safeParse(noKey).success).toBe(false);
    expect(otrNoticeSchema.safeParse({ ...base, message: 'New device!' }).success).toBe(false);
    expect(otrNoticeSchema.safeParse({ ...base, device: '' }).success).toBe(false);
  });
});
