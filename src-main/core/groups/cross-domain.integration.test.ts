// Groups across domains (docs/groups.md §"Across domains"): the group service is a component of
// domain A (groups.a.localhost) and members come from A and B; B's users reach it over s2s like
// any JID (RFC 6120 §13), and the service does nothing domain-specific. Real Prosody twice with
// verified s2s TLS (scripts/stack/two-domains.ts), the real service, users built from the core's
// parts. Covers admission of a B user vouched by an A member, a B member vouching for another B
// user, talk both ways, and removal of a B member with rekey across the link.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type GroupServiceProcess, startGroupServiceProcess } from '../../../scripts/stack/group-service-process';
import { startTwoDomains, type TwoDomainStack } from '../../../scripts/stack/two-domains';
import { isMember, rekeyed, userOn } from './test-support/bed';
import type { GroupUser } from './test-support/harness';

let stack: TwoDomainStack;
let service: GroupServiceProcess;
let dataDir: string;
const users: GroupUser[] = [];
const contacts: string[] = [];

beforeAll(async () => {
  stack = await startTwoDomains();
  dataDir = await mkdtemp(join(tmpdir(), 'groups-cross-'));
  service = await startGroupServiceProcess({
    domain: stack.a.groupsDomain,
    secret: stack.a.groupsSecret,
    host: '127.0.0.1',
    port: stack.a.componentPort,
    dataDir,
  });
});

afterAll(async () => {
  await Promise.all(users.map((u) => u.stop().catch(() => undefined)));
  await service?.stop();
  await stack?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function user(side: 'a' | 'b', name: string): Promise<GroupUser> {
  const d = stack[side];
  return userOn({ domain: d.domain, host: d.host, port: d.port, caPem: stack.caPem, createAccount: (n, p) => d.createAccount(n, p) }, name, users, contacts);
}

it('a group on domain A with members from A and B over s2s: admit, talk, remove and rekey', async () => {
  const alice = await user('a', 'alice');
  const bob = await user('b', 'bob');
  const carol = await user('b', 'carol');
  expect(bob.jid.endsWith('@b.localhost')).toBe(true);
  alice.verify(bob);
  bob.verify(alice);
  bob.verify(carol);
  carol.verify(bob);

  const g = await alice.groups.create({ service: service.domain, name: 'Alice' });
  expect(g.address.endsWith('@groups.a.localhost')).toBe(true);
  await alice.waitFor('group.updated', isMember(g.address));
  // bob (domain B) joins through s2s; alice vouches for him
  await bob.groups.join(g.address, 'Bob');
  await bob.waitFor('group.updated', isMember(g.address));
  // carol (domain B) is known to bob only: if alice is asked she declines (Nack) and bob admits her
  await carol.groups.join(g.address, 'Carol');
  await carol.waitFor('group.updated', isMember(g.address));
  await service.waitEvent((e) => e.type === 'admitted' && e.fp === carol.fp);
  expect(service.events.some((e) => e.type === 'asked' && e.newcomer === carol.fp)).toBe(true);

  await carol.groups.send(g.address, 'hello from b');
  const got = await alice.waitFor('group.message', (m) => m.body === 'hello from b');
  expect(got.senderName).toBe('Carol');
  await alice.groups.send(g.address, 'hello from a');
  await bob.waitFor('group.message', (m) => m.body === 'hello from a');
  await carol.waitFor('group.message', (m) => m.body === 'hello from a');

  const mark = bob.events.length;
  await alice.groups.remove(g.address, carol.fp);
  await carol.waitFor('group.updated', (x) => x.address === g.address && x.phase === 'removed');
  // bob, on the other domain, gets the new key pairwise from alice
  await rekeyed(bob, mark, g.address, 2);
  await bob.groups.send(g.address, 'carol is gone');
  await alice.waitFor('group.message', (m) => m.body === 'carol is gone');
  expect(carol.groups.timeline(g.address, 10).map((m) => m.body)).toEqual(['hello from b', 'hello from a']);
});
