// SMP and trust (otr/smp.ts, otr/dispatch.ts): verification by question or shared secret, by
// fingerprint, and the warning about a changed key (test-support/otr-pair.ts).
import { describe, expect, it } from 'vitest';
import { A, B, ids, openDb, privatePair, pump, side, useOtrFixtures } from './test-support/otr-pair';

useOtrFixtures();

describe('OTR service: SMP and trust', () => {
  it('question and answer: the asker verifies the contact; both are told', () => {
    const [a, b] = privatePair();
    a.svc.startSmp(B, 'blue whale', 'Where did we meet?');
    expect(a.svc.status(B).smp).toMatchObject({ phase: 'waiting', initiatedByUs: true });
    pump(a, b);
    expect(b.svc.status(A).smp).toMatchObject({ phase: 'asked', question: 'Where did we meet?', initiatedByUs: false });
    b.svc.answerSmp(A, 'blue whale');
    pump(a, b);
    expect(a.svc.status(B)).toMatchObject({ state: 'private-verified', smp: { phase: 'succeeded' } });
    expect(b.svc.status(A).smp.phase).toBe('succeeded');
    expect(b.svc.status(A).state).toBe('private-unverified'); // bob has not verified alice yet
    // the asker verified bob; bob only answered and is told so (the renderer words it)
    expect(a.notices.find((n) => n.kind === 'smp-succeeded')).toMatchObject({ peer: B, verifiedThem: true });
    expect(b.notices.find((n) => n.kind === 'smp-succeeded')).toMatchObject({ peer: A, verifiedThem: false });

    // and the other way round
    b.svc.startSmp(A, 'pizza', 'What did we eat?');
    pump(a, b);
    a.svc.answerSmp(B, 'pizza');
    pump(a, b);
    expect(b.svc.status(A).state).toBe('private-verified');
    // trust is per fingerprint and stored
    expect(a.svc.fingerprints(B).theirs).toEqual([expect.objectContaining({ fingerprint: a.svc.status(B).theirFingerprint, version: 4, verified: true })]);
  });

  it('a wrong answer fails on both sides and verifies nobody', () => {
    const [a, b] = privatePair();
    a.svc.startSmp(B, 'blue whale', 'Where did we meet?');
    pump(a, b);
    b.svc.answerSmp(A, 'red whale');
    pump(a, b);
    expect(a.svc.status(B)).toMatchObject({ state: 'private-unverified', smp: { phase: 'failed' } });
    expect(b.svc.status(A)).toMatchObject({ state: 'private-unverified', smp: { phase: 'failed' } });
    expect(a.notices.map((n) => n.kind)).toContain('smp-failed');
    expect(b.notices.map((n) => n.kind)).toContain('smp-failed');
  });

  it('a shared secret verifies both sides', () => {
    const [a, b] = privatePair();
    a.svc.startSmp(B, 'correct horse');
    pump(a, b);
    expect(b.svc.status(A).smp).toMatchObject({ phase: 'asked' });
    expect(b.svc.status(A).smp.question).toBeUndefined();
    b.svc.answerSmp(A, 'correct horse');
    pump(a, b);
    expect(a.svc.status(B).state).toBe('private-verified');
    expect(b.svc.status(A).state).toBe('private-verified');
  });

  it('fingerprint comparison: trust set by hand, refused for a key never seen', () => {
    const [a, b] = privatePair();
    const fp = a.svc.status(B).theirFingerprint as string;
    expect(a.svc.setTrust(B, fp, true).state).toBe('private-verified');
    expect(a.svc.setTrust(B, fp, false).state).toBe('private-unverified');
    expect(() => a.svc.setTrust(B, 'ab'.repeat(56), true)).toThrow(/No key with that fingerprint/);
    expect(() => a.svc.answerSmp(B, 'x')).toThrow(/has not asked/);
    void b;
  });

  it('warns when a contact shows up with a new key', () => {
    const [a, b] = privatePair();
    expect(a.notices.some((n) => n.kind === 'fingerprint-changed')).toBe(false);
    const fp1 = a.svc.status(B).theirFingerprint as string;
    a.svc.setTrust(B, fp1, true);
    const bNew = side(B, ids.B2, openDb()); // bob with a new key (new install, or someone else)
    bNew.svc.start(A);
    pump(a, bNew);
    const warn = a.notices.find((n) => n.kind === 'fingerprint-changed');
    expect(warn?.fingerprint).toBe(bNew.svc.status(A).ourFingerprints.v4);
    // the new key is not trusted just because the old one was
    expect(a.svc.status(B).state).toBe('private-unverified');
    void b;
  });
});
