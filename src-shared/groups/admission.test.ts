// Both state machines together over the in-memory network: the notes' admission (steps 1–8),
// Nack then another member, nobody can vouch, the newcomer refusing an unknown member, and the
// bad inputs of issue 16 (wrong nonce, vouching for an unverified identity, forged user_added,
// out-of-order messages) — each refused with a typed error and the group unchanged.
import { describe, expect, it } from 'vitest';
import { receive, sendText } from './client';
import { sealPairwise } from './pairwise';
import { signStatement } from './statements';
import { TestNet, type TestClient } from './test-support/harness';
import { encodeMessage } from './wire';

async function founded(): Promise<{ net: TestNet; alice: TestClient }> {
  const net = new TestNet();
  const alice = net.client('alice', true);
  alice.connect();
  await net.flush();
  return { net, alice };
}

const texts = (c: TestClient): string[] => c.events.flatMap((e) => (e.type === 'message' ? [e.text] : []));

describe('admission (Protocol Notes steps 1–8)', () => {
  it('a creator connects, a newcomer known to it is admitted and says hello_i_am', async () => {
    const { net, alice } = await founded();
    expect(alice.state.phase).toBe('member');
    const bob = net.client('bob');
    alice.trust(bob);
    bob.trust(alice);
    bob.connect();
    await net.flush();
    expect(bob.events.map((e) => e.type)).toEqual(['admission-pending', 'admitted']);
    expect(bob.state.phase).toBe('member');
    expect(Object.keys(bob.state.members).sort()).toEqual([alice.fp, bob.fp].sort());
    expect(bob.state.keys[1]).toEqual(alice.state.keys[1]);
    expect(alice.events).toContainEqual({ type: 'member-added', fp: bob.fp, by: alice.fp });
    expect(alice.events).toContainEqual({ type: 'hello', fp: bob.fp, name: 'bob' });
    expect(alice.state.members[bob.fp]?.name).toBe('bob');
    // talk both ways, with attribution
    bob.apply((s) => sendText(s, 'hello all', bob.deps));
    alice.apply((s) => sendText(s, 'welcome', alice.deps));
    await net.flush();
    expect(texts(alice)).toEqual(['hello all']);
    expect(texts(bob)).toEqual(['welcome']);
    expect(alice.events.find((e) => e.type === 'message')).toMatchObject({ from: bob.fp });
  });

  it('Nack from a member who has not verified the newcomer, then another member vouches', async () => {
    const { net, alice } = await founded();
    const bob = net.client('bob');
    alice.trust(bob);
    bob.trust(alice);
    bob.connect();
    await net.flush();
    const carol = net.client('carol');
    bob.trust(carol);
    carol.trust(bob);
    carol.connect();
    await net.flush();
    expect(carol.state.phase).toBe('member');
    expect(alice.events).toContainEqual({ type: 'vouch-declined', fp: carol.fp });
    expect(bob.events).toContainEqual({ type: 'vouched', fp: carol.fp });
    // alice learns of carol through bob's signed add_user, not from the service's word alone
    expect(Object.keys(alice.state.members)).toContain(carol.fp);
  });

  it('nobody can vouch: the newcomer is disconnected with a readable reason', async () => {
    const { net } = await founded();
    const mallory = net.client('mallory');
    mallory.connect();
    await net.flush();
    expect(mallory.state.phase).toBe('refused');
    expect(mallory.state.refusal?.reason).toBe('nobody-vouched');
    expect(mallory.events.at(-1)).toMatchObject({ type: 'refused', text: expect.stringContaining('verified your key') });
    expect((await net.store.getGroup('g-test'))?.members.has(mallory.fp)).toBe(false);
  });

  it('nobody online: a different reason', async () => {
    const { net, alice } = await founded();
    await net.goOffline(alice);
    const bob = net.client('bob');
    bob.connect();
    await net.flush();
    expect(bob.state.refusal?.reason).toBe('no-member-online');
  });

  it('the newcomer refuses a member it has not verified (step 4) and is not admitted', async () => {
    const { net, alice } = await founded();
    const bob = net.client('bob');
    alice.trust(bob); // alice knows bob, bob does not know alice
    bob.connect();
    await net.flush();
    expect(bob.events).toContainEqual({ type: 'untrusted-voucher', fp: alice.fp });
    expect(bob.state.phase).toBe('refused');
    expect(bob.state.keys).toEqual({});
    expect((await net.store.getGroup('g-test'))?.members.has(bob.fp)).toBe(false);
  });
});

describe('bad input is refused, the group unchanged', () => {
  it('a response with the wrong nonce', async () => {
    const { net, alice } = await founded();
    const bob = net.client('bob');
    alice.trust(bob);
    bob.trust(alice);
    // stop after bob's challenge: alice answers with another nonce
    bob.connect();
    const q: { from: string; body: string }[] = [];
    const orig = net.toService.bind(net);
    net.toService = (from, body) => {
      if (from === alice.jid && body.includes('"t":"encrypted"') && q.length === 1) return void q.push({ from, body });
      if (from === alice.jid && body.includes('"t":"add_user"')) return;
      orig(from, body);
      if (from === alice.jid && body.includes('"t":"encrypted"')) q.push({ from, body });
    };
    await net.flush();
    expect(bob.state.phase).toBe('admitting');
    const before = bob.state;
    const bad = sealPairwise(
      alice.deps.me,
      'g-test',
      { fp: bob.fp, key: bob.deps.me.bundle },
      {
        k: 'response',
        nonce: new Uint8Array(32).fill(1),
        session_key: alice.state.keys[1]!,
        epoch: 1,
        creator: alice.fp,
        admins: [alice.fp],
        members: [{ fp: alice.fp, key: alice.deps.me.bundle }],
      },
      alice.deps.random,
    );
    bob.deliver('g-test@groups.test', encodeMessage(bad));
    expect(bob.errors.at(-1)?.code).toBe('wrong-nonce');
    expect(bob.state).toBe(before);
    expect(bob.state.keys).toEqual({});
  });

  it('a forged user_added from a non-service sender', async () => {
    const { net, alice } = await founded();
    const eve = net.client('eve');
    const st = { op: 'add_user' as const, group: 'g-test', fp: eve.fp, key: eve.deps.me.bundle, by: alice.fp, epoch: 1 };
    const { op: _op, ...fields } = st;
    const forged = encodeMessage({ t: 'user_added', ...fields, sig: signStatement(eve.deps.me.signingSecret, st), seq: 99 });
    const before = alice.state;
    alice.deliver('eve@example.org/x', forged);
    expect(alice.errors.at(-1)?.code).toBe('forged-service-message');
    // relayed through the service address, it is still refused: alice did not sign it
    alice.deliver('g-test@groups.test', forged);
    expect(alice.errors.at(-1)?.code).toBe('not-vouched');
    expect(alice.state).toBe(before);
    expect(Object.keys(alice.state.members)).toEqual([alice.fp]);
  });

  it('a member vouching for an identity it has not verified is refused by the others', async () => {
    const { net, alice } = await founded();
    const bob = net.client('bob');
    alice.trust(bob);
    bob.trust(alice);
    bob.connect();
    await net.flush();
    // bob (a member) claims mallory joined, "vouched" by alice: alice never signed that
    const mallory = net.client('mallory');
    const st = { op: 'add_user' as const, group: 'g-test', fp: mallory.fp, key: mallory.deps.me.bundle, by: alice.fp, epoch: 1 };
    const { op: _op, ...fields } = st;
    const body = encodeMessage({ t: 'add_user', ...fields, sig: signStatement(bob.deps.me.signingSecret, st) });
    const out = await net.service.handle(bob.jid, 'g-test', body);
    expect(out).toHaveLength(1);
    expect(out[0]!.body).toContain('"code":"not-allowed"');
    // and add_user for someone nobody was asked to vouch for
    const st2 = { ...st, by: bob.fp };
    const out2 = await net.service.handle(
      bob.jid,
      'g-test',
      encodeMessage({ t: 'add_user', ...fields, by: bob.fp, sig: signStatement(bob.deps.me.signingSecret, st2) }),
    );
    expect(out2[0]!.body).toContain('"code":"out-of-order"');
    expect((await net.store.getGroup('g-test'))?.members.has(mallory.fp)).toBe(false);
  });

  it('a member asked about an unverified identity sends Nack, never identity(member)', async () => {
    const { alice } = await founded();
    const stranger = new TestNet().client('stranger');
    const step = receive(
      alice.state,
      'g-test@groups.test',
      encodeMessage({ t: 'new_user', group: 'g-test', fp: stranger.fp, key: stranger.deps.me.bundle }),
      alice.deps,
    );
    expect(step.out).toEqual([{ t: 'Nack', group: 'g-test', fp: stranger.fp, reason: 'not-verified' }]);
    expect(step.state.vouching).toEqual({});
  });

  it('out-of-order and malformed messages', async () => {
    const { net, alice } = await founded();
    const before = alice.state;
    alice.deliver('g-test@groups.test', encodeMessage({ t: 'Ack', group: 'g-test', member: true, creator: alice.fp, admins: [], head: 0 }));
    expect(alice.errors.at(-1)?.code).toBe('out-of-order');
    alice.deliver('g-test@groups.test', '{"t":"Ack"');
    expect(alice.errors.at(-1)?.code).toBe('malformed');
    alice.deliver('g-test@groups.test', encodeMessage({ t: 'identity', group: 'g-test', fp: alice.fp, key: alice.deps.me.bundle }));
    expect(alice.errors.at(-1)?.code).toBe('out-of-order');
    expect(alice.state).toBe(before);
    // the service: a message before identity, and a client sending the service's messages
    const bob = net.client('bob');
    const o1 = await net.service.handle(bob.jid, 'g-test', encodeMessage({ t: 'Nack', group: 'g-test', fp: alice.fp, reason: 'not-verified' }));
    expect(o1[0]!.body).toContain('send identity first');
    const o2 = await net.service.handle(
      alice.jid,
      'g-test',
      encodeMessage({ t: 'user_added', group: 'g-test', fp: bob.fp, key: bob.deps.me.bundle, by: alice.fp, epoch: 1, sig: new Uint8Array(114), seq: 1 }),
    );
    expect(o2[0]!.body).toContain('"code":"out-of-order"');
    const o3 = await net.service.handle(alice.jid, 'g-test', 'garbage');
    expect(o3[0]!.body).toContain('"code":"malformed"');
    expect([...(await net.store.getGroup('g-test'))!.members.keys()]).toEqual([alice.fp]);
  });

  it('a replayed group message is refused', async () => {
    const { net, alice } = await founded();
    const bob = net.client('bob');
    alice.trust(bob);
    bob.trust(alice);
    bob.connect();
    await net.flush();
    const step = sendText(alice.state, 'once', alice.deps);
    alice.state = step.state;
    const body = encodeMessage(step.out[0]!);
    bob.deliver('g-test@groups.test', body);
    bob.deliver('g-test@groups.test', body);
    expect(texts(bob)).toEqual(['once']);
    expect(bob.errors.at(-1)?.code).toBe('replay');
  });
});
