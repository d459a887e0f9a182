// OTR version 2 in the app (issue 11 item 5): the OTR service of one account against a client
// that speaks only version 2 (our OTRv3 library with allowV3 false: Profanity's libotr policy).
// A v2 session comes up from either side (the query, our whitespace tag), its fingerprint is the
// DSA one, stored and trusted as OTRv3's; with ALLOW_V2 off the service says why nothing starts.
import { describe, expect, it } from 'vitest';
import { OPPORTUNISTIC_POLICY, type EngineOutput } from '../../../src-shared/otr/api';
import { findWhitespaceTag } from '../../../src-shared/otr/common/whitespace';
import { V3Conversation } from '../../../src-shared/otr/v3/conversation';
import { nativeDh1536Engine, systemRandom } from '../../../src-shared/node-crypto/dh-engines';
import { A, B, ids, openDb, shown, side, useOtrFixtures, write, type Side } from './test-support/otr-pair';

useOtrFixtures();

const V2_FULL = `${B}/profanity`;

/** a client that speaks only OTR version 2 */
function v2Client() {
  const conv = new V3Conversation({
    identity: ids.B.v3,
    rng: systemRandom,
    clock: Date.now,
    engine: nativeDh1536Engine(),
    policy: { ...OPPORTUNISTIC_POLICY, allowV3: false, allowV4: false, sendWhitespaceTag: false },
  });
  const p = { conv, out: [] as string[], texts: [] as string[] };
  const take = (o: EngineOutput) => {
    p.out.push(...o.toSend);
    for (const e of o.events) if (e.type === 'message' && e.text) p.texts.push(e.text);
  };
  return { ...p, take };
}
type V2 = ReturnType<typeof v2Client>;

/** delivers both ways until quiet */
function pump(a: Side, p: V2): void {
  for (let i = 0; i < 200; i++) {
    const fromA = a.out.shift();
    if (fromA) {
      p.take(p.conv.receive(fromA.body));
      continue;
    }
    const fromP = p.out.shift();
    if (fromP) {
      shown(a, a.svc.receive(V2_FULL, fromP));
      continue;
    }
    return;
  }
  throw new Error('did not settle');
}

describe('OTR version 2 in the service', () => {
  it('the v2 client starts: a version 2 session, its DSA fingerprint stored as OTRv3 and trusted, messages both ways', () => {
    const a = side(A, ids.A, openDb());
    const p = v2Client();
    p.take(p.conv.start());
    expect(p.out).toEqual(['?OTRv2?']);
    pump(a, p);
    const st = a.svc.status(B);
    expect(st).toMatchObject({ state: 'private-unverified', version: 2, theirFingerprint: p.conv.fingerprint });
    expect(a.svc.fingerprints(B).theirs).toEqual([expect.objectContaining({ fingerprint: p.conv.fingerprint, version: 3, verified: false })]);
    expect(a.svc.setTrust(B, p.conv.fingerprint, true).state).toBe('private-verified');

    expect(write(a, B, 'hello profanity')).toBe('sent');
    expect(a.out[0]?.to).toBe(V2_FULL);
    expect(a.out[0]?.body).not.toContain('hello');
    pump(a, p);
    expect(p.texts).toEqual(['hello profanity']);
    p.take(p.conv.send('hello messenger'));
    pump(a, p);
    expect(a.received).toEqual([{ text: 'hello messenger', encrypted: true }]);
  });

  it('our whitespace tag offers versions 4, 3 and 2, so the v2 client starts from our plaintext', () => {
    const a = side(A, ids.A, openDb());
    const p = v2Client();
    expect(write(a, B, 'plain hello')).toBe('plain');
    expect(findWhitespaceTag(a.out[0]!.body)?.versions).toEqual([4, 3, 2]);
    pump(a, p);
    expect(p.texts).toEqual(['plain hello']);
    expect(a.svc.status(B)).toMatchObject({ state: 'private-unverified', version: 2 });
  });

  it('with version 2 refused: a typed notice (once), no session, our tag no longer offers 2, and our waiting start gives up', () => {
    const a = side(A, ids.A, openDb());
    expect(a.svc.setPolicy(undefined, null, false)).toBe('opportunistic');
    expect(a.svc.status(B).allowV2).toBe(false);
    a.svc.start(B);
    expect(a.svc.status(B).starting?.gaveUp).toBe(false);
    a.out.length = 0;

    const p = v2Client();
    p.take(p.conv.start());
    p.take(p.conv.start());
    pump(a, p);
    expect(a.notices.filter((n) => n.kind === 'older-version-refused')).toEqual([
      expect.objectContaining({ kind: 'older-version-refused', by: 'query', peer: B }),
    ]);
    const st = a.svc.status(B);
    expect(st.state).toBe('not-private');
    expect(st.starting?.gaveUp).toBe(true);

    a.svc.end(B);
    expect(write(a, B, 'plain again')).toBe('plain');
    expect(findWhitespaceTag(a.out.at(-1)!.body)?.versions).toEqual([4, 3]);

    // allowed again: the account keeps its policy, the next conversation speaks version 2
    a.svc.setPolicy(undefined, null, true);
    a.out.length = 0;
    p.take(p.conv.start());
    pump(a, p);
    expect(a.svc.status(B)).toMatchObject({ state: 'private-unverified', version: 2, allowV2: true, policy: 'opportunistic' });
  });
});
