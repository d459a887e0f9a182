// Integration harness for groups: the real group service (its CLI, as a child process) on the
// local Prosody stack's component port, and group users made of the core's own parts — a real
// XMPP connection, the profile database (SQLCipher), the OTR store's trust API, an OTRv4
// identity — with the createGroups façade. Waits are on emitted events, never on sleeps.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GroupServiceProcess, startGroupServiceProcess } from '../../../../scripts/stack/group-service-process';
import type { Stack } from '../../../../scripts/stack/stack';
import type { LocalGroupIdentity } from '../../../../src-shared/groups/keys';
import type { GroupsEventPayloads } from '../../../../src-shared/ipc/groups-contract';
import { createLocalIdentity } from '../../../../src-shared/otr/v4/identity';
import { OtrStore } from '../../otr/otr-store';
import { openDatabase, type Store } from '../../store/store';
import { createClient, type XmppClient } from '../../xmpp/client/client';
import { createGroups, type Groups } from '../groups';
import { groupIdentityOf } from '../identity';
import { GroupStore } from '../store';
import { groupTransportOf, type GroupTransport } from '../transport';
import { trustFromOtrStore } from '../trust';

export type { GroupServiceProcess };

/**
 * The group service on the stack's groups.<domain> component (scripts/stack: Prosody declares it
 * next to the prekey server's component, on the same port).
 */
export async function startGroupService(stack: Stack, dataDir: string, extraArgs: string[] = []): Promise<GroupServiceProcess> {
  if (!stack.groupsDomain || !stack.groupsSecret) throw new Error('this stack has no group component');
  return startGroupServiceProcess({
    domain: stack.groupsDomain,
    secret: stack.groupsSecret,
    host: '127.0.0.1',
    port: stack.componentPort,
    dataDir,
    extraArgs,
  });
}

/** Waits on a growing list: resolves with the first item (past or future) matching `pred`. */
function waiter<T>(items: T[], subscribers: Set<() => void>) {
  return (pred: (x: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> =>
    new Promise((resolve, reject) => {
      const err = new Error(`timed out waiting for ${what}`);
      const check = (): void => {
        const hit = items.find(pred);
        if (hit === undefined) return;
        subscribers.delete(check);
        clearTimeout(t);
        resolve(hit);
      };
      const t = setTimeout(() => {
        subscribers.delete(check);
        reject(err);
      }, timeoutMs);
      subscribers.add(check);
      check();
    });
}

type Ev = { [K in keyof GroupsEventPayloads]: { name: K; payload: GroupsEventPayloads[K] } }[keyof GroupsEventPayloads];

export interface GroupUser {
  name: string;
  jid: string;
  accountId: string;
  identity: LocalGroupIdentity;
  fp: string;
  groups: Groups;
  transport: GroupTransport;
  events: Ev[];
  otr: OtrStore;
  /** our user verified `other`'s fingerprint (as after SMP), through the OTR store's trust API */
  verify(other: GroupUser): void;
  waitFor<K extends Ev['name']>(name: K, match?: (p: GroupsEventPayloads[K]) => boolean, timeoutMs?: number): Promise<GroupsEventPayloads[K]>;
  /** as waitFor, among the events after `mark` (an earlier events.length) only */
  waitAfter<K extends Ev['name']>(mark: number, name: K, match?: (p: GroupsEventPayloads[K]) => boolean): Promise<GroupsEventPayloads[K]>;
  /**
   * Holds back the bodies this user sends that match `pred` (e.g. its add_user) until `release`,
   * so a test can order them after another event on the real service; `held` resolves once one
   * is held. `release` sends them on, in order, and holds nothing more.
   */
  hold(pred: (body: string) => boolean): { held: Promise<void>; release(): Promise<void> };
  /** drops the XMPP connection and the façade (the profile database stays) */
  goOffline(): Promise<void>;
  /** a new connection and façade on the same database: the groups reconnect and catch up */
  comeBack(): Promise<void>;
  stop(): Promise<void>;
}

/** the XMPP server a user signs in to: the one-domain stack or one domain of the two-domain one */
export type UserServer = Pick<Stack, 'domain' | 'host' | 'port' | 'caPem' | 'createAccount'>;

export async function groupUser(stack: UserServer, name: string, peers: () => string[]): Promise<GroupUser> {
  const user = `${name}${randomBytes(3).toString('hex')}`;
  const password = randomBytes(9).toString('hex');
  await stack.createAccount(user, password);
  const dir = await mkdtemp(join(tmpdir(), 'groups-user-'));
  const store: Store = openDatabase(join(dir, 'messenger.db'), randomBytes(32).toString('hex'));
  const otr = new OtrStore(store.database);
  const gstore = new GroupStore(store.database);
  const v4 = createLocalIdentity({ random: (n) => new Uint8Array(randomBytes(n)), nowMs: Date.now(), versions: '4' });
  const identity = groupIdentityOf({ v4 });
  const accountId = `acct-${user}`;
  const jid = `${user}@${stack.domain}`;
  const events: Ev[] = [];
  const subs = new Set<() => void>();
  const wait = waiter(events, subs);
  let client: XmppClient | null = null;
  let groups: Groups | null = null;
  let transport: GroupTransport | null = null;
  let hold: { pred: (body: string) => boolean; queue: [string, string][]; onHeld: () => void } | null = null;

  const up = async (): Promise<void> => {
    const c = createClient({ domain: stack.domain, host: stack.host, port: stack.port, extraCaPem: stack.caPem, credentials: { username: user, password } });
    await c.entity.start();
    client = c;
    const real = groupTransportOf(c);
    transport = {
      ...real,
      send: async (to, body) => {
        if (!hold?.pred(body)) return real.send(to, body);
        hold.queue.push([to, body]);
        hold.onHeld();
      },
    };
    groups = createGroups({
      accountId,
      accountJid: jid,
      transport,
      identity: async () => identity,
      trust: trustFromOtrStore(otr, accountId, peers),
      store: gstore,
      emit: (n, payload) => {
        events.push({ name: n, payload } as Ev);
        for (const s of [...subs]) s();
      },
    });
  };
  const down = async (): Promise<void> => {
    await groups?.close();
    const c = client;
    client = null;
    c?.reconnect?.stop();
    await c?.entity.stop().catch(() => undefined);
  };
  await up();

  const u: GroupUser = {
    name,
    jid,
    accountId,
    identity,
    fp: identity.fingerprint,
    get groups() {
      return groups!;
    },
    get transport() {
      return transport!;
    },
    events,
    otr,
    verify(other) {
      otr.seen(accountId, other.jid, other.fp, 4, Date.now());
      otr.setVerified(accountId, other.jid, other.fp, true);
    },
    waitFor(n, match = () => true, timeoutMs) {
      return wait((e) => e.name === n && match(e.payload as never), `${name}: ${n}`, timeoutMs).then((e) => e.payload as never);
    },
    waitAfter(mark, n, match = () => true) {
      return wait((e) => events.indexOf(e) >= mark && e.name === n && match(e.payload as never), `${name}: ${n}`).then((e) => e.payload as never);
    },
    hold(pred) {
      let onHeld = (): void => undefined;
      const held = new Promise<void>((resolve) => (onHeld = resolve));
      const h = { pred, queue: [] as [string, string][], onHeld };
      hold = h;
      return {
        held,
        async release() {
          if (hold === h) hold = null;
          for (const [to, body] of h.queue) await transport!.send(to, body);
        },
      };
    },
    goOffline: down,
    async comeBack() {
      await up();
      await groups!.online();
    },
    async stop() {
      await down();
      store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return u;
}
