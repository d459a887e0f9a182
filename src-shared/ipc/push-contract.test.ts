import { describe, expect, it } from 'vitest';
import { describePushStatus, pushChannelStatuses, pushRequestSchemas } from './push-contract';

describe('push contract', () => {
  it('takes push settings as typed and normalises the peer', () => {
    const set = pushRequestSchemas['push.settings.set'];
    expect(set.parse({ accountId: 'a', apiEndpoint: ' https://push.example/api/v1/ ', pushName: 'alice', password: 'pw', create: true })).toEqual({
      accountId: 'a',
      apiEndpoint: 'https://push.example/api/v1/',
      pushName: 'alice',
      password: 'pw',
      create: true,
    });
    expect(pushRequestSchemas['push.handshake.approve'].parse({ accountId: 'a', peer: ' Bob@B.Example ' })).toEqual({ accountId: 'a', peer: 'bob@b.example' });
  });

  it('refuses bad arguments', () => {
    const set = pushRequestSchemas['push.settings.set'];
    const good = { accountId: 'a', apiEndpoint: 'https://push.example/api/v1/', pushName: 'alice', password: 'pw', create: false };
    for (const bad of [
      { ...good, apiEndpoint: 'ftp://push.example/' },
      { ...good, apiEndpoint: 'javascript:alert(1)' },
      { ...good, pushName: 'a b' },
      { ...good, pushName: '' },
      { ...good, password: '' },
      { ...good, password: 'x'.repeat(101) },
      { ...good, create: 'yes' },
      { ...good, token: 'sneaky' },
    ]) {
      expect(set.safeParse(bad).success).toBe(false);
    }
    expect(pushRequestSchemas['push.wakeups.revoke'].safeParse({ accountId: 'a', peer: 'not a jid' }).success).toBe(false);
    expect(pushRequestSchemas['push.wakeups.list'].safeParse({ accountId: '' }).success).toBe(false);
  });

  it('describes every channel state in plain words', () => {
    const texts = pushChannelStatuses.map(describePushStatus);
    expect(new Set(texts).size).toBe(pushChannelStatuses.length);
    for (const t of texts) expect(t).toMatch(/^[A-Z]/);
  });
});
