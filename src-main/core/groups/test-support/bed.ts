// What the groups integration tests share: the local stack with the real group service (one per
// test file, set up and torn down with vitest's hooks), users made by the harness, and the steps
// most tests begin with (verify each other, create a group, admit everyone).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type Stack, startStack } from '../../../../scripts/stack/stack';
import type { GroupInfo } from '../../../../src-shared/ipc/groups-contract';
import { type GroupServiceProcess, type GroupUser, groupUser, startGroupService, type UserServer } from './harness';

export interface GroupBed {
  readonly stack: Stack;
  readonly service: GroupServiceProcess;
  /** the jids every user's trust check looks at (their roster, in the core) */
  readonly contacts: string[];
  /** a new user on the stack, stopped after the file */
  user(name: string): Promise<GroupUser>;
}

/** The one-domain stack and the group service for this test file (beforeAll / afterAll). */
export function useGroupBed(): GroupBed {
  let stack: Stack | undefined;
  let service: GroupServiceProcess | undefined;
  let dataDir: string | undefined;
  const users: GroupUser[] = [];
  const contacts: string[] = [];
  beforeAll(async () => {
    stack = await startStack();
    dataDir = await mkdtemp(join(tmpdir(), 'groups-service-'));
    service = await startGroupService(stack, dataDir);
  });
  afterAll(async () => {
    await Promise.all(users.map((u) => u.stop().catch(() => undefined)));
    await service?.stop();
    await stack?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });
  return {
    get stack() {
      return stack!;
    },
    get service() {
      return service!;
    },
    contacts,
    user: (name) => userOn(stack!, name, users, contacts),
  };
}

/** a user of `server`, recorded in `users` (to stop) and `contacts` (for everyone's trust check) */
export async function userOn(server: UserServer, name: string, users: GroupUser[], contacts: string[]): Promise<GroupUser> {
  const u = await groupUser(server, name, () => contacts);
  users.push(u);
  contacts.push(u.jid);
  return u;
}

/** every pair verified each other's key (as after SMP) */
export function verifyAll(users: GroupUser[]): void {
  for (const a of users) for (const b of users) if (a !== b) a.verify(b);
}

export const isMember =
  (address: string) =>
  (g: { address: string; phase: string }): boolean =>
    g.address === address && g.phase === 'member';

/** `creator` makes a group on `serviceDomain`, the others join one after the other; all see everyone */
export async function groupOf(serviceDomain: string, creator: GroupUser, others: GroupUser[]): Promise<string> {
  const g = await creator.groups.create({ service: serviceDomain });
  await creator.waitFor('group.updated', isMember(g.address));
  for (const u of others) {
    await u.groups.join(g.address);
    await u.waitFor('group.updated', isMember(g.address));
  }
  const all = [creator, ...others];
  await Promise.all(all.map((u) => u.waitFor('group.updated', (x) => x.address === g.address && x.members.length === all.length)));
  return g.address;
}

/** `u`'s view after `mark` once it holds the new key and has `n` members */
export function rekeyed(u: GroupUser, mark: number, address: string, n: number): Promise<GroupInfo> {
  return u.waitAfter(mark, 'group.updated', (x) => x.address === address && !x.rekeyPending && x.members.length === n);
}
