// Published prekeys count as "speaks OTR" under the opportunistic policy (otr/prekey-signal.ts,
// otr/policy.ts; issue 13, no plaintext surprises): asked once, kept for a while, a failed query
// is unknown (not "no"). The service with real libraries; the clock is the test's.
import { describe, expect, it } from 'vitest';
import { nativeDh3072Engine, systemRandom } from '../../../src-shared/node-crypto/dh-engines';
import { generatePrekeyMessages } from '../../../src-shared/otr/v4/identity';
import type { PrekeyEnsemble } from '../../../src-shared/otr/v4/prekey-message';
import { PREKEY_SIGNAL_MAX_AGE_MS, PREKEY_SIGNAL_RETRY_MS, createPrekeySignal } from './prekey-signal';
import { A, B, ids, openDb, side, useOtrFixtures, write } from './test-support/otr-pair';

useOtrFixtures();

const C = 'carol@example.test';

function ensembleOfB(): PrekeyEnsemble {
  const [prekeyMessage] = generatePrekeyMessages(ids.B.v4, systemRandom, nativeDh3072Engine(), 1);
  return { clientProfile: ids.B.v4.clientProfiles[0]!, prekeyProfile: ids.B.v4.sharedPrekeys[0]!.profile, prekeyMessage: prekeyMessage! };
}

describe('published prekeys as a sign that the contact speaks OTR', () => {
  it('opportunistic: unknown until asked; published makes the first message wait; "none" leaves it in clear', () => {
    let now = 1_700_000_000_000;
    const a = side(A, ids.A, openDb(), 'opportunistic', { clock: () => now });
    expect(a.svc.wantsPrivate(B)).toBe(false);
    expect(a.svc.asksPrekeys(B)).toBe(true);
    expect(a.svc.status(B).sendsInClear).toBe(true);

    a.svc.offlineDevices(B, { ok: true, byInstanceTag: new Map([[ids.B.instanceTag, ensembleOfB()]]) });
    expect(a.svc.asksPrekeys(B)).toBe(false); // asked once: the answer is kept
    expect(a.svc.wantsPrivate(B)).toBe(true);
    expect(a.svc.status(B).sendsInClear).toBe(false);
    // the first message waits for the private session: queued, a query out, nothing in clear
    expect(write(a, B, 'first words')).toBe('queued');
    expect(a.wireLog.every((w) => !w.inClear && w.body.startsWith('?OTR'))).toBe(true);

    a.svc.offlineDevices(C, { ok: false, reason: 'none' });
    expect(a.svc.wantsPrivate(C)).toBe(false);
    expect(a.svc.asksPrekeys(C)).toBe(false);
    now += PREKEY_SIGNAL_MAX_AGE_MS;
    expect(a.svc.asksPrekeys(C)).toBe(true); // the answer has aged: asked again
  });

  it('a failed query is unknown, not "no": asked again after a while; other policies never ask', () => {
    let now = 1_700_000_000_000;
    const a = side(A, ids.A, openDb(), 'opportunistic', { clock: () => now });
    a.svc.prekeysUnknown(B);
    expect(a.svc.wantsPrivate(B)).toBe(false);
    expect(a.svc.asksPrekeys(B)).toBe(false);
    now += PREKEY_SIGNAL_RETRY_MS - 1;
    expect(a.svc.asksPrekeys(B)).toBe(false);
    now += 1;
    expect(a.svc.asksPrekeys(B)).toBe(true);

    const manual = side(A, ids.A, openDb(), 'manual');
    expect(manual.svc.asksPrekeys(B)).toBe(false);
    manual.svc.offlineDevices(B, { ok: true, byInstanceTag: new Map([[ids.B.instanceTag, ensembleOfB()]]) });
    expect(manual.svc.wantsPrivate(B)).toBe(false);
    const always = side(A, ids.A, openDb(), 'always');
    expect(always.svc.asksPrekeys(B)).toBe(false);
  });

  it('the signal itself: unusable answers and a changed server key tell nothing', () => {
    let now = 0;
    const s = createPrekeySignal(() => now);
    expect(s.published(B)).toBeUndefined();
    s.learn(B, { ok: false, reason: 'unusable' });
    expect(s.published(B)).toBeUndefined();
    s.learn(C, { ok: false, reason: 'fingerprint-changed', server: 'prekeys.example.test', announced: 'AB' });
    expect(s.published(C)).toBeUndefined();
    s.learn(C, { ok: false, reason: 'no-server' });
    expect(s.published(C)).toBe(false);
    now = PREKEY_SIGNAL_MAX_AGE_MS;
    expect(s.published(C)).toBeUndefined();
  });
});
