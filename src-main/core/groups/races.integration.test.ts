// Membership changes that race (docs/groups.md §"Rekeys: ordering and races" and §"Admission and
// rekey, in order"), on the local Prosody with the real group service: two admins removing two
// members at the same moment, and a newcomer admitted between a removal and its rekey. Where the
// race must happen in one order, the test holds a client's outgoing stanzas until the service has
// logged the other event (the harness's `hold`), then lets them go: no sleeps, real parts only.
import { describe, expect, it } from 'vitest';
import { openGroup } from '../../../src-shared/groups/group-cipher';
import { openPairwise } from '../../../src-shared/groups/pairwise';
import { type MessageOf, parseMessage } from '../../../src-shared/groups/wire';
import { groupOf, rekeyed, useGroupBed, verifyAll } from './test-support/bed';
import type { GroupUser } from './test-support/harness';

const bed = useGroupBed();

/** every body `u` receives from now on */
function capture(u: GroupUser): string[] {
  const bodies: string[] = [];
  u.transport.onBody((_from, body) => bodies.push(body));
  return bodies;
}

const parsed = (bodies: string[]) =>
  bodies.flatMap((b) => {
    try {
      return [parseMessage(b)];
    } catch {
      return [];
    }
  });

/** every session key `u` was ever handed (its admission response, rekeys), opened with its identity */
function keysHandedTo(u: GroupUser, bodies: string[]): Uint8Array[] {
  return parsed(bodies).flatMap((m) => {
    if (m.t !== 'encrypted' || m.to !== u.fp) return [];
    const p = openPairwise(u.identity, m);
    return p.k === 'response' || p.k === 'rekey' ? [p.session_key] : [];
  });
}

/** none of `keys` opens a group message among `bodies` (sent by `senders`); returns how many there were */
function unreadableBy(keys: Uint8Array[], bodies: string[], senders: GroupUser[]): number {
  const msgs = parsed(bodies).filter((m): m is MessageOf<'group'> => m.t === 'group');
  for (const m of msgs) {
    const h = senders.find((u) => u.fp === m.from)!.identity.bundle.h;
    for (const k of keys) expect(() => openGroup(m, k, h)).toThrow();
  }
  return msgs.length;
}

describe('races between membership changes', () => {
  it('two admins remove two members at once: the remaining members agree on one key and the removed read nothing after', async () => {
    const [alice, bob, carol, dave, erin] = await Promise.all(['alice', 'bob', 'carol', 'dave', 'erin'].map((n) => bed.user(n)));
    verifyAll([alice!, bob!, carol!, dave!, erin!]);
    const seenBy = new Map([alice!, bob!, carol!, dave!, erin!].map((u) => [u, capture(u)]));
    const address = await groupOf(bed.service.domain, alice!, [bob!, carol!, dave!, erin!]);
    await alice!.groups.setAdmin(address, bob!.fp, true);
    await bob!.waitFor('group.updated', (x) => x.address === address && x.canRemove);
    await carol!.waitFor('group.updated', (x) => x.address === address && x.members.some((m) => m.fingerprint === bob!.fp && m.admin));

    // both removals reach the service before either admin's new key does: the race, every time
    const held = [alice!, bob!].map((u) => u.hold((b) => b.includes('"t":"encrypted"')));
    const marks = [alice!, bob!, carol!].map((u) => u.events.length);
    const from = new Map([...seenBy].map(([u, b]) => [u, b.length]));
    await Promise.all([alice!.groups.remove(address, dave!.fp), bob!.groups.remove(address, erin!.fp)]);
    await bed.service.waitEvent((e) => e.type === 'removed' && e.fp === dave!.fp);
    await bed.service.waitEvent((e) => e.type === 'removed' && e.fp === erin!.fp);
    await Promise.all(held.map((h) => h.held));
    await Promise.all(held.map((h) => h.release()));

    // one key for the three who remain: each holds it, none waits any more
    const remaining = [alice!, bob!, carol!];
    await Promise.all(remaining.map((u, i) => rekeyed(u, marks[i]!, address, 3)));
    for (const u of [dave!, erin!]) await u.waitFor('group.updated', (x) => x.address === address && x.phase === 'removed');
    for (const sender of remaining) {
      const text = `after both, from ${sender.name}`;
      await sender.groups.send(address, text);
      for (const r of remaining) if (r !== sender) await r.waitFor('group.message', (m) => m.body === text && m.sender === sender.fp);
    }
    for (const u of [dave!, erin!]) {
      expect(u.events.some((e) => e.name === 'group.message' && e.payload.body.startsWith('after both'))).toBe(false);
      // whatever keys they were ever handed (erin got the key of the overtaken removal), none opens what was sent after
      const keys = keysHandedTo(u, seenBy.get(u)!);
      expect(keys.length).toBeGreaterThan(0);
      const opened = remaining.map((r) => unreadableBy(keys, seenBy.get(r)!.slice(from.get(r)), remaining));
      expect(opened.reduce((a, b) => a + b, 0)).toBe(6);
    }
  });

  it('a newcomer admitted between a removal and its rekey gets the new key, not the old one', async () => {
    const [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((n) => bed.user(n)));
    verifyAll([alice!, bob!, carol!]);
    // only bob knows dave: bob vouches
    bob!.verify(dave!);
    dave!.verify(bob!);
    const saw = [alice!, bob!, carol!].map(capture);
    const address = await groupOf(bed.service.domain, alice!, [bob!, carol!]);

    // bob answers dave with the current key; his add_user waits until alice's removal of carol is logged
    const add = bob!.hold((b) => b.includes('"t":"add_user"'));
    await dave!.groups.join(address, 'Dave');
    await add.held;
    const marks = [alice!, bob!].map((u) => u.events.length);
    const from = saw.map((b) => b.length);
    await alice!.groups.remove(address, carol!.fp);
    await bed.service.waitEvent((e) => e.type === 'removed' && e.fp === carol!.fp);
    await add.release();

    const admitted = await dave!.waitFor('group.updated', (x) => x.address === address && x.phase === 'member');
    // dave's list is the one after the removal: carol is not in it
    expect(admitted.members.map((m) => m.fingerprint).sort()).toEqual([alice!.fp, bob!.fp, dave!.fp].sort());
    await Promise.all([alice!, bob!].map((u, i) => rekeyed(u, marks[i]!, address, 3)));
    await alice!.groups.send(address, 'after carol, to dave');
    await dave!.waitFor('group.message', (m) => m.body === 'after carol, to dave');
    await dave!.groups.send(address, 'dave here');
    await alice!.waitFor('group.message', (m) => m.body === 'dave here');
    await bob!.waitFor('group.message', (m) => m.body === 'dave here');
    expect(carol!.events.some((e) => e.name === 'group.message' && ['after carol, to dave', 'dave here'].includes(e.payload.body))).toBe(false);
    // carol's keys (her admission's) open nothing sent after her removal: dave's hello, alice's and dave's texts
    const carolKeys = keysHandedTo(carol!, saw[2]!);
    expect(carolKeys.length).toBeGreaterThan(0);
    const after = [0, 1].map((i) => unreadableBy(carolKeys, saw[i]!.slice(from[i]), [alice!, bob!, dave!]));
    expect(after[0]! + after[1]!).toBeGreaterThanOrEqual(4);
    expect(bed.service.events.some((e) => e.type === 'admitted' && e.fp === dave!.fp)).toBe(true);
    // a vouch overtaken by the removal is answered again quietly: bob is told nothing about it
    expect(bob!.events.some((e) => e.name === 'group.notice' && /refused/.test(e.payload.text))).toBe(false);
  });
});
