// The recent notices (otr/notices.ts) a window that was not listening fetches
// (test-support/otr-pair.ts).
import { describe, expect, it } from 'vitest';
import { otrNoticeSchema } from '../../../src-shared/ipc/otr-notices';
import { RECENT_NOTICES_PER_PEER } from './notices';
import { A, B, ids, openDb, privatePair, pump, side, useOtrFixtures } from './test-support/otr-pair';

useOtrFixtures();

describe('OTR service: notices kept for a window that was not listening', () => {
  it('keeps the recent notices of every conversation with stable ids, oldest first, bounded', () => {
    const [a, b] = privatePair();
    // a new key for bob (a reinstall): the warning is pushed and kept
    const b2 = side(B, ids.B2, openDb());
    b2.svc.start(A);
    pump(a, b2);
    void b;
    const kept = a.svc.notices();
    const warning = kept.find((n) => n.kind === 'fingerprint-changed');
    expect(warning).toEqual(a.notices.find((n) => n.kind === 'fingerprint-changed'));
    expect(warning).toMatchObject({ accountId: `acct-${A}`, peer: B, id: expect.stringMatching(/^[0-9a-f-]{36}$/) as string });
    a.svc.accountNotice({ kind: 'prekey-server-changed', server: 'prekeys.example.test', fingerprint: 'ab'.repeat(56), whose: 'own' });
    expect(a.svc.notices().at(-1)).toMatchObject({ peer: A, kind: 'prekey-server-changed', whose: 'own' });
    // a notice is a code and data: no sentence comes from the core
    for (const n of a.svc.notices()) expect(otrNoticeSchema.safeParse(n).error).toBeUndefined();
    // bounded per conversation: the oldest go first
    for (let i = 0; i < RECENT_NOTICES_PER_PEER + 5; i++)
      a.svc.offlineDevices(B, { ok: false, reason: 'fingerprint-changed', server: 'prekeys.example.test', announced: 'AB'.repeat(56) });
    const forBob = a.svc.notices().filter((n) => n.peer === B);
    expect(forBob).toHaveLength(RECENT_NOTICES_PER_PEER);
    expect(new Set(a.svc.notices().map((n) => n.id)).size).toBe(a.svc.notices().length);
  });
});
