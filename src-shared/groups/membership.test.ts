// Beyond the notes: removal and leave replace the session key, handed to the remaining members
// pairwise, so a former member reads nothing sent afterwards; only the creator (and its admins)
// remove; an offline member catches up from the service's log.
import { describe, expect, it } from 'vitest';
import { leave, receive, remove, sendText } from './client';
import { TestNet, type TestClient } from './test-support/harness';
import { encodeMessage } from './wire';

async function threeMembers(): Promise<{ net: TestNet; alice: TestClient; bob: TestClient; carol: TestClient }> {
  const net = new TestNet();
  const alice = net.client('alice', true);
  const bob = net.client('bob');
  const carol = net.client('carol');
  alice.trust(bob, carol);
  bob.trust(alice, carol);
  carol.trust(alice, bob);
  alice.connect();
  await net.flush();
  bob.connect();
  await net.flush();
  carol.connect();
  await net.flush();
  return { net, alice, bob, carol };
}

const texts = (c: TestClient): string[] => c.events.flatMap((e) => (e.type === 'message' ? [e.text] : []));

describe('removal', () => {
  it('the creator removes a member; the new key reaches the others; the removed one reads nothing new', async () => {
    const { net, alice, bob, carol } = await threeMembers();
    expect([alice, bob, carol].map((c) => Object.keys(c.state.members).length)).toEqual([3, 3, 3]);
    // carol keeps what she had, as a removed member would
    const carolKeys = { ...carol.state.keys };
    let captured: string[] = [];
    const route = net.route.bind(net);
    net.route = (out) => {
      captured = captured.concat(out.map((o) => o.body));
      route(out);
    };
    alice.apply((s) => remove(s, carol.fp, alice.deps));
    await net.flush();
    expect(carol.state.phase).toBe('removed');
    expect(carol.events).toContainEqual({ type: 'removed', by: alice.fp });
    expect(alice.state.epoch).toBe(2);
    expect(bob.state.epoch).toBe(2);
    expect(bob.state.keys[2]).toEqual(alice.state.keys[2]);
    expect(carolKeys[2]).toBeUndefined();
    expect(Object.keys(bob.state.members).sort()).toEqual([alice.fp, bob.fp].sort());
    bob.apply((s) => sendText(s, 'after carol left', bob.deps));
    await net.flush();
    expect(texts(alice)).toEqual(['after carol left']);
    // carol, given the ciphertext anyway (e.g. by a malicious service), cannot read it
    const secret = captured.find((b) => b.includes('"t":"group"') && b.includes('"epoch":2'))!;
    const asMember = { ...carol.state, phase: 'member' as const, keys: carolKeys, members: bob.state.members };
    expect(() => receive(asMember, 'g-test@groups.test', secret, carol.deps)).toThrow(/key we do not hold/);
    expect(texts(carol)).toEqual([]);
  });

  it('a member without the right cannot remove; the service refuses it too', async () => {
    const { net, alice, bob } = await threeMembers();
    bob.apply((s) => remove(s, alice.fp, bob.deps));
    expect(bob.errors.at(-1)?.code).toBe('not-allowed');
    // bob crafts the message himself: the service refuses it
    const st = alice.state;
    const forged = remove({ ...bob.state, admins: [bob.fp] }, net.clients.get('carol@example.org/dev')!.fp, bob.deps).out[0]!;
    const out = await net.service.handle(bob.jid, 'g-test', encodeMessage(forged));
    expect(out[0]!.body).toContain('only the creator and its admins');
    expect((await net.store.getGroup('g-test'))?.members.size).toBe(3);
    expect(alice.state).toBe(st);
  });
});

describe('leave', () => {
  it('the remaining admin rekeys; the leaver cannot read on', async () => {
    const { net, alice, bob, carol } = await threeMembers();
    bob.apply((s) => leave(s, bob.deps));
    await net.flush();
    expect(bob.state.phase).toBe('left');
    expect(alice.state.epoch).toBe(2);
    expect(carol.state.epoch).toBe(2);
    expect(alice.state.rekeyPending || carol.state.rekeyPending).toBe(false);
    carol.apply((s) => sendText(s, 'bob is gone', carol.deps));
    await net.flush();
    expect(texts(alice)).toEqual(['bob is gone']);
    expect(texts(bob)).toEqual([]);
  });

  it('sending waits for the new key while it is pending', async () => {
    const { net, alice, bob, carol } = await threeMembers();
    // whoever must rekey (the creator, the only admin: admins.ts) is offline: the other one may
    // not send under the old key
    const rekeyer = alice;
    const other = carol;
    await net.goOffline(rekeyer);
    bob.apply((s) => leave(s, bob.deps));
    await net.flush();
    expect(other.state.rekeyPending).toBe(true);
    other.apply((s) => sendText(s, 'too early', other.deps));
    expect(other.errors.at(-1)?.code).toBe('not-ready');
    // the rekeyer comes back, catches up on user_left, and hands the key out
    rekeyer.connect();
    await net.flush();
    expect(other.state.rekeyPending).toBe(false);
    expect(other.state.epoch).toBe(2);
  });
});

describe('offline members', () => {
  it('catch up from the service log, each message once, in order', async () => {
    const { net, alice, bob, carol } = await threeMembers();
    await net.goOffline(carol);
    for (const t of ['one', 'two', 'three']) alice.apply((s) => sendText(s, t, alice.deps));
    bob.apply((s) => sendText(s, 'four', bob.deps));
    await net.flush();
    expect(texts(carol)).toEqual([]);
    carol.connect();
    await net.flush();
    expect(texts(carol)).toEqual(['one', 'two', 'three', 'four']);
    // a second reconnect replays nothing (the cursor moved)
    await net.goOffline(carol);
    carol.connect();
    await net.flush();
    expect(texts(carol)).toEqual(['one', 'two', 'three', 'four']);
    expect(carol.errors.map((e) => e.message)).toEqual([]);
  });

  it('expired entries are not replayed', async () => {
    const { net, alice, carol } = await threeMembers();
    await net.goOffline(carol);
    alice.apply((s) => sendText(s, 'old', alice.deps));
    await net.flush();
    net.now += 15 * 24 * 3600_000;
    await net.store.purgeExpired(net.now);
    carol.connect();
    await net.flush();
    expect(texts(carol)).toEqual([]);
  });
});
