// Admins (docs/groups.md §"Admins"): the creator names them with a signed, versioned list; the
// service and every client check it; an admin removes and rekeys; a member without the right,
// a forged or replayed list, and a rekey from a non-admin are refused with nothing changed.
import { describe, expect, it } from 'vitest';
import { setAdmin } from './admins';
import { leave, receive, remove, sendText } from './client';
import { pairwiseTo } from './test-support/admins';
import { TestNet, type TestClient } from './test-support/harness';
import { encodeMessage } from './wire';

async function fourMembers(): Promise<{ net: TestNet; alice: TestClient; bob: TestClient; carol: TestClient; dave: TestClient }> {
  const net = new TestNet();
  const [alice, bob, carol, dave] = [net.client('alice', true), net.client('bob'), net.client('carol'), net.client('dave')];
  const all = [alice, bob, carol, dave];
  for (const c of all) c.trust(...all.filter((o) => o !== c));
  for (const c of all) {
    c.connect();
    await net.flush();
  }
  return { net, alice, bob, carol, dave };
}

const ADDRESS = 'g-test@groups.test';
const texts = (c: TestClient): string[] => c.events.flatMap((e) => (e.type === 'message' ? [e.text] : []));

/** records every body the service sends */
function tap(net: TestNet): string[] {
  const seen: string[] = [];
  const route = net.route.bind(net);
  net.route = (out) => {
    seen.push(...out.map((o) => o.body));
    route(out);
  };
  return seen;
}

describe('naming admins', () => {
  it('the creator names an admin; everyone verifies it; the admin removes and hands out the new key', async () => {
    const { net, alice, bob, carol, dave } = await fourMembers();
    alice.apply((s) => setAdmin(s, bob.fp, true, alice.deps));
    await net.flush();
    for (const c of [alice, bob, carol, dave]) {
      expect(c.state.admins.sort()).toEqual([alice.fp, bob.fp].sort());
      expect(c.state.adminVer).toBe(1);
    }
    expect((await net.store.getGroup('g-test'))?.adminVer).toBe(1);
    bob.apply((s) => remove(s, dave.fp, bob.deps));
    await net.flush();
    expect(bob.errors).toEqual([]);
    expect(dave.state.phase).toBe('removed');
    // bob (an admin) rekeyed; alice and carol accepted the key from him
    expect([alice, bob, carol].map((c) => c.state.epoch)).toEqual([2, 2, 2]);
    expect(carol.state.keys[2]).toEqual(bob.state.keys[2]);
    carol.apply((s) => sendText(s, 'after dave', carol.deps));
    await net.flush();
    expect(texts(alice)).toEqual(['after dave']);
    expect(texts(dave)).toEqual([]);
  });

  it('taking the right back: the former admin can no longer remove (client and service refuse)', async () => {
    const { net, alice, bob, carol } = await fourMembers();
    alice.apply((s) => setAdmin(s, bob.fp, true, alice.deps));
    await net.flush();
    alice.apply((s) => setAdmin(s, bob.fp, false, alice.deps));
    await net.flush();
    expect(carol.state.admins).toEqual([alice.fp]);
    expect(carol.state.adminVer).toBe(2);
    bob.apply((s) => remove(s, carol.fp, bob.deps));
    expect(bob.errors.at(-1)?.code).toBe('not-allowed');
    // crafted anyway: the service refuses it
    const forged = remove({ ...bob.state, admins: [bob.fp] }, carol.fp, bob.deps).out[0]!;
    const out = await net.service.handle(bob.jid, 'g-test', encodeMessage(forged));
    expect(out[0]!.body).toContain('only the creator and its admins');
    expect((await net.store.getGroup('g-test'))?.members.has(carol.fp)).toBe(true);
  });

  it('only the creator names admins: a member is refused by its own client and by the service', async () => {
    const { net, alice, bob, carol } = await fourMembers();
    bob.apply((s) => setAdmin(s, carol.fp, true, bob.deps));
    expect(bob.errors.at(-1)?.code).toBe('not-allowed');
    const crafted = setAdmin({ ...bob.state, creator: bob.fp }, carol.fp, true, bob.deps).out[0]!;
    const out = await net.service.handle(bob.jid, 'g-test', encodeMessage(crafted));
    expect(out).toHaveLength(1);
    expect(out[0]!.body).toContain('only the creator of the group names admins');
    expect((await net.store.getGroup('g-test'))?.admins).toEqual([alice.fp]);
  });

  it('a forged admins_set (signed by a non-creator, as a lying service would relay it) changes nothing', async () => {
    const { bob, carol } = await fourMembers();
    const crafted = setAdmin({ ...bob.state, creator: bob.fp }, carol.fp, true, bob.deps).out[0]!;
    if (crafted.t !== 'set_admins') throw new Error('unexpected');
    const before = carol.state;
    carol.deliver(ADDRESS, encodeMessage({ ...crafted, t: 'admins_set', seq: 99 }));
    expect(carol.errors.at(-1)?.code).toBe('not-allowed');
    expect(carol.state).toBe(before);
    // the same from another JID than the group's is refused before anything else
    carol.deliver('mallory@example.org', encodeMessage({ ...crafted, t: 'admins_set', seq: 99 }));
    expect(carol.errors.at(-1)?.code).toBe('forged-service-message');
  });

  it('a replayed older admin list is refused (the version only grows)', async () => {
    const { net, alice, bob, carol } = await fourMembers();
    const seen = tap(net);
    alice.apply((s) => setAdmin(s, bob.fp, true, alice.deps));
    await net.flush();
    const grant = seen.find((b) => b.includes('"t":"admins_set"'))!;
    alice.apply((s) => setAdmin(s, bob.fp, false, alice.deps));
    await net.flush();
    const before = carol.state;
    carol.deliver(ADDRESS, grant);
    expect(carol.errors.at(-1)?.code).toBe('replay');
    expect(carol.state).toBe(before);
    expect(carol.state.admins).toEqual([alice.fp]);
    // and the service refuses the creator's old statement replayed to it
    const resent = JSON.parse(grant) as Record<string, unknown>;
    delete resent.seq;
    const out = await net.service.handle(alice.jid, 'g-test', JSON.stringify({ ...resent, t: 'set_admins' }));
    expect(out[0]!.body).toContain('"code":"replay"');
  });

  it('a new key from a member who is not an admin is refused', async () => {
    const { alice, bob, carol } = await fourMembers();
    const before = carol.state;
    const rogue = pairwiseTo(bob, carol, { k: 'rekey', epoch: 2, session_key: new Uint8Array(32).fill(9), members: [alice.fp, bob.fp, carol.fp] });
    carol.apply((s) => receive(s, ADDRESS, rogue, carol.deps));
    expect(carol.errors.at(-1)?.code).toBe('not-allowed');
    expect(carol.errors.at(-1)?.message).toMatch(/right to rekey/);
    expect(carol.state).toBe(before);
  });

  it('an admin who leaves loses the right; a newcomer learns the admins from its voucher', async () => {
    const { net, alice, bob, carol, dave } = await fourMembers();
    alice.apply((s) => setAdmin(s, bob.fp, true, alice.deps));
    await net.flush();
    bob.apply((s) => leave(s, bob.deps));
    await net.flush();
    expect(carol.state.admins).toEqual([alice.fp]);
    expect((await net.store.getGroup('g-test'))?.admins).toEqual([alice.fp]);
    expect([alice, carol, dave].map((c) => c.state.epoch)).toEqual([2, 2, 2]);
    alice.apply((s) => setAdmin(s, carol.fp, true, alice.deps));
    await net.flush();
    const erin = net.client('erin').trust(alice);
    alice.trust(erin);
    erin.connect();
    await net.flush();
    expect(erin.state.phase).toBe('member');
    expect(erin.state.admins.sort()).toEqual([alice.fp, carol.fp].sort());
    expect(erin.state.adminVer).toBe(2);
  });

  it('an admin un-named between its removal and its rekey: its key is still accepted, it was the right one', async () => {
    const { net, alice, bob, carol, dave } = await fourMembers();
    alice.apply((s) => setAdmin(s, bob.fp, true, alice.deps));
    await net.flush();
    // the service takes bob's removal, then alice's un-naming, then bob's new keys
    bob.apply((s) => remove(s, dave.fp, bob.deps));
    alice.apply((s) => setAdmin(s, bob.fp, false, alice.deps));
    await net.flush();
    expect(carol.state.admins).toEqual([alice.fp]);
    expect(carol.errors).toEqual([]);
    expect([alice, bob, carol].map((c) => [c.state.epoch, c.state.rekeyPending])).toEqual([
      [2, false],
      [2, false],
      [2, false],
    ]);
  });

  it('while a new key is awaited from the remover, a key from anyone else (even the creator) is refused', async () => {
    const { net, alice, bob, carol, dave } = await fourMembers();
    alice.apply((s) => setAdmin(s, bob.fp, true, alice.deps));
    await net.flush();
    bob.apply((s) => remove(s, dave.fp, bob.deps));
    // bob hears nothing back (his connection is going away): no key from him yet
    bob.online = false;
    await net.flush();
    expect(carol.state.rekeyPending).toBe(true);
    const before = carol.state;
    const other = pairwiseTo(alice, carol, { k: 'rekey', epoch: 2, session_key: new Uint8Array(32).fill(5), members: [alice.fp, bob.fp, carol.fp] });
    carol.apply((s) => receive(s, ADDRESS, other, carol.deps));
    expect(carol.errors.at(-1)?.message).toMatch(/right to rekey/);
    expect(carol.state).toBe(before);
    // bob comes back, catches up on his removal of dave and hands out the key
    bob.connect();
    await net.flush();
    expect(carol.state.rekeyPending).toBe(false);
    expect(carol.state.keys[2]).toEqual(bob.state.keys[2]);
  });
});
