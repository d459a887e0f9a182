import { describe, expect, it } from 'vitest';
import { formatFingerprint, otrRequestSchemas } from './otr-contract';
import { otrNoticeSchema } from './otr-notices';

describe('OTR contract', () => {
  it('formats fingerprints in groups of 8 upper-case hex digits', () => {
    expect(formatFingerprint('0123456789abcdef0123456789abcdef01234567')).toBe('01234567 89ABCDEF 01234567 89ABCDEF 01234567');
    expect(formatFingerprint('ab'.repeat(56)).split(' ')).toHaveLength(14);
  });

  it('accepts a pasted grouped fingerprint and normalises it', () => {
    const r = otrRequestSchemas['otr.trust.set'].parse({
      accountId: 'a',
      peer: 'Bob@Example.test',
      fingerprint: ' 01234567 89ABCDEF 01234567 89ABCDEF 01234567 ',
      verified: true,
    });
    expect(r).toEqual({ accountId: 'a', peer: 'bob@example.test', fingerprint: '0123456789abcdef0123456789abcdef01234567', verified: true });
  });

  it('refuses bad input', () => {
    expect(otrRequestSchemas['otr.trust.set'].safeParse({ accountId: 'a', peer: 'b@c', fingerprint: 'xyz', verified: true }).success).toBe(false);
    expect(otrRequestSchemas['otr.smp.start'].safeParse({ accountId: 'a', peer: 'b@c', secret: '' }).success).toBe(false);
    expect(otrRequestSchemas['otr.smp.start'].safeParse({ accountId: 'a', peer: 'b@c', secret: 'x', extra: 1 }).success).toBe(false);
    expect(otrRequestSchemas['otr.policy.set'].safeParse({ accountId: 'a', policy: 'sometimes' }).success).toBe(false);
    expect(otrRequestSchemas['otr.policy.set'].safeParse({ accountId: 'a', policy: null }).success).toBe(true);
    expect(otrRequestSchemas['otr.queue.resolve'].safeParse({ accountId: 'a', peer: 'b@c', action: 'leak' }).success).toBe(false);
  });

  it('offline sending takes one or more real instance tags only (OTRv4 §"Instance Tags")', () => {
    const send = otrRequestSchemas['otr.offline.send'];
    expect(send.safeParse({ accountId: 'a', peer: 'b@c', instanceTags: [0x100, 0xffffffff] }).success).toBe(true);
    for (const instanceTags of [[], [0xff], [0x1_0000_0000], [1.5], ['256'], Array(65).fill(0x100)]) {
      expect(send.safeParse({ accountId: 'a', peer: 'b@c', instanceTags }).success).toBe(false);
    }
    expect(send.safeParse({ accountId: 'a', peer: 'b@c' }).success).toBe(false);
    expect(otrRequestSchemas['otr.offline.devices'].safeParse({ accountId: 'a', peer: 'not a jid' }).success).toBe(false);
  });

  it('accepting a prekey server key takes a server domain and a 112-digit key, normalised', () => {
    const trust = otrRequestSchemas['otr.prekeyServer.trust'];
    const fp = 'ab12'.repeat(28);
    expect(trust.parse({ accountId: 'a', server: ' Prekeys.Example.test ', fingerprint: fp.match(/.{8}/g)!.join(' ') })).toEqual({
      accountId: 'a',
      server: 'prekeys.example.test',
      fingerprint: fp.toUpperCase(),
    });
    for (const bad of [
      { server: 'user@prekeys.example', fingerprint: fp },
      { server: 'prekeys.example/res', fingerprint: fp },
      { server: '', fingerprint: fp },
      { server: 'prekeys.example', fingerprint: fp.slice(2) },
      { server: 'prekeys.example', fingerprint: 'zz'.repeat(56) },
    ]) {
      expect(trust.safeParse({ accountId: 'a', ...bad }).success).toBe(false);
    }
  });

  it('a notice is a code and its data: every kind parses, a sentence or a missing datum does not', () => {
    const base = { id: 'n1', at: 1, accountId: 'a', peer: 'bob@example.test' };
    const fp = 'ab'.repeat(56);
    const good = [
      { kind: 'fingerprint-changed', fingerprint: fp },
      { kind: 'unreadable' },
      { kind: 'peer-error', said: 'bad MAC' },
      { kind: 'ended-by-peer' },
      { kind: 'queued', because: 'starting' },
      { kind: 'queue-sent' },
      { kind: 'smp-succeeded', verifiedThem: false },
      { kind: 'smp-failed' },
      { kind: 'offline-sent', messages: 2, devices: 1 },
      { kind: 'offline-start' },
      { kind: 'prekey-server-changed', server: 'prekeys.example.test', fingerprint: fp, whose: 'own' },
    ];
    for (const n of good) expect(otrNoticeSchema.safeParse({ ...base, ...n }).success).toBe(true);
    expect(otrNoticeSchema.safeParse({ ...base, kind: 'unreadable', message: 'A private message could not be decrypted.' }).success).toBe(false);
    expect(otrNoticeSchema.safeParse({ ...base, kind: 'fingerprint-changed' }).success).toBe(false);
    expect(otrNoticeSchema.safeParse({ ...base, kind: 'queued', because: 'why not' }).success).toBe(false);
    expect(otrNoticeSchema.safeParse({ ...base, kind: 'made-up' }).success).toBe(false);
  });
});
