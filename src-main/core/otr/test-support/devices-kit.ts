// What the several-devices integration tests share (otr/several-devices and otr/new-device
// .integration.test.ts): Alice and Bob in a private conversation on a real stack, a second device
// of Bob's (another core on the same account), and a device's own instance tag and fingerprint.
import type { ChatMessage } from '../../../../src-shared/ipc/contract';
import { makeContacts, startCore, type TestCore, type TestUser } from '../../test-support/harness';
import type { StackPerFile } from '../../test-support/stack-per-file';

export const isState = (peer: string, state: string) => (s: { peer: string; state: string }) => s.peer === peer && s.state === state;
export const bodyIs = (body: string) => (m: ChatMessage) => m.body === body;

/** alice and bob (his first device), signed in, contacts, private on both sides */
export async function privateAliceAndBob(file: StackPerFile) {
  const alice = await file.user('alice');
  const bob = await file.user('bob');
  await makeContacts(alice, bob);
  await alice.c.core.handlers['otr.start']({ accountId: alice.accountId, peer: bob.jid });
  await alice.c.waitFor('otr.status', isState(bob.jid, 'private-unverified'));
  await bob.c.waitFor('otr.status', isState(alice.jid, 'private-unverified'));
  return { alice, bob, A: alice.c.core.handlers };
}

/** another device of `u`: a new core on a new profile, signed in to the same account */
export async function secondDevice(file: StackPerFile, u: TestUser & { password: string }): Promise<TestUser> {
  const c: TestCore = await startCore({ extraCaPem: file.stack.caPem });
  file.cores.push(c);
  const info = await c.core.handlers['account.add']({ jid: u.jid, password: u.password, host: file.stack.host, port: file.stack.port });
  return { c, accountId: info.id, jid: u.jid };
}

/** a device's own instance tag and fingerprint, as its devices page shows them */
export async function ownDevice(u: TestUser): Promise<{ instanceTag: number; fingerprint: string }> {
  const me = (await u.c.core.handlers['otr.devices']({ accountId: u.accountId })).devices.find((d) => d.thisDevice);
  if (!me) throw new Error('the own device is not listed');
  return { instanceTag: me.instanceTag, fingerprint: me.fingerprint };
}
