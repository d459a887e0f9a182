// Interoperation with libotr 4.1.1 (the C library of Pidgin, Profanity, Adium) through our peer
// program test-support/otr3-peer.c, compiled at test time against -lotr -lgcrypt.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { OPPORTUNISTIC_POLICY, type OtrEvent } from '../api';
import { V3Conversation } from './conversation';
import { fixtureKey, nativeDh1536Engine, nativeV3Symmetric } from './test-support/keys';
import { buildPeer, LibotrPeer, SmpEventCode } from './test-support/libotr-peer';
import { Bridge } from './test-support/bridge';
import { fingerprintHex } from './dsa';

const rng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const peers: LibotrPeer[] = [];

async function peer(opts?: Parameters<typeof LibotrPeer.start>[0]): Promise<LibotrPeer> {
  const p = await LibotrPeer.start(opts);
  peers.push(p);
  return p;
}

function ours(opts: { instanceTag?: number; maxMessageSize?: number } = {}): V3Conversation {
  return new V3Conversation({
    identity: { instanceTag: opts.instanceTag ?? 0x4242_0001, dsaKey: fixtureKey(0) },
    rng,
    clock: () => Date.now(),
    engine: nativeDh1536Engine(),
    // the core's engines (native hashes, HMAC, AES); the requireEncryption case below runs the pure default
    symmetric: nativeV3Symmetric(),
    policy: { ...OPPORTUNISTIC_POLICY, allowV4: false },
    ...(opts.maxMessageSize ? { maxMessageSize: opts.maxMessageSize } : {}),
  });
}

const stateEvents = (evs: OtrEvent[]) => evs.filter((e): e is Extract<OtrEvent, { type: 'state-changed' }> => e.type === 'state-changed');
const smp = (evs: OtrEvent[]) => evs.flatMap((e) => (e.type === 'smp' ? [e.smp.type] : []));

async function connected(opts: { fromUs?: boolean; maxMessageSize?: number } = {}) {
  const p = await peer(opts.maxMessageSize ? { maxMessageSize: opts.maxMessageSize } : {});
  const conv = ours(opts.maxMessageSize ? { maxMessageSize: opts.maxMessageSize } : {});
  const b = new Bridge(conv, [p]);
  if (opts.fromUs ?? true) await b.we(conv.start());
  else await b.they(p.query());
  return { p, conv, b };
}

beforeAll(() => {
  // compile once up front (gcc … -lotr -lgcrypt) so the first test does not pay for it
  buildPeer();
});
afterAll(async () => {
  await Promise.all(peers.map((p) => p.close()));
});

describe('OTRv3 interop with libotr 4.1.1', () => {
  it('AKE started by us: both sides encrypted, same ssid, fingerprints match', async () => {
    const { p, conv, b } = await connected({ fromUs: true });
    const st = stateEvents(b.ours).at(-1);
    expect(st).toMatchObject({ state: 'encrypted', version: 3, theirInstanceTag: p.instanceTag, theirFingerprint: p.fingerprint });
    expect(p.events.some((e) => e.kind === 'GONE_SECURE')).toBe(true);
    const info = await p.info();
    expect(info?.msgstate).toBe(1);
    expect(info?.theirFingerprint).toBe(fingerprintHex(fixtureKey(0)));
    expect(info?.theirInstance).toBe(0x4242_0001);
    expect(info?.ssid.slice(0, 16)).toBe(Buffer.from(st!.ssid!).toString('hex'));
    expect(conv.sessions()[0]).toMatchObject({ instanceTag: p.instanceTag, state: 'encrypted' });
    expect(b.errors()).toEqual([]);
  });

  it('AKE started by libotr; messages both ways', async () => {
    const { p, conv, b } = await connected({ fromUs: false });
    expect(stateEvents(b.ours).at(-1)?.state).toBe('encrypted');
    await b.we(conv.send('hello libotr ✓'));
    expect(p.events).toContainEqual({ kind: 'MSG', text: 'hello libotr ✓' });
    await b.they(p.send('hello typescript 🙂'));
    expect(b.ours).toContainEqual({ type: 'message', text: 'hello typescript 🙂', encrypted: true, instanceTag: p.instanceTag });
    expect(b.errors()).toEqual([]);
  });

  it('whitespace-tagged plaintext from libotr starts the AKE', async () => {
    const p = await peer();
    const conv = ours();
    const b = new Bridge(conv, [p]);
    await b.they(p.send('plain hello'));
    expect(b.ours[0]).toEqual({ type: 'message', text: 'plain hello', encrypted: false });
    expect(conv.sessions()[0]?.state).toBe('encrypted');
    expect(p.events.some((e) => e.kind === 'GONE_SECURE')).toBe(true);
  });

  it('our whitespace-tagged plaintext makes libotr start the AKE', async () => {
    const p = await peer();
    const conv = ours();
    const b = new Bridge(conv, [p]);
    const out = await b.we(conv.send('hi, plain for now'));
    expect(out.toSend[0]).not.toBe('hi, plain for now'); // carries the tag
    expect(p.events).toContainEqual({ kind: 'MSG', text: 'hi, plain for now' }); // libotr strips the tag
    expect(conv.sessions()[0]?.state).toBe('encrypted');
    expect((await p.info())?.msgstate).toBe(1);
  });

  it('key rotation over many messages in both directions, interleaved and in bursts', async () => {
    const { p, conv, b } = await connected();
    for (let i = 0; i < 40; i++) {
      await b.we(conv.send(`ours ${i}`));
      if (i % 4 === 0) {
        // bursts: several messages before the other side answers (keys used out of step)
        b.ours_(conv.send(`burst a ${i}`));
        b.ours_(conv.send(`burst b ${i}`));
        await b.settle();
      }
      await b.they(p.send(`theirs ${i}`));
      if (i % 5 === 0) {
        b.theirs(await p.send(`their burst a ${i}`));
        b.theirs(await p.send(`their burst b ${i}`));
        await b.settle();
      }
    }
    const got = p.events.flatMap((e) => (e.kind === 'MSG' ? [e.text] : []));
    expect(got.filter((t) => t.startsWith('ours ')).length).toBe(40);
    expect(got.filter((t) => t.startsWith('burst ')).length).toBe(20);
    expect(b.messages().filter((t) => t.startsWith('theirs ')).length).toBe(40);
    expect(b.messages().filter((t) => t.startsWith('their burst')).length).toBe(16);
    expect(b.errors()).toEqual([]);
    expect(p.events.filter((e) => e.kind === 'MSGEVENT' && e.event !== 11 && e.event !== 10)).toEqual([]);
  });

  for (const variant of ['question', 'shared secret'] as const) {
    const q = variant === 'question' ? 'What is our word?' : undefined;
    it(`SMP (${variant}) started by us: success and failure`, async () => {
      const { p, conv, b } = await connected();
      await b.we(conv.startSmp('swordfish', q));
      const ask = p.events.find((e) => e.kind === 'SMP');
      expect(ask).toMatchObject(q ? { event: SmpEventCode.askForAnswer, question: q } : { event: SmpEventCode.askForSecret });
      await b.they(p.answerSmp('swordfish'));
      expect(smp(b.ours)).toContain('smp-succeeded');
      expect(p.events).toContainEqual(expect.objectContaining({ kind: 'SMP', event: SmpEventCode.success }));
      b.ours.length = 0;
      p.events.length = 0;
      await b.we(conv.startSmp('swordfish', q));
      await b.they(p.answerSmp('trout'));
      expect(smp(b.ours)).toContain('smp-failed');
      expect(p.events).toContainEqual(expect.objectContaining({ kind: 'SMP', event: SmpEventCode.failure }));
    });

    it(`SMP (${variant}) started by libotr: success and failure`, async () => {
      const { p, conv, b } = await connected();
      await b.they(p.startSmp('correct horse', q));
      expect(b.ours).toContainEqual({ type: 'smp', smp: q ? { type: 'smp-request', question: q } : { type: 'smp-request' } });
      await b.we(conv.answerSmp('correct horse'));
      expect(smp(b.ours)).toContain('smp-succeeded');
      expect(p.events).toContainEqual(expect.objectContaining({ kind: 'SMP', event: SmpEventCode.success }));
      b.ours.length = 0;
      p.events.length = 0;
      await b.they(p.startSmp('correct horse', q));
      await b.we(conv.answerSmp('battery staple'));
      expect(smp(b.ours)).toContain('smp-failed');
      expect(p.events).toContainEqual(expect.objectContaining({ kind: 'SMP', event: SmpEventCode.failure }));
    });
  }

  it('SMP abort from either side', async () => {
    const { p, conv, b } = await connected();
    await b.we(conv.startSmp('x'));
    await b.they(p.abortSmp());
    expect(smp(b.ours)).toContain('smp-aborted');
    await b.they(p.startSmp('y'));
    await b.we(conv.abortSmp());
    expect(p.events).toContainEqual(expect.objectContaining({ kind: 'SMP', event: SmpEventCode.abort }));
    // a fresh run still succeeds
    await b.we(conv.startSmp('z'));
    await b.they(p.answerSmp('z'));
    expect(smp(b.ours)).toContain('smp-succeeded');
  });

  it('extra symmetric key requested by us: libotr derives the same 32 bytes', async () => {
    const { p, conv, b } = await connected();
    await b.they(p.send('rotate'));
    const out = await b.we(conv.useExtraKey(7, Uint8Array.of(0xde, 0xad)));
    const rx = p.events.find((e) => e.kind === 'SYMKEY_RECV');
    expect(rx).toEqual({ kind: 'SYMKEY_RECV', use: 7, useData: 'dead', key: Buffer.from((out as unknown as { key: Uint8Array }).key).toString('hex') });
  });

  it('extra symmetric key requested by libotr: we derive the same 32 bytes', async () => {
    const { p, b } = await connected();
    const ev = await b.they(p.symkey(0x01020304, Uint8Array.of(1, 2, 3)));
    const sent = ev.find((e) => e.kind === 'SYMKEY');
    const got = b.ours.find((e) => e.type === 'extra-key-received');
    expect(got).toMatchObject({ use: 0x01020304, useData: Uint8Array.of(1, 2, 3) });
    expect(Buffer.from((got as { key: Uint8Array }).key).toString('hex')).toBe((sent as { key: string }).key);
  });

  it('fragmented messages both ways (libotr fragments, we reassemble; we fragment, libotr reassembles)', async () => {
    const { p, conv, b } = await connected({ maxMessageSize: 150 });
    const long = 'fragment me '.repeat(50);
    const theirs = await b.they(p.send(long));
    expect(theirs.filter((e) => e.kind === 'OUT').length).toBeGreaterThan(3);
    expect(b.messages()).toContain(long);
    const out = await b.we(conv.send('and back ' + long));
    expect(out.toSend.length).toBeGreaterThan(3);
    for (const f of out.toSend) expect(f.length).toBeLessThanOrEqual(150);
    expect(p.events).toContainEqual({ kind: 'MSG', text: 'and back ' + long });
  });

  it('two libotr instances of one contact: one session each, messages routed by instance tag', async () => {
    const p1 = await peer();
    const p2 = await peer({ shareKeyWith: p1 });
    expect(p1.fingerprint).toBe(p2.fingerprint);
    expect(p1.instanceTag).not.toBe(p2.instanceTag);
    const conv = ours();
    const b = new Bridge(conv, [p1, p2]);
    await b.we(conv.start());
    const tags = conv
      .sessions()
      .filter((s) => s.state === 'encrypted')
      .map((s) => s.instanceTag)
      .sort();
    expect(tags).toEqual([p1.instanceTag, p2.instanceTag].sort());
    await b.we(conv.send('for one', { instanceTag: p1.instanceTag }));
    await b.we(conv.send('for two', { instanceTag: p2.instanceTag }));
    const msgs = (p: LibotrPeer) => p.events.flatMap((e) => (e.kind === 'MSG' ? [e.text] : []));
    expect(msgs(p1)).toEqual(['for one']);
    expect(msgs(p2)).toEqual(['for two']);
    await b.they(p2.send('from two'));
    await b.they(p1.send('from one'));
    expect(b.ours).toContainEqual({ type: 'message', text: 'from two', encrypted: true, instanceTag: p2.instanceTag });
    expect(b.ours).toContainEqual({ type: 'message', text: 'from one', encrypted: true, instanceTag: p1.instanceTag });
    expect(b.errors()).toEqual([]);
  });

  it('both sides start at once (crossing queries and D-H commits), then refresh the session from either side', async () => {
    for (let round = 0; round < 3; round++) {
      const p = await peer();
      const conv = ours({ instanceTag: 0x5555_0000 + round });
      const b = new Bridge(conv, [p]);
      b.ours_(conv.start());
      b.theirs(await p.query());
      await b.settle();
      expect(conv.sessions()[0]?.state).toBe('encrypted');
      expect((await p.info())?.msgstate).toBe(1);
      await b.they(p.query()); // libotr refreshes the running session
      await b.we(conv.send('after their refresh'));
      await b.we(conv.start()); // we refresh
      await b.they(p.send('after our refresh'));
      expect(p.events).toContainEqual({ kind: 'MSG', text: 'after their refresh' });
      expect(b.messages()).toContain('after our refresh');
      expect(b.errors()).toEqual([]);
    }
  });

  it('require-encryption: our message is held, OTR starts, and libotr receives it encrypted', async () => {
    const p = await peer();
    const conv = new V3Conversation({
      identity: { instanceTag: 0x4242_0002, dsaKey: fixtureKey(0) },
      rng,
      clock: () => Date.now(),
      engine: nativeDh1536Engine(),
      policy: { ...OPPORTUNISTIC_POLICY, allowV4: false, requireEncryption: true },
    });
    const b = new Bridge(conv, [p]);
    const out = await b.we(conv.send('never in clear'));
    expect(out.toSend).toEqual(['?OTRv32?']); // v2 offered too (allowed by default); libotr picks 3
    expect(p.events).toContainEqual({ kind: 'MSG', text: 'never in clear' });
    expect(p.events.filter((e) => e.kind === 'MSG')).toEqual([{ kind: 'MSG', text: 'never in clear' }]);
  });

  it('libotr answers our unreadable-message error by restarting the AKE (ERROR_START_AKE)', async () => {
    const { p, conv, b } = await connected();
    await b.we(conv.end()); // libotr: FINISHED; our next start is fresh
    await b.we({ toSend: ['?OTR Error: ERROR_1: Message could not be read'], events: [] });
    expect(conv.sessions()[0]?.state).toBe('encrypted');
    expect((await p.info())?.msgstate).toBe(1);
  });

  it('disconnect: libotr ends → we are FINISHED; we end → libotr is FINISHED; then restart', async () => {
    const { p, conv, b } = await connected();
    await b.they(p.disconnect());
    expect(stateEvents(b.ours).at(-1)?.state).toBe('finished');
    expect(conv.send('anyone?').toSend).toEqual([]);
    await b.we(conv.end());
    await b.we(conv.start());
    expect(stateEvents(b.ours).at(-1)?.state).toBe('encrypted');
    await b.we(conv.end());
    expect(stateEvents(b.ours).at(-1)?.state).toBe('plaintext');
    expect((await p.info())?.msgstate).toBe(2); // OTRL_MSGSTATE_FINISHED
  });
});
