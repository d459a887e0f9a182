// Test helpers for the core's integration tests: a core on a fresh profile, and waiting on its
// events (never on sleeps; the timeout is only a safety net).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Contact, EventName, EventPayloads, MessengerEvent } from '../../../src-shared/ipc/contract';
import type { Stack } from '../../../scripts/stack/stack';
import type { Core } from '../api';
import { createCore, DATABASE_FILE } from '../index';
import { DATABASE_KEY_ENTRY, openKeyStore } from '../keychain/keychain';
import { openDatabase } from '../store/store';

export interface TestCore {
  core: Core;
  profileDir: string;
  keychainService: string;
  events: MessengerEvent[];
  /** resolves with the first event (already seen or future) that matches */
  waitFor<K extends EventName>(name: K, match?: (p: EventPayloads[K]) => boolean, timeoutMs?: number): Promise<EventPayloads[K]>;
  /** closes the core (keeps the profile) */
  close(): Promise<void>;
}

export async function tempProfile(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'messenger-profile-'));
}

export async function removeProfile(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(4).toString('hex')}`;
}

export async function startCore(opts: { profileDir?: string; extraCaPem?: string; keychainService?: string } = {}): Promise<TestCore> {
  const profileDir = opts.profileDir ?? (await tempProfile());
  const keychainService = opts.keychainService ?? `messenger-test-${randomBytes(6).toString('hex')}`;
  const core = await createCore({ profileDir, keychainService, ...(opts.extraCaPem ? { extraCaPem: opts.extraCaPem } : {}) });
  const events: MessengerEvent[] = [];
  const waiters = new Set<(e: MessengerEvent) => void>();
  core.onEvent((e) => {
    events.push(e);
    for (const w of [...waiters]) w(e);
  });
  return {
    core,
    profileDir,
    keychainService,
    events,
    waitFor(name, match = () => true, timeoutMs = 20_000) {
      type P = EventPayloads[typeof name];
      const seen = events.find((e) => e.name === name && match(e.payload as P));
      if (seen) return Promise.resolve(seen.payload as P);
      // created here so that its stack names the waiting line of the test
      const timeoutError = new Error(`timed out waiting for ${name}`);
      return new Promise<P>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(w);
          // what the core was doing meanwhile, for the reader of a CI log (names and statuses only)
          const recent = events.slice(-8).map((e) => (e.name === 'account.updated' ? `account.updated:${(e.payload as { status: string }).status}` : e.name));
          timeoutError.message += ` (last events: ${recent.join(', ') || 'none'})`;
          reject(timeoutError);
        }, timeoutMs);
        const w = (e: MessengerEvent) => {
          if (e.name === name && match(e.payload as P)) {
            clearTimeout(timer);
            waiters.delete(w);
            resolve(e.payload as P);
          }
        };
        waiters.add(w);
      });
    },
    close: () => core.close(),
  };
}

/** a new account on the local stack, signed in from a core of its own on a fresh profile */
export async function signedInUser(stack: Stack, prefix: string): Promise<{ c: TestCore; jid: string; accountId: string; password: string }> {
  const name = uniqueName(prefix);
  const password = `pw-${uniqueName('')}`;
  await stack.createAccount(name, password);
  const c = await startCore({ extraCaPem: stack.caPem });
  const jid = `${name}@${stack.domain}`;
  try {
    const info = await c.core.handlers['account.add']({ jid, password, host: stack.host, port: stack.port });
    return { c, jid, accountId: info.id, password };
  } catch (e) {
    await c.close().catch(() => {});
    throw e;
  }
}

/** closes every core and deletes its profile (a test's afterAll) */
export async function closeAndRemove(cores: TestCore[]): Promise<void> {
  for (const c of cores) {
    await c.close().catch(() => {});
    await removeProfile(c.profileDir);
  }
}

/** matches a contact.updated payload for `jid` with every field of `want` */
export const contactIs =
  (jid: string, want: Partial<Contact>) =>
  (p: Contact): boolean =>
    p.jid === jid && Object.entries(want).every(([k, v]) => p[k as keyof Contact] === v);

/** a signed-in account on a test core */
export interface TestUser {
  c: TestCore;
  accountId: string;
  jid: string;
}

/**
 * Makes `a` and `b` contacts who see each other's presence (receipts need it, XEP-0184 §8): `a`
 * asks (RFC 6121 §3.1.1), `b` approves once the request arrived (§3.1.4); resolves when both,
 * and every core in `alsoWatching` (another device of `a`), see the subscription 'both'.
 */
export async function makeContacts(a: TestUser, b: TestUser, alsoWatching: TestCore[] = []): Promise<void> {
  await a.c.core.handlers['contact.add']({ accountId: a.accountId, jid: b.jid });
  await b.c.waitFor('contact.updated', contactIs(a.jid, { pendingIn: true }));
  await b.c.core.handlers['contact.approve']({ accountId: b.accountId, jid: a.jid });
  await Promise.all([
    a.c.waitFor('contact.updated', contactIs(b.jid, { subscription: 'both' })),
    b.c.waitFor('contact.updated', contactIs(a.jid, { subscription: 'both' })),
    ...alsoWatching.map((c) => c.waitFor('contact.updated', contactIs(b.jid, { subscription: 'both' }))),
  ]);
}

/**
 * Deletes the OTR sessions a closed core's profile kept (otr/session-store.ts): the profile then
 * looks like one whose sessions were lost (written before they were kept, or damaged), so that
 * a test can take the paths where a restart leaves no session.
 */
export async function forgetOtrSessions(closed: TestCore): Promise<void> {
  const key = await openKeyStore(closed.keychainService).get(DATABASE_KEY_ENTRY);
  if (!key) throw new Error('the profile has no database key in the keychain');
  const db = openDatabase(join(closed.profileDir, DATABASE_FILE), key);
  try {
    db.database.exec('DELETE FROM otr_sessions');
  } finally {
    db.close();
  }
}
