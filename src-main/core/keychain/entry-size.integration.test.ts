// Review finding 1: an account's OTR keys were one keychain entry of about 117 KB (100 prekey
// secrets), and Windows Credential Manager holds at most 2,560 bytes per entry, so OTR could never
// start there. After a full account setup (signed in, OTR keys made, prekeys published to the real
// prekey server) every entry the core wrote under its keychain service fits that limit. Also: the
// client profile the account published is transitional and verifies with its OTRv3 DSA key
// (otrv4.md §"Client Profile Data Type"). Real Prosody, real prekey server, real keychain.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import keytar from 'keytar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../../scripts/stack/stack';
import { nativeDh3072Engine } from '../../../src-shared/node-crypto/dh-engines';
import { dsaVerify, encodePublicKey } from '../../../src-shared/otr/v3/dsa';
import { validateClientProfile } from '../../../src-shared/otr/v4/client-profile';
import { SecretStore, makeDevice, random } from '../../../src-shared/prekey/test-support/device';
import { identityVaults, storedIdentity } from '../otr/identity';
import { DEFAULT_REPLENISH, PrekeyClient } from '../prekey/client';
import { type Connection, type ServerProcess, connect, startServerProcess, tearDownPrekeyTest } from '../prekey/test-support/harness';
import { listenToPrekeyOutcomes, type PrekeyOutcomes } from '../prekey/test-support/outcomes';
import { signedInUser, type TestCore } from '../test-support/harness';
import { KEYCHAIN_ENTRY_MAX_BYTES } from './keychain';

let stack: Stack;
let dataDir: string;
let server: ServerProcess | undefined;
let outcomes: PrekeyOutcomes;
const cores: TestCore[] = [];
const conns: Connection[] = [];

beforeAll(async () => {
  outcomes = listenToPrekeyOutcomes();
  stack = await startStack({ accounts: [{ user: 'carol', password: 'carol-pw' }] });
  dataDir = mkdtempSync(join(tmpdir(), 'keychain-size-'));
  server = await startServerProcess(stack, dataDir);
});

afterAll(() => tearDownPrekeyTest({ outcomes, conns, cores, server, stack, dataDir }));

describe('keychain entries after a full account setup', () => {
  it('each fits a Windows credential (2,560 bytes); the OTR keys and prekey secrets are in the profile', async () => {
    const u = await signedInUser(stack, 'dana');
    cores.push(u.c);
    expect(await outcomes.wait(u.accountId, (o) => o.outcome === 'published')).toMatchObject({ published: DEFAULT_REPLENISH.target });

    const entries = await keytar.findCredentials(u.c.keychainService);
    // the database key, the data key, the password, the pinned prekey server: nothing else
    expect(entries.map((e) => e.account).sort()).toEqual(
      ['account-password:' + u.accountId, 'data-key', 'database-key', 'otr-prekey-pins:' + u.accountId].sort(),
    );
    for (const e of entries)
      expect({ entry: e.account, fits: Buffer.byteLength(e.password, 'utf8') <= KEYCHAIN_ENTRY_MAX_BYTES }).toEqual({ entry: e.account, fits: true });

    const id = await storedIdentity(identityVaults.get(u.c.core)!, u.accountId);
    expect(id!.v4.prekeys.size).toBe(DEFAULT_REPLENISH.target);

    // what a contact fetches from the prekey server: the transitional client profile
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
      const got = await carol.retrieve(u.jid);
      const cp = got.byInstanceTag.get(id!.instanceTag)!.clientProfile;
      expect(() => validateClientProfile(cp, { nowMs: Date.now() })).not.toThrow();
      expect(cp.versions).toBe('34');
      expect(cp.dsaPublicKey).toEqual(encodePublicKey(id!.v3.dsaKey));
      // m = fields 0x0001–0x0006: after INT n, before field 0x0007 (SHORT + 40 bytes) and the Ed448 signature
      const m = cp.encoded.subarray(4, cp.encoded.length - 114 - 2 - 40);
      expect(dsaVerify(id!.v3.dsaKey, m, cp.transitionalSignature!)).toBe(true);
    } finally {
      carol.close();
    }
  });
});
