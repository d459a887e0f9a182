import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { makePair, type Side } from './test-support/pair';
import { KnockLimiter, KNOCK_FRESHNESS_MS, openKnockFor, sealKnockFor } from './knock';
import { KnockRejectedError } from './errors';

const random = (n: number) => new Uint8Array(randomBytes(n));

async function paired() {
  const p = makePair();
  await p.alice.hs.approve('acc', 'bob@b.test');
  await p.flush();
  await p.bob.hs.approve('acc', 'alice@a.test');
  await p.flush();
  return p;
}

function reject(side: Side, env: Parameters<typeof openKnockFor>[1], now: number): string {
  try {
    openKnockFor(side.store, env, now);
  } catch (e) {
    if (e instanceof KnockRejectedError) return e.code;
    throw e;
  }
  return 'opened';
}

describe('knocks sealed and opened by the core (docs/architecture.md §7)', () => {
  it("alice's knock opens at bob's: looked up by public To/From, names checked", async () => {
    const { alice, bob } = await paired();
    const env = sealKnockFor(alice.store.record('acc', 'bob@b.test')!, 5_000_000, random);
    expect(env.to).toEqual({ endpoint: 'https://push.b.test/api/v1/', push_name: 'bob' });
    expect(env.from).toEqual({ endpoint: 'https://push.a.test/api/v1/', push_name: 'alice' });
    // the envelope carries no account name in clear
    expect(JSON.stringify(env)).not.toContain('alice@a.test');
    const opened = openKnockFor(bob.store, env, 5_000_100);
    expect(opened.record.peer).toBe('alice@a.test');
    expect(opened.secret).toMatchObject({ protocol: 'xmpp', account_name: 'alice@a.test', buddy_name: 'bob@b.test', time: 5_000_000 });
  });

  it('replays, stale and future times, unknown senders and wrong keys are dropped', async () => {
    const { alice, bob } = await paired();
    const record = alice.store.record('acc', 'bob@b.test')!;
    const env = sealKnockFor(record, 5_000_000, random);
    expect(reject(bob, env, 5_000_000)).toBe('opened');
    expect(reject(bob, env, 5_000_001)).toBe('replayed');
    expect(reject(bob, sealKnockFor(record, 5_000_000 - KNOCK_FRESHNESS_MS - 1, random), 5_000_000)).toBe('stale');
    expect(reject(bob, sealKnockFor(record, 5_000_000 + KNOCK_FRESHNESS_MS + 1, random), 5_000_000)).toBe('stale');
    expect(reject(bob, sealKnockFor({ ...record, sharedKey: random(64) }, 5_000_000, random), 5_000_000)).toBe('wrong-key');
    expect(reject(bob, sealKnockFor({ ...record, pushName: 'mallory' }, 5_000_000, random), 5_000_000)).toBe('unknown-sender');
    // sealed with the right key but naming another account
    expect(reject(bob, sealKnockFor({ ...record, accountName: 'mallory@a.test' }, 5_000_000, random), 5_000_000)).toBe('mismatched-names');
    // a tampered To/From (associated data) no longer opens
    const moved = { ...env, id: sealKnockFor(record, 5_000_000, random).id };
    expect(reject(bob, moved, 5_000_000)).toBe('wrong-key');
  });

  it('after a rotation the old shared_key no longer opens a knock', async () => {
    const { alice, bob, flush } = await paired();
    const old = alice.store.record('acc', 'bob@b.test')!;
    await bob.hs.rotate('acc', 'alice@a.test');
    await flush();
    expect(reject(bob, sealKnockFor(old, 5_000_000, random), 5_000_000)).toBe('wrong-key');
    expect(reject(bob, sealKnockFor(alice.store.record('acc', 'bob@b.test')!, 5_000_000, random), 5_000_000)).toBe('opened');
  });

  it('one knock per contact per minute while unanswered', () => {
    const l = new KnockLimiter(60_000);
    expect(l.take('bob', 0)).toBe(true);
    expect(l.take('bob', 59_999)).toBe(false);
    expect(l.take('carol', 1)).toBe(true);
    expect(l.take('bob', 60_000)).toBe(true);
    l.answered('bob');
    expect(l.take('bob', 60_001)).toBe(true);
  });
});
