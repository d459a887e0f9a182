// The account's OTR keys on the real keychain and a real SQLCipher profile (keytar over the Secret
// Service; run under dbus-run-session with gnome-keyring, see docs/otr-in-the-app.md): generated
// once and read back identical, kept sealed in the database with only small keys in the keychain
// (Windows holds 2,560 bytes per entry), moved there from the keychain entry of an older profile,
// damaged or misplaced values refused, deleted with the account; the published client profile
// is transitional (versions "34": DSA key and transitional signature, otrv4.md §"Client Profile
// Data Type").
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import keytar from 'keytar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemRandom } from '../../../src-shared/node-crypto/dh-engines';
import { dsaVerify, encodePublicKey } from '../../../src-shared/otr/v3/dsa';
import { serializeIdentity } from '../../../src-shared/otr/v3/identity';
import { decodeClientProfile, validateClientProfile, type ClientProfile } from '../../../src-shared/otr/v4/client-profile';
import { createLocalIdentity, generatePrekeyMessages, serializeLocalIdentity } from '../../../src-shared/otr/v4/identity';
import { nativeDh3072Engine } from '../../../src-shared/node-crypto/dh-engines';
import { DATA_KEY_ENTRY } from '../keychain/data-key';
import { KEYCHAIN_ENTRY_MAX_BYTES, openKeyStore } from '../keychain/keychain';
import { openDatabase, type Store } from '../store/store';
import {
  deleteIdentity,
  generateIdentity,
  loadOrCreateIdentity,
  otrIdentityEntry,
  ourFingerprints,
  saveIdentity,
  storedIdentity,
  type IdentityVault,
} from './identity';
import { OtrStore } from './otr-store';

const service = `messenger-otr-test-${randomBytes(6).toString('hex')}`;
const keys = openKeyStore(service);
let dir: string;
let db: Store;
let vault: IdentityVault;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'otr-identity-'));
  db = openDatabase(join(dir, 'p.db'), randomBytes(32).toString('hex'));
  vault = { keys, store: new OtrStore(db.database) };
});

afterAll(async () => {
  for (const c of await keytar.findCredentials(service)) await keytar.deletePassword(service, c.account);
  db.close();
  await rm(dir, { recursive: true, force: true });
});

/** every entry this keychain service holds, with its size in bytes (keytar stores UTF-8) */
async function entrySizes(): Promise<Record<string, number>> {
  return Object.fromEntries((await keytar.findCredentials(service)).map((c) => [c.account, Buffer.byteLength(c.password, 'utf8')]));
}

/** what the spec's §"Validating a Client Profile" asks, plus the optional transitional check */
function expectTransitional(p: ClientProfile, dsa: Parameters<typeof encodePublicKey>[0]): void {
  const back = decodeClientProfile(p.encoded);
  expect(() => validateClientProfile(back, { nowMs: Date.now() })).not.toThrow();
  expect(back.versions).toBe('34');
  expect(back.dsaPublicKey).toEqual(encodePublicKey(dsa));
  expect(back.transitionalSignature).toHaveLength(40);
  // §"Create a Client Profile Signature": m = fields 0x0001–0x0006 as they are encoded, i.e. the
  // profile after INT n up to where field 0x0007 starts (type SHORT + 40 bytes + 114-byte Ed448 sig)
  const m = back.encoded.subarray(4, back.encoded.length - 114 - 2 - 40);
  expect(dsaVerify(dsa, m, back.transitionalSignature!)).toBe(true);
  // and it is bound to those bytes: one changed byte (the expiry's last) does not verify
  const other = Uint8Array.from(m);
  const expiryEnd = m.length - 2 - encodePublicKey(dsa).length; // field 0x0006 follows the expiry
  other[expiryEnd - 1]! ^= 1;
  expect(dsaVerify(dsa, other, back.transitionalSignature!)).toBe(false);
}

describe('OTR identity in the profile', () => {
  it('is generated on first use, once, read back identical, and kept in the database, not the keychain', async () => {
    const accountId = 'acct-1';
    expect(await storedIdentity(vault, accountId)).toBeNull();
    // two concurrent first uses share one generation
    const [a, b] = await Promise.all([
      loadOrCreateIdentity(vault, accountId, systemRandom, Date.now),
      loadOrCreateIdentity(vault, accountId, systemRandom, Date.now),
    ]);
    expect(ourFingerprints(a)).toEqual(ourFingerprints(b));
    const again = await loadOrCreateIdentity(vault, accountId, systemRandom, Date.now);
    expect(ourFingerprints(again)).toEqual(ourFingerprints(a));
    expect(again.instanceTag).toBe(a.instanceTag);
    expect(again.v3.instanceTag).toBe(again.v4.instanceTag);
    const fps = ourFingerprints(a);
    expect(fps.v3).toMatch(/^[0-9a-f]{40}$/);
    expect(fps.v4).toMatch(/^[0-9a-f]{112}$/);

    // a hundred prekey secrets make it big; it still goes to the database, the keychain holds small keys
    generatePrekeyMessages(a.v4, systemRandom, nativeDh3072Engine(), 100);
    await saveIdentity(vault, accountId, a);
    expect((await storedIdentity(vault, accountId))!.v4.prekeys.size).toBe(100);
    expect(vault.store.sealedIdentity(accountId)!.length).toBeGreaterThan(50_000);
    const sizes = await entrySizes();
    expect(Object.keys(sizes)).toEqual([DATA_KEY_ENTRY]);
    for (const [entry, size] of Object.entries(sizes)) expect([entry, size <= KEYCHAIN_ENTRY_MAX_BYTES]).toEqual([entry, true]);
    // the database row is sealed: no key material in clear
    expect(vault.store.sealedIdentity(accountId)).not.toContain(serializeIdentity(a.v3).slice(20, 60));
  }, 120_000);

  it('publishes a transitional client profile: DSA key and transitional signature, verifiable with the OTRv3 key', async () => {
    const id = (await storedIdentity(vault, 'acct-1'))!;
    expectTransitional(id.v4.clientProfiles[0]!, id.v3.dsaKey);
  });

  it('moves the keychain entry of an older profile into the database, then deletes the entry', async () => {
    const accountId = 'acct-old';
    // an identity as older versions stored it: one keychain entry, client profile without the
    // transitional signature (the keychain limit is ours, so write it past the KeyStore)
    const old = await generateIdentity(systemRandom, Date.now());
    const plain = createLocalIdentity({ random: systemRandom, nowMs: Date.now(), versions: '34', instanceTag: old.instanceTag });
    old.v4 = plain;
    expect(old.v4.clientProfiles[0]!.transitionalSignature).toBeUndefined();
    const text = JSON.stringify({ v: 1, v3: serializeIdentity(old.v3), v4: serializeLocalIdentity(old.v4) });
    await keytar.setPassword(service, otrIdentityEntry(accountId), text);

    const loaded = await loadOrCreateIdentity(vault, accountId, systemRandom, Date.now);
    expect(loaded.instanceTag).toBe(old.instanceTag);
    expect(ourFingerprints(loaded).v3).toBe(ourFingerprints(old).v3);
    expect(loaded.v4.longTerm.public.equals(old.v4.longTerm.public)).toBe(true);
    expect(await keytar.getPassword(service, otrIdentityEntry(accountId))).toBeNull();
    const stored = (await storedIdentity(vault, accountId))!;
    expect(stored.instanceTag).toBe(old.instanceTag);
    // its profile became transitional on the way (published at the next login)
    expectTransitional(stored.v4.clientProfiles[0]!, stored.v3.dsaKey);
  }, 120_000);

  it('refuses a damaged keychain entry with a typed error instead of making new keys silently', async () => {
    await keys.set(otrIdentityEntry('acct-damaged'), '{"v":1,"v3":"nope","v4":"nope"}');
    await expect(loadOrCreateIdentity(vault, 'acct-damaged', systemRandom, Date.now)).rejects.toMatchObject({ code: 'keychain-unavailable' });
    expect(await storedIdentity(vault, 'acct-damaged')).toBeNull();
    await keys.delete(otrIdentityEntry('acct-damaged'));
  });

  it('refuses a sealed row moved to another account, or changed', async () => {
    const sealed = vault.store.sealedIdentity('acct-1')!;
    vault.store.setSealedIdentity('acct-moved', sealed, Date.now());
    await expect(storedIdentity(vault, 'acct-moved')).rejects.toMatchObject({ code: 'keychain-unavailable' });
    const flipped = sealed.slice(0, 40) + (sealed[40] === 'A' ? 'B' : 'A') + sealed.slice(41);
    vault.store.setSealedIdentity('acct-moved', flipped, Date.now());
    await expect(storedIdentity(vault, 'acct-moved')).rejects.toMatchObject({ code: 'keychain-unavailable' });
    vault.store.deleteSealedIdentity('acct-moved');
  });

  it('never writes a keychain entry over the Windows limit, on any platform', async () => {
    await expect(keys.set('too-big', 'x'.repeat(KEYCHAIN_ENTRY_MAX_BYTES + 1))).rejects.toMatchObject({ code: 'internal' });
    expect(await keytar.getPassword(service, 'too-big')).toBeNull();
  });

  it('is deleted with the account', async () => {
    await deleteIdentity(keys, 'acct-1', vault.store);
    expect(await storedIdentity(vault, 'acct-1')).toBeNull();
    expect(await keys.get(otrIdentityEntry('acct-1'))).toBeNull();
    // another account's keys stay
    expect(await storedIdentity(vault, 'acct-old')).not.toBeNull();
  });
});
