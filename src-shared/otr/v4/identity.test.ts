import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OtrError } from '../common/errors';
import { validateClientProfile } from './client-profile';
import {
  createLocalIdentity,
  dakeIdentity,
  deserializeLocalIdentity,
  forgetStalePrekeys,
  generatePrekeyMessages,
  prekeyOwner,
  renewProfiles,
  serializeLocalIdentity,
} from './identity';
import { V4Conversation } from './session';
import { nativeDh3072Engine, seededRandom } from './test-support/engines';
import { makeParty, T0 } from './test-support/parties';

const dh = nativeDh3072Engine();
const DAY = 86400_000;

describe('local identity (persisted state)', () => {
  it('round-trips through its serialised form', () => {
    const rng = seededRandom('id');
    const id = createLocalIdentity({ random: rng, nowMs: T0 });
    generatePrekeyMessages(id, rng, dh, 3);
    const back = deserializeLocalIdentity(serializeLocalIdentity(id));
    expect(back.instanceTag).toBe(id.instanceTag);
    expect(back.longTerm.public.equals(id.longTerm.public)).toBe(true);
    expect(back.forging.symmetric).toBeUndefined();
    expect(back.clientProfiles[0]!.encoded).toEqual(id.clientProfiles[0]!.encoded);
    expect([...back.prekeys.keys()]).toEqual([...id.prekeys.keys()]);
    for (const [k, v] of id.prekeys) expect(back.prekeys.get(k)!.ecdh.public.equals(v.ecdh.public)).toBe(true);
    expect(serializeLocalIdentity(back)).toBe(serializeLocalIdentity(id));
  });

  it('renews profiles before expiry and keeps the old ones for the grace day', () => {
    const rng = seededRandom('renew');
    const id = createLocalIdentity({ random: rng, nowMs: T0 });
    expect(renewProfiles(id, rng, T0 + DAY)).toEqual({});
    const r = renewProfiles(id, rng, T0 + 6.5 * DAY);
    expect(r.clientProfile && r.prekeyProfile).toBeTruthy();
    expect(id.clientProfiles).toHaveLength(2);
    validateClientProfile(id.clientProfiles[0]!, { senderTag: id.instanceTag, nowMs: T0 + 10 * DAY });
    renewProfiles(id, rng, T0 + 8.5 * DAY);
    expect(id.clientProfiles).toHaveLength(1);
    expect(id.sharedPrekeys).toHaveLength(1);
  });

  it('receives an offline conversation through a restored identity, prekey used once', () => {
    const rng = seededRandom('offline');
    const bobId = createLocalIdentity({ random: rng, nowMs: T0 });
    const [pm] = generatePrekeyMessages(bobId, rng, dh, 1);
    const ensemble = { clientProfile: bobId.clientProfiles[0]!, prekeyProfile: bobId.sharedPrekeys[0]!.profile, prekeyMessage: pm! };
    const restored = deserializeLocalIdentity(serializeLocalIdentity(bobId)); // e.g. after a restart
    // what the app keeps in the keychain, rewritten whenever a prekey is used
    let stored = serializeLocalIdentity(restored);
    const persist = () => {
      stored = serializeLocalIdentity(restored);
    };
    const bob = new V4Conversation({
      identity: dakeIdentity(restored),
      random: rng,
      clock: () => T0,
      dh,
      ourId: 'bob@x',
      theirId: 'alice@x',
      prekeyOwner: prekeyOwner(restored, () => T0, persist),
    });
    const alice = makeParty('alice@x', 'bob@x', seededRandom('alice'), dh);
    const aliceConv = new V4Conversation({ identity: alice.identity, random: seededRandom('a2'), clock: () => T0, dh, ourId: 'alice@x', theirId: 'bob@x' });
    const out = aliceConv.startNonInteractive(ensemble, 'while you were away');
    const events = out.toSend.flatMap((m) => bob.receive(m).events);
    expect(events).toContainEqual({ type: 'message', text: 'while you were away', encrypted: true, instanceTag: alice.identity.instanceTag });
    expect(restored.prekeys.size).toBe(0);

    // the used prekey is gone from the persisted copy too: after a restart, a replay of the same
    // Non-Interactive-Auth finds no prekey and delivers nothing
    const afterRestart = deserializeLocalIdentity(stored);
    expect(afterRestart.prekeys.size).toBe(0);
    const bobAgain = new V4Conversation({
      identity: dakeIdentity(afterRestart),
      random: rng,
      clock: () => T0,
      dh,
      ourId: 'bob@x',
      theirId: 'alice@x',
      prekeyOwner: prekeyOwner(afterRestart, () => T0),
    });
    const replayed = out.toSend.flatMap((m) => bobAgain.receive(m).events);
    expect(replayed.filter((e) => e.type === 'message')).toEqual([]);
  });

  it('forgets prekey secrets past their age or beyond the count, oldest first, and erases them', () => {
    const rng = seededRandom('stale');
    const id = createLocalIdentity({ random: rng, nowMs: T0 });
    generatePrekeyMessages(id, rng, dh, 6);
    const [a, b, c, d, e, f] = [...id.prekeys.values()];
    // two from long ago, three recent, one without a date (kept before dates were recorded)
    a!.madeAt = T0 - 70 * DAY;
    b!.madeAt = T0 - 61 * DAY;
    c!.madeAt = T0 - 3 * DAY;
    d!.madeAt = T0 - 2 * DAY;
    e!.madeAt = T0 - DAY;
    delete f!.madeAt;
    const oldSecret = a!.ecdh;
    expect(forgetStalePrekeys(id, T0, { maxAgeMs: 60 * DAY, maxKept: 3 })).toBe(3);
    // the undated one counts as made now; of the dated recent ones the oldest (c) goes by count
    expect([...id.prekeys.keys()].sort()).toEqual([d!.id, e!.id, f!.id].sort());
    expect(id.prekeys.get(f!.id)!.madeAt).toBe(T0);
    expect(oldSecret.secret).toBe(0n);
    // the date survives the keychain round trip
    const back = deserializeLocalIdentity(serializeLocalIdentity(id));
    expect(back.prekeys.get(d!.id)!.madeAt).toBe(T0 - 2 * DAY);
    expect(forgetStalePrekeys(back, T0, { maxAgeMs: 60 * DAY, maxKept: 3 })).toBe(0);
  });

  it('deserialisation throws only OtrError', () => {
    const valid = serializeLocalIdentity(createLocalIdentity({ random: seededRandom('f'), nowMs: T0 }));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.tuple(fc.nat(), fc.string({ maxLength: 3 })).map(([i, s]) => valid.slice(0, i % valid.length) + s + valid.slice((i % valid.length) + 1)),
        ),
        (s) => {
          try {
            deserializeLocalIdentity(s);
          } catch (e) {
            expect(e).toBeInstanceOf(OtrError);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
