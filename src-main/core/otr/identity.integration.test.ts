// The account's OTR keys in the real OS keychain (keytar over the Secret Service; run under
// dbus-run-session with gnome-keyring, see docs/otr-in-the-app.md): generated once, read back
// identical, damaged entries refused, deleted with the account.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { openKeyStore } from '../keychain/keychain';
import { systemRandom } from '../../../src-shared/node-crypto/dh-engines';
import { deleteIdentity, loadOrCreateIdentity, otrIdentityEntry, ourFingerprints } from './identity';

const keys = openKeyStore(`messenger-otr-test-${randomBytes(6).toString('hex')}`);
const accountId = 'acct-1';

afterAll(async () => {
  await deleteIdentity(keys, accountId);
  await keys.delete(otrIdentityEntry('acct-damaged')).catch(() => false);
});

describe('OTR identity in the keychain', () => {
  it('is generated on first use, once, and read back identical', async () => {
    expect(await keys.get(otrIdentityEntry(accountId))).toBeNull();
    // two concurrent first uses share one generation
    const [a, b] = await Promise.all([loadOrCreateIdentity(keys, accountId, systemRandom, Date.now), loadOrCreateIdentity(keys, accountId, systemRandom, Date.now)]);
    expect(ourFingerprints(a)).toEqual(ourFingerprints(b));
    const again = await loadOrCreateIdentity(keys, accountId, systemRandom, Date.now);
    expect(ourFingerprints(again)).toEqual(ourFingerprints(a));
    expect(again.instanceTag).toBe(a.instanceTag);
    expect(again.v3.instanceTag).toBe(again.v4.instanceTag);
    const fps = ourFingerprints(a);
    expect(fps.v3).toMatch(/^[0-9a-f]{40}$/);
    expect(fps.v4).toMatch(/^[0-9a-f]{112}$/);
  }, 60_000);

  it('refuses a damaged entry with a typed error instead of making new keys silently', async () => {
    await keys.set(otrIdentityEntry('acct-damaged'), '{"v":1,"v3":"nope","v4":"nope"}');
    await expect(loadOrCreateIdentity(keys, 'acct-damaged', systemRandom, Date.now)).rejects.toMatchObject({ code: 'keychain-unavailable' });
  });

  it('is deleted with the account', async () => {
    await deleteIdentity(keys, accountId);
    expect(await keys.get(otrIdentityEntry(accountId))).toBeNull();
  });
});
