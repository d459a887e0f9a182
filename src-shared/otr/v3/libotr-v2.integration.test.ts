// OTR version 2 against libotr 4.1.1 with Profanity's policy (Profanity 0.13.1 src/otr/otrlibv4.c:
// OTRL_POLICY_ALLOW_V1 | OTRL_POLICY_ALLOW_V2, and its own "/otr start" text "?OTR?v2? …"), through
// the same peer program as libotr.integration.test.ts. Also: libotr's default policy
// (OTRL_POLICY_DEFAULT, v2 and v3 allowed) must still end in version 3.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { OPPORTUNISTIC_POLICY, type OtrEvent, type OtrPolicy } from '../api';
import { WHITESPACE_BASE, WHITESPACE_VERSION_TAGS } from '../common/whitespace';
import { V2_TAG, V3Conversation } from './conversation';
import { fixtureKey, nativeDh1536Engine, nativeV3Symmetric } from './test-support/keys';
import { buildPeer, LibotrPeer, SmpEventCode } from './test-support/libotr-peer';
import { Bridge } from './test-support/bridge';

/** libotr proto.h policy bits */
const ALLOW_V1 = 0x01;
const ALLOW_V2 = 0x02;
const WHITESPACE_START_AKE = 0x20;
/** what Profanity 0.13.1 gives libotr */
const PROFANITY_POLICY = ALLOW_V1 | ALLOW_V2;
/** OTRL_POLICY_DEFAULT = OTRL_POLICY_OPPORTUNISTIC: ALLOW_V2 | ALLOW_V3 | SEND_WHITESPACE_TAG | WHITESPACE_START_AKE | ERROR_START_AKE */
const LIBOTR_DEFAULT_POLICY = 0x76;
/** Profanity's "/otr start" message (otrlibv4.c otrlib_start_query) */
const PROFANITY_QUERY =
  '?OTR?v2? This user has requested an Off-the-Record private conversation. However, you do not have a plugin to support that. See http://otr.cypherpunks.ca/ for more information.';

const rng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const peers: LibotrPeer[] = [];

async function peer(opts: Parameters<typeof LibotrPeer.start>[0]): Promise<LibotrPeer> {
  const p = await LibotrPeer.start(opts);
  peers.push(p);
  return p;
}

function ours(opts: { maxMessageSize?: number; policy?: Partial<OtrPolicy> } = {}): V3Conversation {
  return new V3Conversation({
    identity: { instanceTag: 0x4242_0002, dsaKey: fixtureKey(0) },
    rng,
    clock: () => Date.now(),
    engine: nativeDh1536Engine(),
    // the core's engines (native hashes, HMAC, AES); the requireEncryption case below runs the pure default
    symmetric: nativeV3Symmetric(),
    policy: { ...OPPORTUNISTIC_POLICY, allowV4: false, ...opts.policy },
    ...(opts.maxMessageSize ? { maxMessageSize: opts.maxMessageSize } : {}),
  });
}

const stateEvents = (evs: OtrEvent[]) => evs.filter((e): e is Extract<OtrEvent, { type: 'state-changed' }> => e.type === 'state-changed');
const smp = (evs: OtrEvent[]) => evs.flatMap((e) => (e.type === 'smp' ? [e.smp.type] : []));
/** the wire version of an encoded message (SHORT at the start of the base64 payload) */
const wireVersion = (text: string): number | undefined => {
  const m = /\?OTR:([A-Za-z0-9+/=]+)\./.exec(text);
  return m ? Buffer.from(m[1]!, 'base64').readUInt16BE(0) : undefined;
};

async function v2Session(opts: { fromUs: boolean; maxMessageSize?: number }) {
  const p = await peer({ policy: PROFANITY_POLICY, ...(opts.maxMessageSize ? { maxMessageSize: opts.maxMessageSize } : {}) });
  const conv = ours(opts.maxMessageSize ? { maxMessageSize: opts.maxMessageSize } : {});
  const b = new Bridge(conv, [p]);
  if (opts.fromUs) await b.we(conv.start());
  else await b.they(Promise.resolve([{ kind: 'OUT', text: PROFANITY_QUERY }]));
  return { p, conv, b };
}

beforeAll(() => {
  buildPeer();
});
afterAll(async () => {
  await Promise.all(peers.map((x) => x.close()));
});

describe('OTR version 2 with libotr 4.1.1 under Profanity’s policy (ALLOW_V1 | ALLOW_V2)', () => {
  for (const fromUs of [true, false]) {
    it(`AKE started by ${fromUs ? 'us (?OTRv32?)' : 'Profanity’s "?OTR?v2? …" query'}: version 2 on both sides, messages both ways`, async () => {
      const { p, conv, b } = await v2Session({ fromUs });
      expect(stateEvents(b.ours).at(-1)).toMatchObject({ state: 'encrypted', version: 2, theirInstanceTag: V2_TAG, theirFingerprint: p.fingerprint });
      const info = await p.info();
      expect(info?.msgstate).toBe(1);
      expect(p.events.some((e) => e.kind === 'GONE_SECURE')).toBe(true);
      const out = await b.we(conv.send('hello profanity ✓'));
      expect(wireVersion(out.toSend[0]!)).toBe(2);
      expect(p.events).toContainEqual({ kind: 'MSG', text: 'hello profanity ✓' });
      const theirs = await b.they(p.send('hello typescript 🙂'));
      expect(theirs.filter((e) => e.kind === 'OUT').map((e) => wireVersion((e as { text: string }).text))).toEqual([2]);
      expect(b.ours).toContainEqual({ type: 'message', text: 'hello typescript 🙂', encrypted: true, instanceTag: V2_TAG });
      for (let i = 0; i < 12; i++) {
        await b.we(conv.send(`ours ${i}`));
        await b.they(p.send(`theirs ${i}`));
        if (i % 4 === 0) {
          b.ours_(conv.send(`burst ${i}`));
          await b.settle();
        }
      }
      expect(p.events.filter((e) => e.kind === 'MSG').length).toBe(1 + 12 + 3);
      expect(b.messages().filter((t) => t.startsWith('theirs ')).length).toBe(12);
      expect(b.errors()).toEqual([]);
    });
  }

  it('Profanity’s whitespace tag (base + v2 tag, appended by Profanity itself) starts a v2 AKE', async () => {
    const p = await peer({ policy: PROFANITY_POLICY });
    const conv = ours();
    const b = new Bridge(conv, [p]);
    await b.they(Promise.resolve([{ kind: 'OUT', text: 'plain hi' + WHITESPACE_BASE + WHITESPACE_VERSION_TAGS[2] }]));
    expect(b.ours[0]).toEqual({ type: 'message', text: 'plain hi', encrypted: false });
    expect(conv.sessions()[0]).toMatchObject({ state: 'encrypted', version: 2 });
    expect((await p.info())?.msgstate).toBe(1);
  });

  it('our whitespace tag offers 2: libotr with ALLOW_V2 and WHITESPACE_START_AKE answers in version 2', async () => {
    const p = await peer({ policy: PROFANITY_POLICY | WHITESPACE_START_AKE });
    const conv = ours();
    const b = new Bridge(conv, [p]);
    await b.we(conv.send('plain for now'));
    expect(p.events).toContainEqual({ kind: 'MSG', text: 'plain for now' });
    expect(conv.sessions()[0]).toMatchObject({ state: 'encrypted', version: 2 });
  });

  it('fragments in the v2 format both ways', async () => {
    const { p, conv, b } = await v2Session({ fromUs: true, maxMessageSize: 140 });
    const long = 'fragment me please '.repeat(30);
    const theirs = await b.they(p.send(long));
    const frags = theirs.flatMap((e) => (e.kind === 'OUT' ? [e.text] : []));
    expect(frags.length).toBeGreaterThan(3);
    expect(frags.every((f) => f.startsWith('?OTR,'))).toBe(true);
    expect(b.messages()).toContain(long);
    const out = await b.we(conv.send('back ' + long));
    expect(out.toSend.length).toBeGreaterThan(3);
    for (const f of out.toSend) {
      expect(f.length).toBeLessThanOrEqual(140);
      expect(f).toMatch(/^\?OTR,\d{5},\d{5},/);
    }
    expect(p.events).toContainEqual({ kind: 'MSG', text: 'back ' + long });
  });

  it('SMP with a question started by us, a shared secret started by libotr: success and failure', async () => {
    const { p, conv, b } = await v2Session({ fromUs: false });
    await b.we(conv.startSmp('swordfish', 'Our word?'));
    expect(p.events.find((e) => e.kind === 'SMP')).toMatchObject({ event: SmpEventCode.askForAnswer, question: 'Our word?' });
    await b.they(p.answerSmp('swordfish'));
    expect(smp(b.ours)).toContain('smp-succeeded');
    expect(p.events).toContainEqual(expect.objectContaining({ kind: 'SMP', event: SmpEventCode.success }));
    b.ours.length = 0;
    p.events.length = 0;
    await b.they(p.startSmp('correct horse'));
    expect(b.ours).toContainEqual({ type: 'smp', smp: { type: 'smp-request' } });
    await b.we(conv.answerSmp('battery staple'));
    expect(smp(b.ours)).toContain('smp-failed');
    expect(p.events).toContainEqual(expect.objectContaining({ kind: 'SMP', event: SmpEventCode.failure }));
  });

  it('ending from either side, then a new v2 session', async () => {
    const { p, conv, b } = await v2Session({ fromUs: true });
    await b.they(p.disconnect());
    expect(stateEvents(b.ours).at(-1)).toMatchObject({ state: 'finished', theirInstanceTag: V2_TAG });
    expect(conv.send('anyone?').toSend).toEqual([]);
    await b.we(conv.end());
    await b.we(conv.start());
    expect(stateEvents(b.ours).at(-1)).toMatchObject({ state: 'encrypted', version: 2 });
    await b.we(conv.end());
    expect(stateEvents(b.ours).at(-1)?.state).toBe('plaintext');
    expect((await p.info())?.msgstate).toBe(2); // OTRL_MSGSTATE_FINISHED
  });

  it('a policy that refuses version 2 answers nothing and says why', async () => {
    const p = await peer({ policy: PROFANITY_POLICY });
    const conv = ours({ policy: { allowV2: false } });
    const b = new Bridge(conv, [p]);
    await b.they(Promise.resolve([{ kind: 'OUT', text: PROFANITY_QUERY }]));
    expect(b.ours).toEqual([{ type: 'older-version-refused', version: 2, by: 'query' }]);
    // our own query offers only 3: libotr under Profanity's policy cannot answer it
    const out = await b.we(conv.start());
    expect(out.toSend).toEqual(['?OTRv3?']);
    expect(conv.sessions()).toEqual([]);
    expect((await p.info())?.msgstate ?? 0).toBe(0);
  });
});

describe('libotr 4.1.1 with its default policy (OTRL_POLICY_DEFAULT: v2 and v3 allowed)', () => {
  for (const fromUs of [true, false]) {
    it(`AKE started by ${fromUs ? 'us' : 'libotr'} ends in version 3 with instance tags`, async () => {
      const p = await peer({ policy: LIBOTR_DEFAULT_POLICY });
      const conv = ours();
      const b = new Bridge(conv, [p]);
      if (fromUs) await b.we(conv.start());
      else await b.they(p.query());
      expect(stateEvents(b.ours).at(-1)).toMatchObject({ state: 'encrypted', version: 3, theirInstanceTag: p.instanceTag });
      const out = await b.we(conv.send('v3 please'));
      expect(wireVersion(out.toSend[0]!)).toBe(3);
      expect(p.events).toContainEqual({ kind: 'MSG', text: 'v3 please' });
      await b.they(p.send('v3 indeed'));
      expect(b.messages()).toContain('v3 indeed');
      expect(b.errors()).toEqual([]);
    });
  }
});
