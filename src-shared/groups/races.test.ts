// Membership changes that race (docs/groups.md §"Rekeys: ordering and races", §"Admission and
// rekey, in order"), on the in-memory network whose service handles one message at a time in the
// order queued, as the real one does: the rules that pick one key, keep an overtaken key to read
// only, and refuse keys, additions and removals that would break them, with nothing changed.
import { describe, expect, it } from 'vitest';
import { setAdmin } from './admins';
import { remove, sendText } from './client';
import { signStatement } from './statements';
import { pairwiseTo } from './test-support/admins';
import { TestNet, type TestClient } from './test-support/harness';
import { encodeMessage } from './wire';

const ADDRESS = 'g-test@groups.test';
const texts = (c: TestClient): string[] => c.events.flatMap((e) => (e.type === 'message' ? [e.text] : []));

/** alice (creator), bob (admin she named), carol, dave, erin: all verified each other, all members */
async function fiveMembers() {
  const net = new TestNet();
  const all = ['alice', 'bob', 'carol', 'dave', 'erin'].map((n, i) => net.client(n, i === 0));
  for (const c of all) c.trust(...all.filter((o) => o !== c));
  for (const c of all) {
    c.connect();
    await net.flush();
  }
  const [alice, bob, carol, dave, erin] = all as [TestClient, TestClient, TestClient, TestClient, TestClient];
  alice.apply((s) => setAdmin(s, bob.fp, true, alice.deps));
  await net.flush();
  return { net, alice, bob, carol, dave, erin };
}

describe('two admins remove at once', () => {
  it('both removals before either key: everyone ends on the later removal’s key, which neither removed member holds', async () => {
    const { net, alice, bob, carol, dave, erin } = await fiveMembers();
    alice.apply((s) => remove(s, dave.fp, alice.deps));
    bob.apply((s) => remove(s, erin.fp, bob.deps));
    await net.flush();
    const remaining = [alice, bob, carol];
    for (const c of remaining) {
      expect([c.state.epoch, c.state.rekeyPending, Object.keys(c.state.members).length]).toEqual([3, false, 3]);
      expect(c.state.keys[3]).toEqual(bob.state.keys[3]);
    }
    // alice's key of epoch 2 (handed to erin too) lost: kept to read by those who got it, never sent under
    expect(carol.state.keys[2]).toEqual(alice.state.keys[2]);
    expect(carol.events).toContainEqual({ type: 'late-key', epoch: 2 });
    carol.apply((s) => sendText(s, 'on the winner', carol.deps));
    await net.flush();
    expect(texts(alice)).toEqual(['on the winner']);
    expect(texts(bob)).toEqual(['on the winner']);
    expect([dave, erin].map((c) => c.state.phase)).toEqual(['removed', 'removed']);
    expect(texts(erin)).toEqual([]);
  });

  it('a member who raced (sent under the overtaken key before it saw the later removal) is still read', async () => {
    const { net, alice, bob, carol, dave, erin } = await fiveMembers();
    const bobBefore = bob.state;
    alice.apply((s) => remove(s, dave.fp, alice.deps));
    await net.flush();
    expect(carol.state.epoch).toBe(2);
    // bob's removal, signed before he saw alice's, reaches the service only now; carol writes meanwhile
    net.toService(bob.jid, encodeMessage(remove(bobBefore, erin.fp, bob.deps).out[0]!));
    carol.apply((s) => sendText(s, 'raced', carol.deps));
    await net.flush();
    for (const c of [alice, bob, carol]) expect([c.state.epoch, c.state.rekeyPending]).toEqual([3, false]);
    expect(texts(alice)).toEqual(['raced']);
    expect(texts(bob)).toEqual(['raced']);
    // erin was no longer a member when the service relayed it
    expect(texts(erin)).toEqual([]);
  });
});

describe('a message before its key', () => {
  it('a member whose copy of the new key comes after a message under it reads the message once the key is here', async () => {
    const { net, alice, bob, carol, dave } = await fiveMembers();
    alice.apply((s) => remove(s, dave.fp, alice.deps));
    await net.flushOne(); // the removal
    await net.flushOne(); // alice's key to bob (her first copy); carol's still queued
    expect([bob.state.epoch, carol.state.rekeyPending]).toEqual([2, true]);
    const step = bob.apply((s) => sendText(s, 'early', bob.deps))!;
    // the service relays bob's message to carol ahead of her copy of the key
    const body = encodeMessage(step.out[0]!);
    carol.deliver(ADDRESS, body);
    expect(carol.errors).toEqual([]);
    expect(texts(carol)).toEqual([]);
    await net.flush();
    expect(texts(carol)).toEqual(['early']);
    expect(carol.state.early).toEqual([]);
    // and a message under a key no change of ours names is refused as before
    carol.deliver(ADDRESS, body.replace('"epoch":2', '"epoch":9'));
    expect(carol.errors.at(-1)?.code).toBe('undecryptable');
  });
});

describe('a state saved by the previous version', () => {
  it('waiting for a key (no target, no rekeyers kept) still takes it from the member it waited for, and only from it', async () => {
    const { net, alice, bob, carol, dave } = await fiveMembers();
    alice.apply((s) => remove(s, dave.fp, alice.deps));
    await net.flushOne();
    const { target: _t, rekeyers: _r, ...old } = carol.state;
    carol.state = { ...old, rekeyFrom: alice.fp };
    carol.deliver(ADDRESS, pairwiseTo(bob, carol, { k: 'rekey', epoch: 2, session_key: new Uint8Array(32).fill(3), members: [alice.fp, bob.fp, carol.fp] }));
    expect(carol.errors.at(-1)?.code).toBe('not-allowed');
    await net.flush();
    expect([carol.state.epoch, carol.state.rekeyPending, carol.state.keys[2]]).toEqual([2, false, alice.state.keys[2]]);
  });
});

describe('refused, the group unchanged', () => {
  it('a new key also handed to a member we removed is not adopted', async () => {
    const { net, alice, bob, carol, dave } = await fiveMembers();
    alice.apply((s) => remove(s, dave.fp, alice.deps));
    await net.flushOne(); // the removal only: alice's own keys wait in the queue
    expect(carol.state.rekeyPending).toBe(true);
    const before = carol.state;
    const members = [alice, bob, carol, dave].map((c) => c.fp);
    carol.deliver(ADDRESS, pairwiseTo(alice, carol, { k: 'rekey', epoch: 2, session_key: new Uint8Array(32).fill(7), members }));
    expect(carol.errors.at(-1)?.code).toBe('not-allowed');
    expect(carol.state).toBe(before);
    await net.flush();
    expect([carol.state.epoch, carol.state.rekeyPending]).toEqual([2, false]);
  });

  it('a key for an epoch from anyone but the member that epoch names is refused', async () => {
    const { net, alice, bob, carol, dave } = await fiveMembers();
    alice.apply((s) => remove(s, dave.fp, alice.deps));
    await net.flushOne();
    const before = carol.state;
    carol.deliver(ADDRESS, pairwiseTo(bob, carol, { k: 'rekey', epoch: 2, session_key: new Uint8Array(32).fill(8), members: [alice.fp, bob.fp, carol.fp] }));
    expect(carol.errors.at(-1)?.code).toBe('not-allowed');
    expect(carol.state).toBe(before);
  });

  it('a key for an epoch no change named, even from an admin, is refused', async () => {
    const { alice, bob, carol } = await fiveMembers();
    const before = carol.state;
    carol.deliver(ADDRESS, pairwiseTo(bob, carol, { k: 'rekey', epoch: 2, session_key: new Uint8Array(32).fill(4), members: [alice.fp, bob.fp, carol.fp] }));
    expect(carol.errors.at(-1)?.code).toBe('not-allowed');
    expect(carol.state).toBe(before);
  });

  it('a user_added vouched at an epoch a removal has ended: the service and the members refuse it', async () => {
    const { net, alice, bob, dave } = await fiveMembers();
    alice.apply((s) => remove(s, dave.fp, alice.deps));
    await net.flush();
    const mallory = net.client('mallory');
    const st = { op: 'add_user' as const, group: 'g-test', fp: mallory.fp, key: mallory.deps.me.bundle, by: alice.fp, epoch: 1 };
    const { op: _op, ...fields } = st;
    const sig = signStatement(alice.deps.me.signingSecret, st);
    const before = bob.state;
    bob.deliver(ADDRESS, encodeMessage({ t: 'user_added', ...fields, sig, seq: 999 }));
    expect(bob.errors.at(-1)?.code).toBe('replay');
    expect(bob.state).toBe(before);
    // the service: alice's own vouch at the old epoch is stale, whatever else is wrong with it
    const out = await net.service.handle(alice.jid, 'g-test', encodeMessage({ t: 'add_user', ...fields, sig }));
    expect(out[0]!.body).toContain('"code":"stale-epoch"');
    expect((await net.store.getGroup('g-test'))?.members.has(mallory.fp)).toBe(false);
  });

  it('a removal older than the admission of its subject (a replay) is refused', async () => {
    const { net, alice, bob, carol, dave } = await fiveMembers();
    const seen: string[] = [];
    const route = net.route.bind(net);
    net.route = (out) => {
      seen.push(...out.map((o) => o.body));
      route(out);
    };
    alice.apply((s) => remove(s, dave.fp, alice.deps));
    await net.flush();
    const oldRemoval = seen.find((b) => b.includes('"t":"user_removed"'))!;
    // dave comes back (a new device state, the same identity), admitted at epoch 2
    const dave2 = net.client('dave');
    dave2.trust(alice, bob, carol);
    dave2.connect();
    await net.flush();
    expect(dave2.state.phase).toBe('member');
    expect(carol.state.members[dave.fp]?.since).toBe(2);
    const before = carol.state;
    carol.deliver(ADDRESS, oldRemoval);
    expect(carol.errors.at(-1)?.code).toBe('replay');
    expect(carol.state).toBe(before);
  });
});
