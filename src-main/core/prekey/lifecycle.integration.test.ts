// The account lifecycle publishing to the prekey server (docs/prekey-server.md "Wiring into an
// account"): real Prosody (scripts/stack), the real prekey server (its CLI, a child process), real
// cores on the real keychain. Run inside a throwaway keyring session (docs/core.md, "Tests").
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import keytar from 'keytar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../../scripts/stack/stack';
import { nativeDh3072Engine } from '../../../src-shared/node-crypto/dh-engines';
import { SecretStore, makeDevice, random } from '../../../src-shared/prekey/test-support/device';
import { openKeyStore } from '../keychain/keychain';
import { generateIdentity, identityVaults, storedIdentity, type OtrAccountIdentity } from '../otr/identity';
import { systemRandom } from '../../../src-shared/node-crypto/dh-engines';
import { signedInUser, uniqueName, type TestCore } from '../test-support/harness';
import { DEFAULT_REPLENISH, PrekeyClient } from './client';
import { PREKEY_RETENTION, type PrekeyOutcome, prekeyPinsEntry, startPrekeyLifecycle } from './lifecycle';
import { forgetStalePrekeys, renewProfiles } from '../../../src-shared/otr/v4/identity';
import { type Connection, type ServerProcess, connect, startServerProcess, tearDownPrekeyTest } from './test-support/harness';
import { listenToPrekeyOutcomes, type PrekeyOutcomes } from './test-support/outcomes';

let stack: Stack;
let dataDir: string;
let server: ServerProcess | undefined;
const cores: TestCore[] = [];
const conns: Connection[] = [];

// every outcome of the background publication, as the core reports it
let outcomes: PrekeyOutcomes;
const outcome = (accountId: string, n = 0): Promise<PrekeyOutcome> => outcomes.wait(accountId, undefined, n);

beforeAll(async () => {
  outcomes = listenToPrekeyOutcomes();
  stack = await startStack({ accounts: [{ user: 'carol', password: 'carol-pw' }] });
  dataDir = mkdtempSync(join(tmpdir(), 'prekey-life-'));
});

afterAll(() => tearDownPrekeyTest({ outcomes, conns, cores, server, stack, dataDir }));

async function user(prefix: string): Promise<{ c: TestCore; jid: string; accountId: string }> {
  const u = await signedInUser(stack, prefix);
  cores.push(u.c);
  expect((await u.c.core.handlers['app.snapshot']({})).accounts.find((a) => a.id === u.accountId)?.status).toBe('online');
  return u;
}

async function identityOf(c: TestCore, accountId: string): Promise<OtrAccountIdentity> {
  // the keys live sealed in the profile database (otr/identity.ts), read through the core's vault
  const id = await storedIdentity(identityVaults.get(c.core)!, accountId);
  if (id === null) throw new Error('no identity in the profile');
  return id;
}

describe('prekey publication in the account lifecycle', () => {
  it('without a running prekey server: logs in normally and stops after discovery', async () => {
    // the stack configures the component prekeys.<domain>, but nothing is connected to it
    const u = await user('nopk');
    expect(await outcome(u.accountId)).toEqual({ accountId: u.accountId, outcome: 'no-server' });
    expect(await keytar.getPassword(u.c.keychainService, prekeyPinsEntry(u.accountId))).toBeNull();
    // no prekey secret was made or kept
    expect((await identityOf(u.c, u.accountId)).v4.prekeys.size).toBe(0);
    await u.c.core.handlers['account.disconnect']({ accountId: u.accountId });
  });

  let alice: Awaited<ReturnType<typeof user>>;
  let bob: Awaited<ReturnType<typeof user>>;

  it('two accounts publish on login; a third party retrieves one valid ensemble per instance tag', async () => {
    server = await startServerProcess(stack, dataDir);
    [alice, bob] = await Promise.all([user('alice'), user('bob')]);
    for (const u of [alice, bob]) {
      const o = await outcome(u.accountId);
      expect(o).toEqual({ accountId: u.accountId, outcome: 'published', server: stack.componentDomain, before: 0, published: DEFAULT_REPLENISH.target });
      // the fingerprint is pinned on first use
      expect(await keytar.getPassword(u.c.keychainService, prekeyPinsEntry(u.accountId))).toBe(JSON.stringify({ [stack.componentDomain]: server.fingerprint }));
    }

    const conn = await connect(stack, 'carol', 'carol-pw', 'desk');
    conns.push(conn);
    const carol = new PrekeyClient({
      xmpp: conn.xmpp,
      device: makeDevice(),
      random,
      clock: Date.now,
      engine: nativeDh3072Engine(),
      savePrekeySecrets: new SecretStore().save,
    });
    try {
      for (const u of [alice, bob]) {
        const id = await identityOf(u.c, u.accountId);
        // the secrets of every published prekey message are stored with the identity
        expect(id.v4.prekeys.size).toBe(DEFAULT_REPLENISH.target);
        const got = await carol.retrieve(u.jid);
        expect(got.received).toBe(1);
        expect([...got.byInstanceTag.keys()]).toEqual([id.instanceTag]);
        const e = got.byInstanceTag.get(id.instanceTag)!;
        expect(e.clientProfile.publicKey.equals(id.v4.longTerm.public)).toBe(true);
        expect(e.clientProfile.encoded).toEqual(id.v4.clientProfiles[0]!.encoded);
        expect(e.prekeyProfile.encoded).toEqual(id.v4.sharedPrekeys[0]!.profile.encoded);
        expect(id.v4.prekeys.has(e.prekeyMessage.id)).toBe(true);
      }
    } finally {
      carol.close();
    }
  });

  it('refuses a prekey server whose fingerprint changed: nothing is published', async () => {
    const pins = prekeyPinsEntry(alice.accountId);
    const other = 'AB'.repeat(56);
    await keytar.setPassword(alice.c.keychainService, pins, JSON.stringify({ [stack.componentDomain]: other }));
    const seen = server!.events.length;
    await alice.c.core.handlers['account.disconnect']({ accountId: alice.accountId });
    const info = await alice.c.core.handlers['account.connect']({ accountId: alice.accountId });
    expect(info.status).toBe('online');
    expect(await outcome(alice.accountId, 1)).toEqual({
      accountId: alice.accountId,
      outcome: 'fingerprint-changed',
      server: stack.componentDomain,
      announced: server!.fingerprint,
    });
    // the user is told, on the account (the notice's peer is the account's own address), with the
    // server and the key it presents now
    const notice = await alice.c.waitFor('otr.notice', (n) => n.kind === 'prekey-server-changed');
    expect(notice).toMatchObject({
      accountId: alice.accountId,
      peer: alice.jid,
      server: stack.componentDomain,
      fingerprint: server!.fingerprint.toLowerCase(),
      whose: 'own',
    });
    // the pin is kept, and the server saw no DAKE from alice
    expect(await keytar.getPassword(alice.c.keychainService, pins)).toBe(JSON.stringify({ [stack.componentDomain]: other }));
    expect(server!.events.slice(seen).filter((e) => JSON.stringify(e).includes(alice.jid))).toEqual([]);

    // she checked the new key with her server's administrator and accepts it: pinned, published
    await alice.c.core.handlers['otr.prekeyServer.trust']({ accountId: alice.accountId, server: notice.server!, fingerprint: notice.fingerprint! });
    expect(await keytar.getPassword(alice.c.keychainService, pins)).toBe(JSON.stringify({ [stack.componentDomain]: server!.fingerprint }));
    expect(await outcome(alice.accountId, 2)).toMatchObject({ outcome: 'published', server: stack.componentDomain });
  });

  it('a later login with a full stock publishes the profiles and no prekey messages', async () => {
    await bob.c.core.handlers['account.disconnect']({ accountId: bob.accountId });
    await bob.c.core.handlers['account.connect']({ accountId: bob.accountId });
    // 100 were published and one handed out: 99 ≥ the threshold
    expect(await outcome(bob.accountId, 1)).toEqual({
      accountId: bob.accountId,
      outcome: 'published',
      server: stack.componentDomain,
      before: DEFAULT_REPLENISH.target - 1,
      published: 0,
    });
  });
});

describe('the prekey stock after prekeys were used', () => {
  it('forgets stale secrets at login, tops the stock up when a use brings it below the threshold, publishes renewed profiles', async () => {
    const name = uniqueName('erin');
    await stack.createAccount(name, `pw-${name}`);
    const conn = await connect(stack, name, `pw-${name}`, 'laptop');
    conns.push(conn);
    const keys = openKeyStore(`messenger-test-${uniqueName('')}`);
    const accountId = `acct-${name}`;
    const identity = await generateIdentity(systemRandom, Date.now());
    // a secret kept from a publication 90 days ago: no server holds its prekey message any more
    identity.v4.prekeys.set(7, {
      id: 7,
      ownerTag: identity.instanceTag,
      ecdh: { secret: 5n, public: identity.v4.longTerm.public },
      dh: { secret: 9n, public: 3n },
      madeAt: Date.now() - 90 * 86400_000,
    });
    const policy = { threshold: 3, target: 5 };
    let profileClock = Date.now();
    const life = startPrekeyLifecycle({
      accountId,
      client: conn.client,
      keys,
      identity: () => Promise.resolve(identity),
      savePrekeySecrets: async (secrets) => {
        for (const x of secrets) identity.v4.prekeys.set(x.id, x);
      },
      forgetStalePrekeys: async (r) => forgetStalePrekeys(identity.v4, Date.now(), r),
      // the profiles' clock: moved 6.5 days on below, when they are due (renewed a day before expiry)
      renewProfiles: async () => {
        const r = renewProfiles(identity.v4, systemRandom, profileClock);
        return !!(r.clientProfile || r.prekeyProfile);
      },
      policy,
    });
    try {
      expect(await life.done).toMatchObject({ outcome: 'published', before: 0, published: 5 });
      expect(identity.v4.prekeys.has(7)).toBe(false);
      expect(identity.v4.prekeys.size).toBe(5);
      expect(PREKEY_RETENTION.maxAgeMs).toBeLessThan(90 * 86400_000);

      // nothing used yet, nothing missing: a check publishes nothing
      expect(await life.replenish()).toMatchObject({ outcome: 'published', trigger: 'prekey-used', before: 5, published: 0 });
      // a contact fetches three ensembles (three handed out): 2 left, below the threshold
      const fetcher = await connect(stack, 'carol', 'carol-pw', `fetch-${name}`);
      conns.push(fetcher);
      const carol = new PrekeyClient({
        xmpp: fetcher.xmpp,
        device: makeDevice(),
        random,
        clock: Date.now,
        engine: nativeDh3072Engine(),
        savePrekeySecrets: new SecretStore().save,
      });
      try {
        for (let i = 0; i < 3; i++) expect((await carol.retrieve(conn.jid)).byInstanceTag.size).toBe(1);
        expect(await life.replenish()).toMatchObject({ outcome: 'published', trigger: 'prekey-used', before: 2, published: 3 });
        expect(identity.v4.prekeys.size).toBe(8);

        // profiles not due: a renewal check does nothing
        expect(await life.checkRenewal()).toBeUndefined();
        const oldProfile = identity.v4.clientProfiles[0]!.encoded;
        // 6.5 days later the profiles are due: renewed and published with the session still up
        profileClock += 6.5 * 86400_000;
        expect(await life.checkRenewal()).toMatchObject({ outcome: 'published', trigger: 'renewal', before: 5, published: 0 });
        const renewed = identity.v4.clientProfiles[0]!.encoded;
        expect(renewed).not.toEqual(oldProfile);
        const got = (await carol.retrieve(conn.jid)).byInstanceTag.get(identity.instanceTag)!;
        expect(got.clientProfile.encoded).toEqual(renewed);
        expect(got.prekeyProfile.encoded).toEqual(identity.v4.sharedPrekeys[0]!.profile.encoded);
      } finally {
        carol.close();
      }
    } finally {
      life.close();
      await keys.delete(prekeyPinsEntry(accountId));
    }
  });
});
