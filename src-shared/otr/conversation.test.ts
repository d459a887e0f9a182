import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OPPORTUNISTIC_POLICY, type EngineOutput, type OtrEvent, type OtrPolicy } from './api';
import { NegotiatingConversation } from './conversation';
import { fixtureKey, nativeDh1536Engine } from './v3/test-support/keys';
import { V3Conversation } from './v3/conversation';
import { nativeDh3072Engine, seededRandom } from './v4/test-support/engines';
import { makeParty, T0 } from './v4/test-support/parties';
import { readVector } from './test-support/vectors';

const dh = nativeDh3072Engine();
const dh1536 = nativeDh1536Engine();

interface End {
  conv: { receive(w: string): EngineOutput; send(t: string): EngineOutput; start(): EngineOutput; sessions(): Array<{ state: string; version?: number }> };
  events: OtrEvent[];
  inbox: string[];
}

function negotiating(name: string, peer: string, keyIndex: number, policy: Partial<OtrPolicy> = {}, v3 = true, v4 = true): End {
  const random = seededRandom(name);
  const party = makeParty(name, peer, random, dh);
  const conv = new NegotiatingConversation({
    policy: { ...OPPORTUNISTIC_POLICY, ...policy },
    ...(v3
      ? { v3: { identity: { instanceTag: party.identity.instanceTag, dsaKey: fixtureKey(keyIndex) }, rng: random, clock: () => T0, engine: dh1536 } }
      : {}),
    ...(v4 ? { v4: { identity: party.identity, random, clock: () => T0, dh, ourId: name, theirId: peer } } : {}),
  });
  return { conv, events: [], inbox: [] };
}

function plainV3(name: string, keyIndex: number, policy: Partial<OtrPolicy> = {}): End {
  const random = seededRandom(name);
  const conv = new V3Conversation({
    identity: { instanceTag: 0x2345, dsaKey: fixtureKey(keyIndex) },
    rng: random,
    clock: () => T0,
    engine: dh1536,
    policy: { ...OPPORTUNISTIC_POLICY, allowV4: false, ...policy },
  });
  return { conv, events: [], inbox: [] };
}

function post(from: End, to: End, out: EngineOutput): void {
  from.events.push(...out.events);
  to.inbox.push(...out.toSend);
}

function pump(a: End, b: End): void {
  for (let i = 0; i < 200; i++) {
    if (a.inbox.length) post(a, b, a.conv.receive(a.inbox.shift()!));
    else if (b.inbox.length) post(b, a, b.conv.receive(b.inbox.shift()!));
    else return;
  }
  throw new Error('did not settle');
}

const versionOf = (e: End) => e.conv.sessions().find((s) => s.state === 'encrypted')?.version;
const texts = (e: End) =>
  e.events.filter((x): x is Extract<OtrEvent, { type: 'message' }> => x.type === 'message').map((x) => `${x.encrypted ? 'E' : 'P'}:${x.text}`);

describe('version negotiation', () => {
  it('a client that speaks only version 2 gets version 2, from either side; the sessions say so', () => {
    for (const weStart of [true, false]) {
      const a = negotiating('alice@x', 'bob@x', 0);
      const old = plainV3('old', 1, { allowV3: false });
      if (weStart) post(a, old, a.conv.start());
      else post(old, a, old.conv.start());
      pump(a, old);
      expect(a.conv.sessions()).toEqual([expect.objectContaining({ state: 'encrypted', version: 2, instanceTag: 0 })]);
      expect(a.events).toContainEqual(expect.objectContaining({ type: 'state-changed', state: 'encrypted', version: 2 }));
      post(a, old, a.conv.send('over v2'));
      pump(a, old);
      expect(texts(old)).toContain('E:over v2');
    }
  });

  it('v2 refused by the policy: a v2-only query or whitespace tag gives an older-version-refused event, nothing is sent', () => {
    const a = negotiating('alice@x', 'bob@x', 0, { allowV2: false });
    expect(a.conv.start().toSend).toEqual(['?OTRv43?']);
    expect(a.conv.receive('?OTR?v2? please')).toEqual({ toSend: [], events: [{ type: 'older-version-refused', version: 2, by: 'query' }] });
    const tagged = a.conv.receive('hey\x20\x09\x20\x20\x09\x09\x09\x09\x20\x09\x20\x09\x20\x09\x20\x20\x20\x20\x09\x09\x20\x20\x09\x20');
    expect(tagged).toEqual({
      toSend: [],
      events: [
        { type: 'message', text: 'hey', encrypted: false },
        { type: 'older-version-refused', version: 2, by: 'whitespace-tag' },
      ],
    });
    const old = plainV3('old', 1, { allowV3: false });
    const commit = old.conv.receive('?OTRv2?').toSend[0]!;
    expect(a.conv.receive(commit)).toEqual({ toSend: [], events: [{ type: 'older-version-refused', version: 2, by: 'ake' }] });
    // allowed (the default): the same query starts a version 2 AKE
    expect(negotiating('carol@x', 'bob@x', 2).conv.receive('?OTR?v2? please').toSend[0]).toMatch(/^\?OTR:AAIC/);
  });

  it('picks 4 when both sides allow it (query)', () => {
    const a = negotiating('alice@x', 'bob@x', 0);
    const b = negotiating('bob@x', 'alice@x', 1);
    post(a, b, a.conv.start());
    expect(b.inbox[0]).toMatch(/^\?OTRv432\?/);
    pump(a, b);
    expect([versionOf(a), versionOf(b)]).toEqual([4, 4]);
    post(a, b, a.conv.send('over v4'));
    pump(a, b);
    expect(texts(b)).toEqual(['E:over v4']);
  });

  it('picks 4 from a whitespace tag', () => {
    const a = negotiating('alice@x', 'bob@x', 0);
    const b = negotiating('bob@x', 'alice@x', 1);
    post(a, b, a.conv.send('hello'));
    pump(a, b);
    expect(texts(b)).toEqual(['P:hello']);
    expect([versionOf(a), versionOf(b)]).toEqual([4, 4]);
  });

  it('falls back to 3 when the peer allows only 3 (OTRv3-compatible mode)', () => {
    const a = negotiating('alice@x', 'bob@x', 0);
    const b = negotiating('bob@x', 'alice@x', 1, { allowV4: false });
    post(a, b, a.conv.start());
    pump(a, b);
    expect([versionOf(a), versionOf(b)]).toEqual([3, 3]);
    post(b, a, b.conv.send('over v3'));
    pump(a, b);
    expect(texts(a)).toEqual(['E:over v3']);
  });

  it('falls back to 3 against the plain OTRv3 library, whoever starts', () => {
    for (const starter of ['ours', 'theirs'] as const) {
      const a = negotiating(`alice-${starter}@x`, 'bob@x', 0);
      const b = plainV3(`bob-${starter}@x`, 1);
      if (starter === 'ours') post(a, b, a.conv.start());
      else post(b, a, b.conv.start());
      pump(a, b);
      expect(versionOf(a)).toBe(3);
      expect(versionOf(b)).toBe(3);
      post(a, b, a.conv.send('to an old client'));
      pump(a, b);
      expect(texts(b)).toContain('E:to an old client');
    }
  });

  it('a v4-only side and a v3-only side stay in plaintext', () => {
    const a = negotiating('alice@x', 'bob@x', 0, {}, false, true);
    const b = negotiating('bob@x', 'alice@x', 1, {}, true, false);
    post(a, b, a.conv.start());
    pump(a, b);
    expect([versionOf(a), versionOf(b)]).toEqual([undefined, undefined]);
  });

  it('REQUIRE_ENCRYPTION queues until the session is up, then sends encrypted', () => {
    const a = negotiating('alice@x', 'bob@x', 0, { requireEncryption: true });
    const b = negotiating('bob@x', 'alice@x', 1);
    post(a, b, a.conv.send('never in clear'));
    expect(b.inbox.some((m) => m.includes('never in clear'))).toBe(false);
    pump(a, b);
    expect(texts(b)).toEqual(['E:never in clear']);
  });
});

describe('otr4j MessageProcessor seeds through the negotiating conversation', () => {
  const seedText = (n: string) => readVector(`otr4j-seeds/MessageProcessor/${n}`).toString('utf8');
  const fresh = () => negotiating('alice@x', 'bob@x', 0);

  it('query messages: v4 offered -> Identity; v3 only -> D-H Commit; v2 only -> v2 D-H Commit; none -> no reply', () => {
    const expectations: Array<[string, RegExp | null]> = [
      ['query-message-00', null], // ?OTRv?
      ['query-message-01', /^\?OTR:AAIC/], // ?OTRv2?: a version 2 D-H Commit (SHORT 2, BYTE 2)
      ['query-message-02', /^\?OTR:AAMC/], // ?OTRv3?
      ['query-message-03', /^\?OTR:AAQ1/], // ?OTRv4?
      ['query-message-04', /^\?OTR:AAQ1/], // ?OTRv234?
      ['query-message-05', /^\?OTR:AAQ1/], // ?OTRv456?
    ];
    for (const [name, reply] of expectations) {
      const out = fresh().conv.receive(seedText(name));
      if (reply) expect(out.toSend[0], name).toMatch(reply);
      else expect(out.toSend, name).toEqual([]);
    }
  });

  it('error messages become peer-error events and restart OTR', () => {
    for (const n of ['error-message-00', 'error-message-01', 'error-message-02', 'error-message-03']) {
      const out = fresh().conv.receive(seedText(n));
      expect(out.events[0]).toMatchObject({ type: 'error', code: 'peer-error' });
      expect(out.toSend[0]).toMatch(/^\?OTRv432\?/);
    }
  });

  it('plaintexts are shown; a whitespace tag offering only v1 starts nothing', () => {
    for (const n of ['plaintext-00', 'plaintext-01'])
      expect(fresh().conv.receive(seedText(n)).events).toEqual([{ type: 'message', text: seedText(n), encrypted: false }]);
    const out = fresh().conv.receive(seedText('whitespace-tag-00'));
    expect(out.toSend).toEqual([]);
  });

  it('v3 encoded messages and fragments from the seeds are routed to v3 without crashing', () => {
    for (const n of ['otr-encoded-00', 'otr-encoded-01', 'fragment-00', 'fragment-01']) {
      const out = fresh().conv.receive(seedText(n));
      expect(Array.isArray(out.toSend)).toBe(true);
    }
  });
});

describe('negotiating conversation robustness', () => {
  it('receive() never throws on random or mutated input', () => {
    const a = negotiating('alice@x', 'bob@x', 0);
    const b = negotiating('bob@x', 'alice@x', 1);
    const identity = b.conv.receive('?OTRv4?').toSend[0]!;
    const commit = b.conv.receive('?OTRv3?').toSend[0]!;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `?OTR|${s}`),
          fc.string().map((s) => `?OTR:${s}.`),
          fc.tuple(fc.constantFrom(identity, commit), fc.nat(), fc.constantFrom('A', 'z', '+', '/', '=', '.', ',')).map(([m, i, c]) => {
            const k = 5 + (i % (m.length - 6));
            return m.slice(0, k) + c + m.slice(k + 1);
          }),
        ),
        (msg) => {
          a.conv.receive(msg);
        },
      ),
      { numRuns: 150 },
    );
  });
});
