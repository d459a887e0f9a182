// Verified groups end to end on the local stack: the real group service (its CLI) attached to a
// real Prosody as an XEP-0114 component, users built from the core's parts (XMPP connection,
// SQLCipher database, OTR trust store) and the createGroups façade. Covers issue 16: admission,
// Nack then another member, nobody can vouch, wrong nonce, removal and rekey, offline catch-up.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { connect, receive } from '../../../src-shared/groups/client';
import { newGroupState } from '../../../src-shared/groups/client-state';
import { sealPairwise } from '../../../src-shared/groups/pairwise';
import { signStatement } from '../../../src-shared/groups/statements';
import { encodeMessage, parseMessage } from '../../../src-shared/groups/wire';
import { createLocalIdentity } from '../../../src-shared/otr/v4/identity';
import { createClient } from '../xmpp/client/client';
import { groupIdentityOf } from './identity';
import { groupOf, isMember, rekeyed, useGroupBed, verifyAll } from './test-support/bed';
import type { GroupUser } from './test-support/harness';
import { groupTransportOf } from './transport';

const bed = useGroupBed();
const user = (name: string): Promise<GroupUser> => bed.user(name);

describe('admission', () => {
  it('a newcomer whose key a member verified is admitted, says hello_i_am, and they talk', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    alice.verify(bob);
    bob.verify(alice);
    const g = await alice.groups.create({ service: bed.service.domain, name: 'Alice' });
    await alice.waitFor('group.updated', isMember(g.address));
    const joined = await bob.groups.join(g.address, 'Bob');
    expect(['joining', 'pending', 'admitting', 'member']).toContain(joined.phase);
    await bob.waitFor('group.updated', (x) => x.address === g.address && x.phase === 'pending' && x.status === 'Waiting for a member who knows your key');
    const admitted = await bob.waitFor('group.updated', isMember(g.address));
    expect(admitted.members.map((m) => m.fingerprint).sort()).toEqual([alice.fp, bob.fp].sort());
    expect(admitted.members.find((m) => m.fingerprint === alice.fp)).toMatchObject({ name: 'Alice', verified: true, admin: true });
    // alice sees bob's hello_i_am name
    await alice.waitFor('group.updated', (x) => x.members.some((m) => m.fingerprint === bob.fp && m.name === 'Bob'));
    await bob.groups.send(g.address, 'hello from bob');
    const got = await alice.waitFor('group.message', (m) => m.body === 'hello from bob');
    expect(got).toMatchObject({ sender: bob.fp, senderName: 'Bob', mine: false });
    expect(alice.groups.timeline(g.address, 10).map((m) => [m.senderName, m.body])).toEqual([['Bob', 'hello from bob']]);
  });

  it('a member who has not verified the newcomer sends Nack; another member admits it', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const carol = await user('carol');
    verifyAll([alice, bob]);
    const g = { address: await groupOf(bed.service.domain, alice, [bob]) };
    // carol is known to bob only; the service asks alice first or bob first — either way she gets in
    bob.verify(carol);
    carol.verify(bob);
    await carol.groups.join(g.address);
    await carol.waitFor('group.updated', isMember(g.address));
    const asked = bed.service.events.filter((e) => e.type === 'asked' && e.newcomer === carol.fp).map((e) => e.member);
    if (asked[0] === alice.fp) {
      expect(asked).toEqual([alice.fp, bob.fp]);
      expect(alice.events.some((e) => e.name === 'group.notice' && e.payload.text.includes('asked to join'))).toBe(true);
    } else expect(asked).toEqual([bob.fp]);
    // alice verified nobody but bob: carol is in her list (via bob's signed add_user) but unverified
    const view = await alice.waitFor('group.updated', (x) => x.address === g.address && x.members.some((m) => m.fingerprint === carol.fp));
    expect(view.members.find((m) => m.fingerprint === carol.fp)?.verified).toBe(false);
  });

  it('when nobody can vouch, the newcomer is told why and is not admitted', async () => {
    const alice = await user('alice');
    const mallory = await user('mallory');
    const g = await alice.groups.create({ service: bed.service.domain });
    await alice.waitFor('group.updated', isMember(g.address));
    await mallory.groups.join(g.address);
    const refused = await mallory.waitFor('group.updated', (x) => x.address === g.address && x.phase === 'refused');
    expect(refused.status).toContain('No member of this group has verified your key');
    const notice = await mallory.waitFor('group.notice', (n) => n.address === g.address);
    expect(notice.text).toContain('verified your key');
    await bed.service.waitEvent((e) => e.type === 'refused-newcomer' && e.fp === mallory.fp && e.reason === 'nobody-vouched');
    expect(
      alice.groups
        .list()
        .find((x) => x.address === g.address)
        ?.members.map((m) => m.fingerprint),
    ).toEqual([alice.fp]);
  });

  it('a response with the wrong nonce is refused: the newcomer is not admitted and holds no key', async () => {
    // a rogue member: the real state machine on a real connection, answering the challenge wrongly
    const rogueUser = `rogue${randomBytes(3).toString('hex')}`;
    await bed.stack.createAccount(rogueUser, 'rogue-pw-123');
    const client = createClient({
      domain: bed.stack.domain,
      host: bed.stack.host,
      port: bed.stack.port,
      extraCaPem: bed.stack.caPem,
      credentials: { username: rogueUser, password: 'rogue-pw-123' },
    });
    await client.entity.start();
    try {
      const t = groupTransportOf(client);
      const me = groupIdentityOf({ v4: createLocalIdentity({ random: (n) => new Uint8Array(randomBytes(n)), nowMs: Date.now(), versions: '4' }) });
      const random = (n: number) => new Uint8Array(randomBytes(n));
      const address = `g-rogue${randomBytes(4).toString('hex')}@${bed.service.domain}`;
      const dave = await user('dave');
      bed.contacts.push(`${rogueUser}@${bed.stack.domain}`);
      const deps = { me, isTrusted: (fp: string) => fp === dave.fp, random, clock: Date.now };
      let state = newGroupState({ group: address.split('@')[0]!, address, me, name: 'Rogue', create: true, random });
      t.onBody((from, body) => {
        let step: ReturnType<typeof receive>;
        try {
          step = receive(state, from, body, deps);
        } catch {
          return;
        }
        state = step.state;
        for (const m of step.out) {
          const out = m.t === 'encrypted' && step.events.some((e) => e.type === 'vouched') ? null : m;
          if (m.t === 'add_user') continue; // never admitted for real
          if (out) void t.send(address, encodeMessage(out));
          else
            void t.send(
              address,
              encodeMessage(
                sealPairwise(
                  me,
                  state.group,
                  { fp: dave.fp, key: parseMessage(body).t === 'encrypted' ? (parseMessage(body) as { key: typeof me.bundle }).key : me.bundle },
                  {
                    k: 'response',
                    nonce: random(32),
                    session_key: state.keys[state.epoch]!,
                    epoch: state.epoch,
                    creator: me.fingerprint,
                    admins: [me.fingerprint],
                    members: [{ fp: me.fingerprint, key: me.bundle }],
                  },
                  random,
                ),
              ),
            );
        }
      });
      const first = connect(state, deps);
      state = first.state;
      for (const m of first.out) await t.send(address, encodeMessage(m));
      await bed.service.waitEvent((e) => e.type === 'created' && e.fp === me.fingerprint);
      dave.otr.seen(dave.accountId, `${rogueUser}@${bed.stack.domain}`, me.fingerprint, 4, Date.now());
      dave.otr.setVerified(dave.accountId, `${rogueUser}@${bed.stack.domain}`, me.fingerprint, true);
      await dave.groups.join(address);
      const notice = await dave.waitFor('group.notice', (n) => n.address === address && n.text.includes('does not carry our challenge'));
      expect(notice.text).toContain('refused');
      const view = dave.groups.list().find((x) => x.address === address)!;
      expect(view.phase).toBe('admitting');
      expect(view.members).toEqual([]);
      expect(() => dave.groups.timeline(address, 5)).not.toThrow();
      await expect(dave.groups.send(address, 'x')).rejects.toThrow(/not a member/);
    } finally {
      client.reconnect?.stop();
      await client.entity.stop().catch(() => undefined);
    }
  });
});

describe('bad input over XMPP', () => {
  it('a forged user_added sent by a user, not the service: refused with a notice, nothing stored, the group unchanged', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const mallory = await user('mallory');
    verifyAll([alice, bob]);
    const g = { address: await groupOf(bed.service.domain, alice, [bob]) };
    const group = g.address.split('@')[0]!;
    // mallory signs "alice vouched for mallory" herself and sends it as user_added straight to bob
    const st = { op: 'add_user' as const, group, fp: mallory.fp, key: mallory.identity.bundle, by: alice.fp, epoch: 1 };
    const { op: _op, ...fields } = st;
    const forged = encodeMessage({ t: 'user_added', ...fields, sig: signStatement(mallory.identity.signingSecret, st), seq: 1_000_000 });
    const before = bob.groups.list().find((x) => x.address === g.address)!;
    await mallory.transport.send(bob.transport.jid(), forged);
    const notice = await bob.waitFor('group.notice', (n) => n.address === g.address && /does not come from the group service/.test(n.text));
    expect(notice.text).toContain('refused');
    // nothing stored: bob's client, started again from its database, has the same group and a
    // catch-up cursor the forged seq did not move (he still gets what was sent while he was away)
    await bob.goOffline();
    await alice.groups.send(g.address, 'while bob was away');
    await bob.comeBack();
    await bob.waitFor('group.message', (m) => m.body === 'while bob was away');
    const after = bob.groups.list().find((x) => x.address === g.address)!;
    expect(after.members).toEqual(before.members);
    expect(after.members.map((m) => m.fingerprint)).not.toContain(mallory.fp);
  });
});

describe('membership changes', () => {
  it('removal replaces the key: the removed member reads nothing sent afterwards', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const carol = await user('carol');
    verifyAll([alice, bob, carol]);
    const g = { address: await groupOf(bed.service.domain, alice, [bob, carol]) };
    await alice.groups.send(g.address, 'before');
    await carol.waitFor('group.message', (m) => m.body === 'before');
    await bob.waitFor('group.message', (m) => m.body === 'before');

    const mark = bob.events.length;
    await alice.groups.remove(g.address, carol.fp);
    await carol.waitFor('group.updated', (x) => x.address === g.address && x.phase === 'removed');
    await bed.service.waitEvent((e) => e.type === 'removed' && e.fp === carol.fp);
    // bob gets the new key pairwise from alice; until then he may not send
    await rekeyed(bob, mark, g.address, 2);
    await bob.groups.send(g.address, 'after carol');
    await alice.waitFor('group.message', (m) => m.body === 'after carol');
    await alice.groups.send(g.address, 'after carol, from alice');
    await bob.waitFor('group.message', (m) => m.body === 'after carol, from alice');
    expect(carol.groups.timeline(g.address, 10).map((m) => m.body)).toEqual(['before']);
    expect(carol.events.some((e) => e.name === 'group.message' && e.payload.body.startsWith('after'))).toBe(false);
  });

  it('an offline member catches up when it comes back, in order', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    verifyAll([alice, bob]);
    const g = { address: await groupOf(bed.service.domain, alice, [bob]) };
    await bob.goOffline();
    await bed.service.waitEvent((e) => e.type === 'connected' && e.fp === alice.fp);
    for (const t of ['one', 'two', 'three']) await alice.groups.send(g.address, t);
    await bob.comeBack();
    await bob.waitFor('group.message', (m) => m.body === 'three');
    expect(bob.groups.timeline(g.address, 10).map((m) => m.body)).toEqual(['one', 'two', 'three']);
  });

  it('the creator names an admin, who removes a member and rekeys; a former admin is refused', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const carol = await user('carol');
    verifyAll([alice, bob, carol]);
    const g = { address: await groupOf(bed.service.domain, alice, [bob, carol]) };
    // only the creator may name admins: bob's own client refuses at once
    await expect(bob.groups.setAdmin(g.address, carol.fp, true)).rejects.toThrow(/only the creator/);
    await expect(bob.groups.remove(g.address, carol.fp)).rejects.toThrow(/only the creator and its admins/);

    await alice.groups.setAdmin(g.address, bob.fp, true);
    await bed.service.waitEvent((e) => e.type === 'admins-set' && e.group === g.address.split('@')[0]);
    const named = await bob.waitFor('group.updated', (x) => x.address === g.address && x.canRemove);
    expect(named.members.find((m) => m.fingerprint === bob.fp)?.admin).toBe(true);
    expect(named.canNameAdmins).toBe(false);
    await bob.waitFor('group.notice', (n) => n.address === g.address && /made you an admin/.test(n.text));
    await carol.waitFor('group.updated', (x) => x.address === g.address && x.members.some((m) => m.fingerprint === bob.fp && m.admin));

    const mark = alice.events.length;
    await bob.groups.remove(g.address, carol.fp);
    await carol.waitFor('group.updated', (x) => x.address === g.address && x.phase === 'removed');
    // alice accepts the new key from bob, an admin she knows
    await rekeyed(alice, mark, g.address, 2);
    await alice.groups.send(g.address, 'after carol');
    await bob.waitFor('group.message', (m) => m.body === 'after carol');
    expect(carol.events.some((e) => e.name === 'group.message' && e.payload.body === 'after carol')).toBe(false);

    const unnamed = bob.events.length;
    await alice.groups.setAdmin(g.address, bob.fp, false);
    await bob.waitAfter(unnamed, 'group.updated', (x) => x.address === g.address && !x.canRemove && x.phase === 'member');
    await expect(bob.groups.remove(g.address, alice.fp)).rejects.toThrow(/only the creator and its admins/);
  });
});
