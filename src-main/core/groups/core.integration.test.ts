// Groups through the core's IPC handlers (the wiring in src-main/core/index.ts): two cores on
// the local stack who verified each other over OTR create a group, admit, talk, and the creator
// removes the other, who then reads nothing new; the groups use the account's one stream and
// catch up after a reconnect. The group service is the real one (its CLI).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Stack, startStack } from '../../../scripts/stack/stack';
import { closeAndRemove, signedInUser, type TestCore } from '../test-support/harness';
import { type GroupServiceProcess, startGroupService } from './test-support/harness';

let stack: Stack;
let service: GroupServiceProcess;
let dataDir: string;
const cores: TestCore[] = [];

beforeAll(async () => {
  stack = await startStack();
  dataDir = await mkdtemp(join(tmpdir(), 'groups-core-'));
  service = await startGroupService(stack, dataDir);
});

afterAll(async () => {
  await closeAndRemove(cores);
  await service?.stop();
  await stack?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

it('two cores that verified each other over OTR: create, join, talk, remove', async () => {
  const [a, b] = await Promise.all([signedInUser(stack, 'alice'), signedInUser(stack, 'bob')]);
  cores.push(a.c, b.c);
  const A = a.c.core.handlers;
  const B = b.c.core.handlers;
  const { aliceFp, bobFp, address } = await verifiedGroupOfTwo(a, b);
  const g = { address };
  const admitted = await b.c.waitFor('group.updated', (x) => x.address === g.address && x.phase === 'member');
  expect(admitted.members.map((m) => m.fingerprint).sort()).toEqual([aliceFp, bobFp].sort());
  expect(admitted.members.every((m) => m.verified)).toBe(true);

  await B['group.send']({ accountId: b.accountId, address: g.address, body: 'hi from bob' });
  const got = await a.c.waitFor('group.message', (m) => m.body === 'hi from bob');
  expect(got).toMatchObject({ senderName: 'Bob', mine: false });
  expect((await A['group.timeline']({ accountId: a.accountId, address: g.address, limit: 10 })).map((m) => m.body)).toEqual(['hi from bob']);

  await A['group.remove']({ accountId: a.accountId, address: g.address, member: bobFp });
  await b.c.waitFor('group.updated', (x) => x.address === g.address && x.phase === 'removed');
  await A['group.send']({ accountId: a.accountId, address: g.address, body: 'bob cannot read this' });
  expect((await B['group.list']({ accountId: b.accountId })).find((x) => x.address === g.address)?.phase).toBe('removed');
  expect((await B['group.timeline']({ accountId: b.accountId, address: g.address, limit: 10 })).map((m) => m.body)).toEqual(['hi from bob']);
  // the creator cannot remove itself: a typed refusal, nothing changes
  await expect(A['group.remove']({ accountId: a.accountId, address: g.address, member: aliceFp })).rejects.toThrow(/cannot be removed/);
});

type User = Awaited<ReturnType<typeof signedInUser>>;

/** a and b verify each other over OTR, a creates a group, b joins: both members */
async function verifiedGroupOfTwo(a: User, b: User): Promise<{ aliceFp: string; bobFp: string; address: string }> {
  const A = a.c.core.handlers;
  const B = b.c.core.handlers;
  await A['contact.add']({ accountId: a.accountId, jid: b.jid });
  await b.c.waitFor('contact.updated', (x) => x.jid === a.jid && x.pendingIn);
  await B['contact.approve']({ accountId: b.accountId, jid: a.jid });
  await a.c.waitFor('contact.updated', (x) => x.jid === b.jid && x.subscription === 'both');
  await A['otr.start']({ accountId: a.accountId, peer: b.jid });
  const sa = await a.c.waitFor('otr.status', (s) => s.peer === b.jid && s.state === 'private-unverified');
  const sb = await b.c.waitFor('otr.status', (s) => s.peer === a.jid && s.state === 'private-unverified');
  await A['otr.trust.set']({ accountId: a.accountId, peer: b.jid, fingerprint: sa.theirFingerprint!, verified: true });
  await B['otr.trust.set']({ accountId: b.accountId, peer: a.jid, fingerprint: sb.theirFingerprint!, verified: true });
  const g = await A['group.create']({ accountId: a.accountId, service: service.domain, name: 'Alice' });
  await a.c.waitFor('group.updated', (x) => x.address === g.address && x.phase === 'member');
  const joining = await B['group.join']({ accountId: b.accountId, address: g.address, name: 'Bob' });
  expect(joining.address).toBe(g.address);
  await b.c.waitFor('group.updated', (x) => x.address === g.address && x.phase === 'member');
  return { aliceFp: sb.theirFingerprint!, bobFp: sa.theirFingerprint!, address: g.address };
}

/** the account's status becomes `status` after now */
function nextStatus(u: User, status: string): Promise<unknown> {
  const mark = u.c.events.length;
  return u.c.waitFor('account.updated', (x) => x.id === u.accountId && x.status === status && u.c.events.findIndex((e) => e.payload === x) >= mark, 60_000);
}

it("groups ride the account's one stream: across a disconnect and connect, the group catches up", async () => {
  const [a, b] = await Promise.all([signedInUser(stack, 'alice'), signedInUser(stack, 'bob')]);
  cores.push(a.c, b.c);
  const A = a.c.core.handlers;
  const B = b.c.core.handlers;
  const { bobFp, address } = await verifiedGroupOfTwo(a, b);
  // bob's group connection is the account's own session (resource messenger-<hex>), not a second stream
  const first = await service.waitEvent((e) => e.type === 'member-online' && e.fp === bobFp);
  expect(String(first.jid)).toMatch(new RegExp(`^${b.jid}/messenger-[0-9a-f]{8}$`));

  await B['account.disconnect']({ accountId: b.accountId });
  await A['group.send']({ accountId: a.accountId, address, body: 'while bob was away' });
  const seen = service.events.length;
  await B['account.connect']({ accountId: b.accountId });
  // on 'online' the group connects again and fetches what it missed from the service's log
  const got = await b.c.waitFor('group.message', (m) => m.body === 'while bob was away');
  expect(got).toMatchObject({ senderName: 'Alice', mine: false });
  const again = await service.waitEvent((e) => service.events.indexOf(e) >= seen && e.type === 'member-online' && e.fp === bobFp);
  expect(again.jid).toBe(first.jid);
  await B['group.send']({ accountId: b.accountId, address, body: 'back' });
  await a.c.waitFor('group.message', (m) => m.body === 'back');
});

it('a server restart: the accounts reconnect by themselves and their groups with them', async () => {
  const [a, b] = await Promise.all([signedInUser(stack, 'alice'), signedInUser(stack, 'bob')]);
  cores.push(a.c, b.c);
  const { bobFp, address } = await verifiedGroupOfTwo(a, b);
  const mark = service.events.length;
  // statuses change only on change: the next 'online' after now is the one after the restart
  const down = [nextStatus(a, 'connecting'), nextStatus(b, 'connecting')];
  const back = [nextStatus(a, 'online'), nextStatus(b, 'online')];
  await stack.restart();
  await Promise.all(down);
  await Promise.all(back);
  // both connect to the group again on their own (the group service's component reconnects too)
  await service.waitEvent((e) => service.events.indexOf(e) >= mark && e.type === 'member-online' && e.fp === bobFp, 60_000);
  await a.c.core.handlers['group.send']({ accountId: a.accountId, address, body: 'after the restart' });
  await b.c.waitFor('group.message', (m) => m.body === 'after the restart', 60_000);
});

it('a group service that is down while the accounts come online: the groups ask again until it answers', async () => {
  const [a, b] = await Promise.all([signedInUser(stack, 'alice'), signedInUser(stack, 'bob')]);
  cores.push(a.c, b.c);
  const { bobFp, address } = await verifiedGroupOfTwo(a, b);
  const A = a.c.core.handlers;
  const B = b.c.core.handlers;
  await service.stop();
  // both come online while the component is not connected: their identity bounces
  for (const [h, u] of [
    [A, a],
    [B, b],
  ] as const) {
    await h['account.disconnect']({ accountId: u.accountId });
    await h['account.connect']({ accountId: u.accountId });
  }
  service = await startGroupService(stack, dataDir);
  await service.waitEvent((e) => e.type === 'member-online' && e.fp === bobFp, 60_000);
  await service.waitEvent((e) => e.type === 'member-online' && e.fp !== bobFp, 60_000);
  await A['group.send']({ accountId: a.accountId, address, body: 'the service is back' });
  await b.c.waitFor('group.message', (m) => m.body === 'the service is back', 60_000);
});
