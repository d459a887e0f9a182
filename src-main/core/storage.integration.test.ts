// What is on disk: the SQLCipher database keyed from the keychain, history across restarts,
// no plaintext anywhere in the profile directory, and no way in without the keychain entry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import keytar from 'keytar';
import { startStack, type Stack } from '../../scripts/stack/stack';
import { MessengerError } from '../../src-shared/ipc/result';
import { createCore } from './index';
import { DATABASE_KEY_ENTRY } from './keychain/keychain';
import { makeContacts, removeProfile, startCore, tempProfile, type TestCore, uniqueName } from './test-support/harness';

const run = promisify(execFile);
let stack: Stack;
const profiles: string[] = [];
const open: TestCore[] = [];

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  for (const c of open) await c.close().catch(() => {});
  for (const p of profiles) await removeProfile(p);
  await stack?.stop();
});

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(p)));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

/** every file of the profile that contains one of the needles (UTF-8 or UTF-16LE) */
async function plaintextHits(dir: string, needles: string[]): Promise<string[]> {
  const hits: string[] = [];
  for (const file of await filesUnder(dir)) {
    const data = await readFile(file);
    for (const n of needles) {
      if (data.includes(Buffer.from(n, 'utf8')) || data.includes(Buffer.from(n, 'utf16le'))) hits.push(`${file}: ${n}`);
    }
  }
  return hits;
}

async function signedIn(prefix: string, profileDir?: string) {
  const name = uniqueName(prefix);
  const password = `pw-${uniqueName('secret')}`;
  await stack.createAccount(name, password);
  const c = await startCore({ extraCaPem: stack.caPem, ...(profileDir ? { profileDir } : {}) });
  profiles.push(c.profileDir);
  open.push(c);
  const jid = `${name}@${stack.domain}`;
  const info = await c.core.handlers['account.add']({ jid, password, host: stack.host, port: stack.port });
  return { c, jid, accountId: info.id, password };
}

describe('profile storage', () => {
  it('keeps history across restarts, writes no plaintext, and cannot be opened without its keychain entry', async () => {
    const alice = await signedIn('alice');
    const bob = await signedIn('bob');
    await makeContacts(alice, bob);

    const outgoing = `outgoing-${uniqueName('marker')}-grüße`;
    const incoming = `incoming-${uniqueName('marker')}-ünïcødé`;
    const sent = await alice.c.core.handlers['message.send']({ accountId: alice.accountId, to: bob.jid, body: outgoing });
    await bob.c.waitFor('message.added', (m) => m.body === outgoing);
    await alice.c.waitFor('message.updated', (m) => m.id === sent.id && m.delivery === 'delivered');
    await bob.c.core.handlers['message.send']({ accountId: bob.accountId, to: alice.jid, body: incoming });
    await alice.c.waitFor('message.added', (m) => m.body === incoming);

    const secrets = [outgoing, incoming, alice.password, bob.password, alice.jid, bob.jid];
    // while running (database and WAL open)
    expect(await plaintextHits(alice.c.profileDir, secrets)).toEqual([]);
    expect(await plaintextHits(bob.c.profileDir, secrets)).toEqual([]);

    // closed, then reopened on the same profile and keychain entry: history is there
    await alice.c.close();
    expect(await plaintextHits(alice.c.profileDir, secrets)).toEqual([]);
    expect((await filesUnder(alice.c.profileDir)).length).toBeGreaterThan(0);
    const again = await startCore({ profileDir: alice.c.profileDir, keychainService: alice.c.keychainService, extraCaPem: stack.caPem });
    open.push(again);
    const snap = await again.core.handlers['app.snapshot']({});
    expect(snap.accounts).toEqual([expect.objectContaining({ id: alice.accountId, jid: alice.jid })]);
    expect(snap.contacts.find((c) => c.jid === bob.jid)).toMatchObject({ subscription: 'both', unread: 1 });
    const page = await again.core.handlers['messages.page']({ accountId: alice.accountId, peer: bob.jid, limit: 50 });
    expect(page.map((m) => [m.direction, m.body, m.delivery])).toEqual([
      ['out', outgoing, 'delivered'],
      ['in', incoming, 'delivered'],
    ]);
    // the password came from the keychain: the account signs in by itself
    await again.waitFor('account.updated', (a) => a.id === alice.accountId && a.status === 'online');
    await again.close();

    // Without the keychain entry the profile does not open: a typed error, and nothing is lost.
    const key = await keytar.getPassword(alice.c.keychainService, DATABASE_KEY_ENTRY);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(await keytar.deletePassword(alice.c.keychainService, DATABASE_KEY_ENTRY)).toBe(true);
    const sizeBefore = (await stat(join(alice.c.profileDir, 'messenger.db'))).size;
    const refused = await createCore({ profileDir: alice.c.profileDir, keychainService: alice.c.keychainService, extraCaPem: stack.caPem }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(MessengerError);
    expect((refused as MessengerError).code).toBe('keychain-unavailable');
    expect((refused as MessengerError).message).toMatch(/not in the keychain/);
    expect((await stat(join(alice.c.profileDir, 'messenger.db'))).size).toBe(sizeBefore);

    // A different key does not open it either.
    await keytar.setPassword(alice.c.keychainService, DATABASE_KEY_ENTRY, 'ab'.repeat(32));
    const wrongKey = await createCore({ profileDir: alice.c.profileDir, keychainService: alice.c.keychainService }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((wrongKey as MessengerError).code).toBe('keychain-unavailable');

    // The right key again: everything is still there.
    await keytar.setPassword(alice.c.keychainService, DATABASE_KEY_ENTRY, key as string);
    const restored = await startCore({ profileDir: alice.c.profileDir, keychainService: alice.c.keychainService, extraCaPem: stack.caPem });
    open.push(restored);
    expect((await restored.core.handlers['messages.page']({ accountId: alice.accountId, peer: bob.jid, limit: 50 })).map((m) => m.body)).toEqual([
      outgoing,
      incoming,
    ]);
    await restored.close();
    await keytar.deletePassword(alice.c.keychainService, DATABASE_KEY_ENTRY);
  });

  it('no keychain reachable: keychain-unavailable with directions, and no database is created', async () => {
    const dir = await tempProfile();
    profiles.push(dir);
    const env = { ...process.env };
    delete env.DBUS_SESSION_BUS_ADDRESS;
    delete env.DISPLAY;
    const { stdout } = await run(join(process.cwd(), 'node_modules/.bin/tsx'), [join(import.meta.dirname, 'test-support/open-profile.ts'), dir], {
      env,
      timeout: 60_000,
    });
    const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { code?: string; message?: string };
    expect(result.code).toBe('keychain-unavailable');
    expect(result.message).toMatch(/keychain/i);
    expect(await filesUnder(dir)).toEqual([]);
  });
});
