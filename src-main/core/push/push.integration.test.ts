// The push module inside the running core (issue 14 "A push account per XMPP account"), through
// the IPC handlers, against the real push servers and Prosody of the two-domain stack and the
// real keychain: none by default, create or sign in, the desktop channel connected (status
// events), secrets in the keychain only, the channel back after a restart, wrong credentials
// refused in plain words, and turning wake-ups off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKeyStore } from '../keychain/keychain';
import { closeAndRemove, startCore, uniqueName, type TestCore } from '../test-support/harness';
import { startTwoDomains, type TwoDomainStack } from '../../../scripts/stack/two-domains';
import { pushDeviceEntry, pushPasswordEntry, pushTokenEntry } from './push-account';

let stack: TwoDomainStack;
const cores: TestCore[] = [];

beforeAll(async () => {
  stack = await startTwoDomains({ push: true });
});
afterAll(async () => {
  await closeAndRemove(cores);
  await stack?.stop();
});

async function signedIn(): Promise<{ c: TestCore; accountId: string }> {
  const name = uniqueName('alice');
  await stack.a.createAccount(name, 'xmpp-pw');
  const c = await startCore({ extraCaPem: stack.caPem });
  cores.push(c);
  const info = await c.core.handlers['account.add']({ jid: `${name}@${stack.a.domain}`, password: 'xmpp-pw', host: stack.a.host, port: stack.a.port });
  return { c, accountId: info.id };
}

describe('push accounts in the core', () => {
  it('off by default; create, connect, keep secrets in the keychain, resume after a restart, turn off', async () => {
    const { c, accountId } = await signedIn();
    expect(await c.core.handlers['push.settings.get']({ accountId })).toEqual({ accountId, apiEndpoint: null, pushName: null, status: 'off' });

    const pushName = uniqueName('p');
    const set = await c.core.handlers['push.settings.set']({ accountId, apiEndpoint: stack.a.push!.endpoint, pushName, password: 'push-pw-1', create: true });
    expect(set).toMatchObject({ apiEndpoint: stack.a.push!.endpoint, pushName });
    await c.waitFor('push.status', (s) => s.accountId === accountId && s.status === 'connected');
    const keys = openKeyStore(c.keychainService);
    expect(await keys.get(pushPasswordEntry(accountId))).toBe('push-pw-1');
    expect(await keys.get(pushTokenEntry(accountId))).toMatch(/^\S{20,}$/);
    expect(await keys.get(pushDeviceEntry(accountId))).toMatch(/^\S{20,}$/);
    // nothing secret reached the renderer's events
    expect(JSON.stringify(c.events)).not.toContain('push-pw-1');
    expect(JSON.stringify(c.events)).not.toContain((await keys.get(pushTokenEntry(accountId)))!);

    // a restart: the stored push account reconnects its channel by itself
    await c.close();
    const again = await startCore({ profileDir: c.profileDir, keychainService: c.keychainService, extraCaPem: stack.caPem });
    cores.push(again);
    await again.waitFor('push.status', (s) => s.accountId === accountId && s.status === 'connected');
    expect(await again.core.handlers['push.wakeups.list']({ accountId })).toEqual([]);

    const off = await again.core.handlers['push.settings.disable']({ accountId });
    expect(off).toMatchObject({ apiEndpoint: null, status: 'off' });
    expect(await keys.get(pushTokenEntry(accountId))).toBeNull();
    expect(await keys.get(pushDeviceEntry(accountId))).toBeNull();
  });

  it('wrong credentials and an unreachable server are refused in plain words, nothing stored', async () => {
    const { c, accountId } = await signedIn();
    const pushName = uniqueName('p');
    await c.core.handlers['push.settings.set']({ accountId, apiEndpoint: stack.b.push!.endpoint, pushName, password: 'right-pw', create: true });
    await c.core.handlers['push.settings.disable']({ accountId });
    await expect(
      c.core.handlers['push.settings.set']({ accountId, apiEndpoint: stack.b.push!.endpoint, pushName, password: 'wrong-pw', create: false }),
    ).rejects.toMatchObject({ code: 'auth-failed' });
    await expect(
      c.core.handlers['push.settings.set']({ accountId, apiEndpoint: 'https://127.0.0.1:1/api/v1/', pushName, password: 'right-pw', create: false }),
    ).rejects.toMatchObject({ code: 'server-unreachable' });
    expect(await c.core.handlers['push.settings.get']({ accountId })).toMatchObject({ apiEndpoint: null, status: 'off' });
    expect(await openKeyStore(c.keychainService).get(pushPasswordEntry(accountId))).toBeNull();
    // without a push account there is no handshake: a plain refusal
    await expect(c.core.handlers['push.handshake.approve']({ accountId, peer: `bob@${stack.b.domain}` })).rejects.toMatchObject({ code: 'not-found' });
  });
});
