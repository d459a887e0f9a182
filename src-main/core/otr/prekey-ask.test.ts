// The account asking a contact's prekey server before a message is written (otr/prekey-ask.ts
// wantsPrivateAsking): asked only when that could change the answer, a failure or a silent server
// is "unknown" (the message goes as it would have), and a late answer is still recorded. The
// service is real (test-support/otr-pair.ts); the prekey lookup and the timers are the test's.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nativeDh3072Engine, systemRandom } from '../../../src-shared/node-crypto/dh-engines';
import { generatePrekeyMessages } from '../../../src-shared/otr/v4/identity';
import type { OtrAccount } from './account';
import { PREKEY_ASK_WAIT_MS, wantsPrivateAsking } from './prekey-ask';
import type { OtrService } from './service';
import { A, B, ids, openDb, side, useOtrFixtures } from './test-support/otr-pair';
import type { FetchedEnsembles } from './wire';

useOtrFixtures();
afterEach(() => vi.useRealTimers());

function published(): FetchedEnsembles {
  const [prekeyMessage] = generatePrekeyMessages(ids.B.v4, systemRandom, nativeDh3072Engine(), 1);
  const e = { clientProfile: ids.B.v4.clientProfiles[0]!, prekeyProfile: ids.B.v4.sharedPrekeys[0]!.profile, prekeyMessage: prekeyMessage! };
  return { ok: true, byInstanceTag: new Map([[ids.B.instanceTag, e]]) };
}

/** an OtrAccount as prekey-ask.ts uses it: the service in order, and a lookup the test answers */
function account(svc: OtrService, lookup: () => Promise<FetchedEnsembles>): { otr: OtrAccount; asked: () => number } {
  let n = 0;
  const otr = {
    run: <T>(f: (s: OtrService) => T) => Promise.resolve().then(() => f(svc)),
    offlineDevices: async (peer: string) => {
      n++;
      const fetched = await lookup();
      return svc.offlineDevices(peer, fetched);
    },
  } as unknown as OtrAccount;
  return { otr, asked: () => n };
}

describe('asking for published prekeys before a message is written', () => {
  it('asks once: published means the message waits for a private session; not asked again while known', async () => {
    const a = side(A, ids.A, openDb(), 'opportunistic');
    const { otr, asked } = account(a.svc, async () => published());
    expect(await wantsPrivateAsking(otr, B)).toBe(true);
    expect(await wantsPrivateAsking(otr, B)).toBe(true);
    expect(asked()).toBe(1);
  });

  it('a failed lookup is unknown: the message goes as it would have, and it is not asked at every message', async () => {
    const a = side(A, ids.A, openDb(), 'opportunistic');
    const { otr, asked } = account(a.svc, () => Promise.reject(new Error('timeout')));
    expect(await wantsPrivateAsking(otr, B)).toBe(false);
    expect(await wantsPrivateAsking(otr, B)).toBe(false);
    expect(asked()).toBe(1);
  });

  it('a silent server holds the message PREKEY_ASK_WAIT_MS at most; its late answer is still recorded', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const a = side(A, ids.A, openDb(), 'opportunistic');
    let answer: (f: FetchedEnsembles) => void = () => {};
    const { otr } = account(a.svc, () => new Promise((r) => (answer = r)));
    const decision = wantsPrivateAsking(otr, B);
    await vi.advanceTimersByTimeAsync(PREKEY_ASK_WAIT_MS);
    expect(await decision).toBe(false);
    answer(published());
    await vi.waitFor(() => expect(a.svc.wantsPrivate(B)).toBe(true));
  });

  it('never asks under manual or always, nor when something else already decides', async () => {
    for (const policy of ['manual', 'always'] as const) {
      const s = side(A, ids.A, openDb(), policy);
      const { otr, asked } = account(s.svc, async () => published());
      expect(await wantsPrivateAsking(otr, B)).toBe(policy === 'always');
      expect(asked()).toBe(0);
    }
    const s = side(A, ids.A, openDb(), 'opportunistic');
    s.svc.start(B); // private by intent
    const { otr, asked } = account(s.svc, async () => published());
    expect(await wantsPrivateAsking(otr, B)).toBe(true);
    expect(asked()).toBe(0);
  });
});
