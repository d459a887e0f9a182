// The messenger core (docs/architecture.md §1, 2): Electron-free; runs in Electron's main process, in the
// browser host and in tests. createCore() opens a profile (keychain + SQLCipher database),
// reconnects its accounts and answers every request of the IPC contract.
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { AccountInfo, ParsedRequest, RequestHandlers } from '../../src-shared/ipc/contract';
import { MessengerError } from '../../src-shared/ipc/result';
import type { Core, CoreOptions } from './api';
import { AccountSession } from './account/session';
import { conversationRequestHandlers } from './account/conversation-handlers';
import { ownNick, setOwnNick } from './store/archive-store';
import { certificateError, everydayRequestHandlers } from './account/everyday-handlers';
import { CoreEvents } from './account/events';
import { toMessengerError } from './errors';
import { accountPasswordEntry, DATABASE_KEY_ENTRY, openKeyStore, serviceForProfile, type KeyStore } from './keychain/keychain';
import { openDatabase, type AccountRow, type Store } from './store/store';
import { deleteIdentity, identityVaults } from './otr/identity';
import { otrRequestHandlers } from './otr/handlers';
import { OtrStore } from './otr/otr-store';
import { accountGroups, type AccountGroups } from './groups/account-groups';
import { groupsRequestHandlers } from './groups/handlers';
import { GroupStore } from './groups/store';
import { register } from './xmpp/register/register';
import { resolveEndpoints } from './xmpp/resolve/resolve';
import { CertificatePins } from './xmpp/starttls/pins';
import { serverCertificate } from './xmpp/starttls/probe';
import { createPushService } from './push/service';
import { forwardPushEvent, pushRequestHandlers } from './push/handlers';
import { pushTestHooks, wirePushIntoApp } from './push/app-wiring';
import { goOffline, wokeUp } from './push/sleep';
import { ASLEEP_AT_START } from './push/push-store';
import { PushClient } from '../../src-shared/node-push/client';

export type { Core, CoreOptions } from './api';

export const DATABASE_FILE = 'messenger.db';

/** Opens the profile's database with the key from the keychain, creating both on first use. */
async function openProfile(profileDir: string, keys: KeyStore): Promise<Store> {
  const dbPath = join(profileDir, DATABASE_FILE);
  let keyHex = await keys.get(DATABASE_KEY_ENTRY);
  if (!keyHex) {
    if (existsSync(dbPath)) {
      throw new MessengerError(
        'keychain-unavailable',
        `The key of this profile's database is not in the keychain (service "${keys.service}"), so the profile cannot be opened. ` +
          'It may have been deleted, or the profile was created under another user or keychain. Without it the stored messages cannot be read.',
      );
    }
    keyHex = randomBytes(32).toString('hex');
    await keys.set(DATABASE_KEY_ENTRY, keyHex);
  }
  return openDatabase(dbPath, keyHex);
}

const RETRY_DELAYS = [2_000, 5_000, 15_000, 30_000, 60_000];

export async function createCore(options: CoreOptions): Promise<Core> {
  if (typeof options?.profileDir !== 'string' || options.profileDir.length === 0) {
    throw new MessengerError('invalid-argument', 'a profile directory is required');
  }
  const profileDir = resolve(options.profileDir);
  await mkdir(profileDir, { recursive: true, mode: 0o700 });
  const keys = openKeyStore(options.keychainService ?? serviceForProfile(profileDir));
  const store = await openProfile(profileDir, keys);
  // OTR fingerprints, trust, policies and waiting messages: own tables in the same database
  const otrStore = new OtrStore(store.database);
  // verified groups (docs/groups.md): own tables in the same database, on each account's own stream
  const groupStore = new GroupStore(store.database);
  const accountGroupsOf = new Map<string, AccountGroups>();
  const events = new CoreEvents();
  const sessions = new Map<string, AccountSession>();
  /** accounts whose password is missing from the keychain */
  const locked = new Map<string, AccountInfo>();
  const retryTimers = new Map<string, NodeJS.Timeout>();
  let closed = false;

  // Wake-ups (docs/architecture.md §7): push accounts, desktop channels, handshake records; wired
  // into the accounts' OTR conversations and send path by push/app-wiring.ts (docs/push-in-the-app.md).
  const push = createPushService({
    db: store.database,
    keychain: keys,
    http: (endpoint, token) => new PushClient({ endpoint, ...(options.extraCaPem ? { ca: options.extraCaPem } : {}), ...(token ? { token } : {}) }),
    clock: { now: () => Date.now() },
    random: (n) => new Uint8Array(randomBytes(n)),
    events: (e) => {
      forwardPushEvent(push, events.emit.bind(events), e);
      pushWiring.onPushEvent(e);
    },
    accountJid: (accountId) => store.account(accountId)?.jid,
    log: (line) => console.info(line),
  });
  // the handshake over OTR, knocks from the send path, wake-ups (push/app-wiring.ts)
  const pushWiring = wirePushIntoApp({ push, events, session: (accountId) => sessions.get(accountId), log: (line) => console.info(line) });
  // the desktop channel is open while an account is online or asleep, closed while offline (push/sleep.ts)
  for (const account of store.accounts()) if (account.connect_at_start !== 0) void push.resumeAccount(account.id).catch(() => {});

  const pins = new CertificatePins(store.database);
  const newSession = (account: AccountRow, password: string) => {
    const s = new AccountSession({ account, password, extraCaPem: options.extraCaPem, pinnedCert: () => pins.get(account.id), store, events, keys, otrStore });
    pushWiring.attachSession(s);
    accountGroupsOf.set(account.id, accountGroups({ account, session: s, keys, otrStore, store, groupStore, emit: (n, p) => events.emit(n, p) }));
    return s;
  };
  const closeGroups = async (accountId: string) => {
    await accountGroupsOf.get(accountId)?.close();
    accountGroupsOf.delete(accountId);
  };

  /** Connects in the background, retrying while the server is unreachable. */
  const connectInBackground = (session: AccountSession, attempt = 0): void => {
    session.connect().catch((e: unknown) => {
      const err = toMessengerError(e, session.jid);
      if (closed || !sessions.has(session.id)) return;
      if (err.code === 'server-unreachable' || err.code === 'timeout') {
        const delay = RETRY_DELAYS[Math.min(attempt, RETRY_DELAYS.length - 1)] as number;
        const t = setTimeout(() => {
          retryTimers.delete(session.id);
          if (!closed && sessions.get(session.id) === session && session.status !== 'online') connectInBackground(session, attempt + 1);
        }, delay);
        t.unref();
        retryTimers.set(session.id, t);
      }
    });
  };

  for (const account of store.accounts()) {
    const password = await keys.get(accountPasswordEntry(account.id));
    if (password === null) {
      locked.set(account.id, {
        id: account.id,
        jid: account.jid,
        status: 'error',
        error: { code: 'keychain-unavailable', message: 'The password of this account is not in the keychain; remove the account and add it again.' },
      });
      continue;
    }
    const session = newSession(account, password);
    sessions.set(account.id, session);
    // the user took it offline last time: it waits for their connect; asleep: for a wake-up too
    if (account.connect_at_start === ASLEEP_AT_START) void session.sleep();
    else if (account.connect_at_start !== 0) connectInBackground(session);
  }

  const session = (accountId: string): AccountSession => {
    const s = sessions.get(accountId);
    if (s) return s;
    if (locked.has(accountId)) throw new MessengerError('keychain-unavailable', 'The password of this account is not in the keychain.');
    throw new MessengerError('not-found', 'There is no such account in this profile.');
  };

  const addAccount = async (input: ParsedRequest<'account.add'>): Promise<AccountInfo> => {
    if (closed) throw new MessengerError('not-connected', 'The messenger is shutting down.');
    if (store.accountByJid(input.jid)) throw new MessengerError('invalid-argument', `${input.jid} is already in this profile.`);
    const row: AccountRow = {
      id: randomUUID(),
      jid: input.jid,
      host: input.host ?? null,
      port: input.port ?? null,
      // one resource per profile and account: several devices of the same account stay apart
      resource: `messenger-${randomBytes(4).toString('hex')}`,
      created_at: Date.now(),
    };
    // The row must exist while connecting (the roster arrives right after sign-in); it is
    // deleted again if signing in fails, so a failed add leaves nothing behind.
    store.addAccount(row);
    // issue 15: a certificate the user chose to trust for this server, pinned for the account
    if (input.trustCertificate) pins.set(row.id, input.host ?? input.jid.split('@')[1] ?? '', input.trustCertificate, Date.now());
    const s = newSession(row, input.password);
    sessions.set(row.id, s);
    try {
      await s.connect();
      await keys.set(accountPasswordEntry(row.id), input.password);
    } catch (e) {
      sessions.delete(row.id);
      await closeGroups(row.id);
      await s.close().catch(() => {});
      store.removeAccount(row.id);
      otrStore.removeAccount(row.id);
      pins.remove(row.id);
      await deleteIdentity(keys, row.id, otrStore);
      events.emit('account.removed', { accountId: row.id });
      throw e instanceof MessengerError ? e : toMessengerError(e, input.host ?? input.jid.split('@')[1] ?? 'the server');
    }
    return s.info();
  };

  const groupsOf = async (accountId: string) => {
    session(accountId);
    const g = accountGroupsOf.get(accountId);
    if (!g) throw new MessengerError('not-found', 'There is no such account in this profile.');
    return g.groups;
  };

  const handlers: RequestHandlers = {
    ...otrRequestHandlers((accountId) => session(accountId).otr),
    ...pushRequestHandlers(push, (accountId) => void session(accountId), {
      push,
      session,
      cancelRetry: (accountId) => clearTimeout(retryTimers.get(accountId)),
    }),
    ...groupsRequestHandlers(groupsOf),
    ...everydayRequestHandlers(session, store, { pins, extraCaPem: options.extraCaPem }),
    ...conversationRequestHandlers(session, () => [...sessions.values()], store),
    async 'app.snapshot'() {
      const accounts = [...store.accounts()].map((a) => sessions.get(a.id)?.info() ?? locked.get(a.id) ?? { id: a.id, jid: a.jid, status: 'offline' as const });
      const contacts = store.contacts().flatMap((c) => {
        const s = sessions.get(c.account_id);
        return s ? [s.contact(c.jid)] : [];
      });
      return { accounts, contacts };
    },
    'account.add': addAccount,
    async 'account.certificate'(input) {
      return serverCertificate(input, options.extraCaPem, resolveEndpoints, certificateError);
    },
    async 'account.register'(input) {
      const [username, domain] = input.jid.split('@') as [string, string];
      if (store.accountByJid(input.jid)) throw new MessengerError('invalid-argument', `${input.jid} is already in this profile.`);
      // RFC 6120 §3.2: the explicit host, else the first SRV target, else the domain
      const [endpoint] = await resolveEndpoints(domain, { host: input.host ?? null, port: input.port ?? null });
      if (!endpoint) throw new MessengerError('server-unreachable', `${domain} says it offers no XMPP service.`);
      const where = input.host ?? domain;
      // a certificate the user chose to trust is the only one the registration accepts too
      const pin = input.trustCertificate ? { pinnedCertSha256: input.trustCertificate } : {};
      await register({ domain, host: endpoint.host, port: endpoint.port, extraCaPem: options.extraCaPem, ...pin, username, password: input.password }, (e) =>
        toMessengerError(e, where),
      );
      return addAccount(input);
    },
    async 'account.remove'({ accountId }) {
      const s = sessions.get(accountId);
      if (!s && !locked.has(accountId)) throw new MessengerError('not-found', 'There is no such account in this profile.');
      clearTimeout(retryTimers.get(accountId));
      sessions.delete(accountId);
      locked.delete(accountId);
      await closeGroups(accountId);
      await s?.close();
      groupStore.removeAccount(accountId);
      store.removeAccount(accountId);
      otrStore.removeAccount(accountId);
      pins.remove(accountId);
      await push.disable(accountId).catch(() => {});
      await keys.delete(accountPasswordEntry(accountId)).catch(() => false);
      await deleteIdentity(keys, accountId, otrStore);
      events.emit('account.removed', { accountId });
      return null;
    },
    async 'account.connect'({ accountId }) {
      const s = session(accountId);
      clearTimeout(retryTimers.get(accountId));
      store.setConnectAtStart(accountId, true);
      wokeUp(push, accountId);
      return s.connect();
    },
    async 'account.disconnect'({ accountId }) {
      clearTimeout(retryTimers.get(accountId));
      const s = session(accountId);
      store.setConnectAtStart(accountId, false);
      await goOffline(push, accountId);
      return s.disconnect();
    },
    async 'messages.earlierFromServer'({ accountId, peer, limit }) {
      return session(accountId).archive.earlier(peer, limit);
    },
    // XEP-0172: our own nickname (empty: none), sent with our subscription requests from now on
    // and published over PEP (§4.5) now if online, else at the next session
    async 'account.nick.set'({ accountId, nick }) {
      const s = session(accountId);
      setOwnNick(store.database, accountId, nick.length > 0 ? nick : null);
      await s.pepNick.publish({ evenIfNone: true });
      return { accountId, nick };
    },
    async 'account.nick.get'({ accountId }) {
      session(accountId);
      return { accountId, nick: ownNick(store.database, accountId) ?? '' };
    },
  };

  const core: Core = {
    handlers,
    onEvent: (listener) => events.on(listener),
    async close() {
      if (closed) return;
      closed = true;
      for (const t of retryTimers.values()) clearTimeout(t);
      // the groups say goodbye to their services while the streams are still up
      await Promise.all([...accountGroupsOf.keys()].map(closeGroups));
      await Promise.all([...sessions.values()].map((s) => s.disconnect().catch(() => {})));
      // no OTR timer may fire into the closed database (bench/soak.ts restarts cores)
      await Promise.all([...sessions.values()].map((s) => s.otr.close()));
      pushWiring.close();
      await push.close();
      sessions.clear();
      store.close();
    },
  };
  // the OTR keys' vault, for integration tests that look at what was stored (otr/identity.ts)
  identityVaults.set(core, { keys, store: otrStore });
  pushTestHooks.set(core, pushWiring.testHooks());
  return core;
}
