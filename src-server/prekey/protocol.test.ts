// The server engine driven by a publisher built from the shared protocol modules, in one process
// with a fake clock (expiry) and real SQLite: DAKE, publication validation, storage status,
// selection rules, once-only hand-out, replay, limits and fragmentation. The same paths run
// through Prosody in src-main/core/prekey/prekey.integration.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeClientProfile } from '../../src-shared/otr/v4/client-profile';
import { generateEdKeyPair } from '../../src-shared/otr/v4/keys';
import { createPrekeyMessage, decodePrekeyMessage, encodePrekeyMessage } from '../../src-shared/otr/v4/prekey-message';
import { storageInfoMac } from '../../src-shared/prekey/dake';
import { Reassembler, fragmentMessage } from '../../src-shared/prekey/fragment';
import { decodeBody, encodeBody } from '../../src-shared/prekey/framing';
import { type AttachedMessage, PREKEY_PROTOCOL_VERSION, decodeTopLevel, encodeMessage } from '../../src-shared/prekey/messages';
import { nativeDh3072Engine } from '../../src-shared/node-crypto/dh-engines';
import { buildPublication } from '../../src-shared/prekey/publication';
import { type DakeOutcome, PublisherDake } from '../../src-shared/prekey/publisher';
import { type TestDevice, makeDevice, random } from '../../src-shared/prekey/test-support/device';
import { PrekeyServerProtocol, type ProtocolLimits, type ProtocolOptions, type ServerEvent } from './protocol';
import { verifyAttached } from './verify-attached';
import { VerifyPool } from './verify-pool';
import { SqlitePrekeyStorage } from './storage';

const SERVER = 'prekeys.example.org';
const engine = nativeDh3072Engine();

describe('prekey server protocol', () => {
  let dir: string;
  let storage: SqlitePrekeyStorage;
  let now: number;
  let events: ServerEvent[];
  let server: PrekeyServerProtocol;

  function makeServer(limits: Partial<ProtocolLimits> = {}, verify?: ProtocolOptions['verify']): PrekeyServerProtocol {
    return new PrekeyServerProtocol({
      ...(verify ? { verify } : {}),
      serverJid: SERVER,
      keyPair: generateEdKeyPair(random),
      storage,
      random,
      clock: () => now,
      engine,
      limits: { retrievalsPerMinute: 100, retrievalsPerTargetPerMinute: 100, ...limits },
      onEvent: (e) => events.push(e),
    });
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'prekey-unit-'));
    storage = new SqlitePrekeyStorage(join(dir, 'db.sqlite'));
    now = Date.now();
    events = [];
    server = makeServer();
  });
  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function bodies(from: string, body: string): Promise<string[]> {
    const replies = await server.handle(from, body);
    return replies.map((r) => {
      if (!('body' in r)) throw new Error(`refused: ${r.text}`);
      return r.body;
    });
  }

  /** a whole DAKE; returns the outcome and the DAKE-3 body (for replays) */
  async function dake(
    from: string,
    device: TestDevice,
    attach: (sk: Uint8Array, macKey: Uint8Array) => AttachedMessage,
    dake3Mutator?: (b: Uint8Array) => Uint8Array,
  ) {
    const d = new PublisherDake({
      random,
      instanceTag: device.instanceTag,
      longTerm: device.longTerm,
      clientProfile: device.clientProfile,
      publisherJid: from.split('/')[0]!,
      serverJid: SERVER,
      serverFingerprint: server.fingerprint,
    });
    const [b2] = await bodies(from, encodeBody(d.start()));
    const m2 = decodeTopLevel(decodeBody(b2!));
    if (m2.type !== 'dake2') throw new Error('no DAKE-2');
    let d3 = d.onDake2(m2, attach);
    if (dake3Mutator) d3 = dake3Mutator(d3);
    const dake3 = encodeBody(d3);
    const answer = await bodies(from, dake3);
    const outcome: DakeOutcome | undefined = answer[0] ? d.onAnswer(decodeTopLevel(decodeBody(answer[0]))) : undefined;
    return { outcome, dake3 };
  }

  function publication(device: TestDevice, n: number, opts: { clientProfile?: Uint8Array; prekeyProfile?: TestDevice } = {}) {
    return (sk: Uint8Array, macKey: Uint8Array): AttachedMessage => {
      const made = Array.from({ length: n }, () => createPrekeyMessage(random, engine, device.instanceTag));
      const pp = opts.prekeyProfile ?? device;
      return buildPublication({
        sk,
        macKey,
        prekeys: made.map((m) => ({ encoded: encodePrekeyMessage(m.message), y: m.secrets.ecdh, b: m.secrets.dh })),
        clientProfile: opts.clientProfile ?? device.clientProfile.encoded,
        prekeyProfile: { encoded: pp.prekeyProfile.encoded, sharedPrekey: pp.sharedPrekey },
        random,
        engine,
      });
    };
  }

  const statusRequest = (_sk: Uint8Array, macKey: Uint8Array): AttachedMessage => ({
    type: 'storage-info-request',
    version: PREKEY_PROTOCOL_VERSION,
    mac: storageInfoMac(macKey),
  });

  async function stored(from: string, device: TestDevice): Promise<number> {
    const { outcome } = await dake(from, device, statusRequest);
    if (outcome?.type !== 'storage-status') throw new Error('no storage status');
    return outcome.stored;
  }

  async function retrieve(from: string, identity: string, tag = 0x1234) {
    const replies = await bodies(from, encodeBody(encodeMessage({ type: 'ensemble-query', version: 4, senderInstanceTag: tag, identity, versions: '4' })));
    const r = new Reassembler(() => now);
    let whole: string | undefined;
    for (const b of replies) whole = b.startsWith('?OTRP|') ? r.push(b, tag) : b;
    return decodeTopLevel(decodeBody(whole!));
  }

  it('publishes two devices; a retriever gets one ensemble per instance tag; the stored count falls', async () => {
    const laptop = makeDevice({ nowMs: now });
    const phone = makeDevice({ nowMs: now });
    expect((await dake('alice@example.org/laptop', laptop, publication(laptop, 3))).outcome).toEqual({ type: 'success' });
    expect((await dake('alice@example.org/phone', phone, publication(phone, 2))).outcome).toEqual({ type: 'success' });
    expect(await stored('alice@example.org/laptop', laptop)).toBe(3);
    expect(await stored('alice@example.org/phone', phone)).toBe(2);

    const got = await retrieve('bob@example.org/x', 'alice@example.org');
    if (got.type !== 'ensemble-retrieval') throw new Error(got.type);
    expect(got.receiverInstanceTag).toBe(0x1234);
    const tags = got.ensembles.map((e) => decodeClientProfile(e.clientProfile).ownerTag).sort();
    expect(tags).toEqual([laptop.instanceTag, phone.instanceTag].sort());
    for (const e of got.ensembles) expect(decodePrekeyMessage(e.prekeyMessage).ownerTag).toBe(decodeClientProfile(e.clientProfile).ownerTag);
    expect(await stored('alice@example.org/laptop', laptop)).toBe(2);
    expect(await stored('alice@example.org/phone', phone)).toBe(1);

    await retrieve('bob@example.org/x', 'alice@example.org');
    const third = await retrieve('bob@example.org/x', 'alice@example.org');
    if (third.type !== 'ensemble-retrieval') throw new Error(third.type);
    expect(third.ensembles.map((e) => decodeClientProfile(e.clientProfile).ownerTag)).toEqual([laptop.instanceTag]);
    const none = await retrieve('bob@example.org/x', 'alice@example.org');
    expect(none).toMatchObject({ type: 'no-prekey-ensembles', identity: 'alice@example.org', text: 'No Prekey Messages available for this identity' });
  });

  it('never hands out prekeys whose profiles expired, and purges them', async () => {
    const dev = makeDevice({ nowMs: now, lifetimeSec: 3600 });
    await dake('alice@example.org/laptop', dev, publication(dev, 2));
    now += 2 * 3600_000;
    expect((await retrieve('bob@example.org/x', 'alice@example.org')).type).toBe('no-prekey-ensembles');
    expect(await storage.purgeExpired(Math.floor(now / 1000), 30 * 86400)).toBe(2);
    // a profile that is already expired is refused at the DAKE (DAKE-1 validates it): no answer
    const old = makeDevice({ nowMs: now - 2 * 3600_000, lifetimeSec: 60 });
    expect(
      await bodies(
        'carol@example.org/x',
        encodeBody(
          new PublisherDake({
            random,
            instanceTag: old.instanceTag,
            longTerm: old.longTerm,
            clientProfile: old.clientProfile,
            publisherJid: 'carol@example.org',
            serverJid: SERVER,
            serverFingerprint: server.fingerprint,
          }).start(),
        ),
      ),
    ).toEqual([]);
    expect(events.at(-1)).toMatchObject({ type: 'dake-refused' });
  });

  it('serves stored values as validated at publication, without validating them again; expiry is still compared', async () => {
    // Values reach storage only through a publication that validated them (dake3.ts). A retrieval
    // hands out the stored bytes as they are: these (not even OTRv4 structures) would fail any
    // validation, so the answer carrying them shows that none ran.
    const bytes = (s: string) => new TextEncoder().encode(s);
    const nowSec = Math.floor(now / 1000);
    const record = (identity: string, expires: number) => ({
      identity,
      instanceTag: 0x777,
      longTermKey: new Uint8Array(57).fill(7),
      clientProfile: { encoded: bytes('client-profile-as-stored'), expires },
      prekeyProfile: { encoded: bytes('prekey-profile-as-stored'), expires },
      prekeyMessages: [{ id: 1, encoded: bytes('prekey-message-as-stored') }],
    });
    const limits = { maxPrekeyMessagesPerIdentity: 10, maxInstanceTagsPerIdentity: 2 };
    await storage.storePublication(record('dave@example.org', nowSec + 60), limits, nowSec);
    await storage.storePublication(record('erin@example.org', nowSec), limits, nowSec);
    const query = (identity: string) => encodeBody(encodeMessage({ type: 'ensemble-query', version: 4, senderInstanceTag: 0x1234, identity, versions: '4' }));
    const [served] = await bodies('bob@example.org/x', query('dave@example.org'));
    const text = new TextDecoder('latin1').decode(decodeBody(served!));
    for (const part of ['client-profile-as-stored', 'prekey-profile-as-stored', 'prekey-message-as-stored']) expect(text).toContain(part);
    expect(events.at(-1)).toEqual({ type: 'retrieval', requester: 'bob@example.org', identity: 'dave@example.org', ensembles: 1 });
    // profiles that expire now are not served: expiry is a comparison, made at every retrieval
    const [none] = await bodies('bob@example.org/x', query('erin@example.org'));
    expect(decodeTopLevel(decodeBody(none!))).toMatchObject({ type: 'no-prekey-ensembles', identity: 'erin@example.org' });
  });

  it('verifies publications on worker threads with the same outcomes', async () => {
    const log: string[] = [];
    const pool = new VerifyPool(2, (job) => verifyAttached(job, engine), { log: (l) => log.push(l) });
    try {
      server = makeServer({}, (job) => pool.run(job));
      const dev = makeDevice({ nowMs: now });
      const results = await Promise.all(
        ['a', 'b', 'c'].map((r) => dake(`alice@example.org/${r}`, makeDevice({ nowMs: now }), (sk, mk) => publication(dev, 2)(sk, mk))),
      );
      // the three publish dev's values under other devices' DAKEs: refused on the threads
      expect(results.map((r) => r.outcome)).toEqual([{ type: 'failure' }, { type: 'failure' }, { type: 'failure' }]);
      expect((await dake('alice@example.org/laptop', dev, publication(dev, 3))).outcome).toEqual({ type: 'success' });
      expect(await stored('alice@example.org/laptop', dev)).toBe(3);
      const bad = (sk: Uint8Array, mk: Uint8Array) => ({ ...publication(dev, 1)(sk, mk), mac: new Uint8Array(64) }) as AttachedMessage;
      expect((await dake('alice@example.org/laptop', dev, bad)).outcome).toEqual({ type: 'failure' });
      expect(events.filter((e) => e.type === 'publication-refused').map((e) => 'reason' in e && e.reason)).toEqual([
        'invalid-client-profile',
        'invalid-client-profile',
        'invalid-client-profile',
        'bad-mac',
      ]);
      // all of it ran on the threads: none failed over to the main thread
      expect(log).toEqual([]);
    } finally {
      await pool.close();
    }
  });

  it('verifies on the main thread once a worker thread fails', async () => {
    const log: string[] = [];
    const missing = new URL('./no-such-worker.ts', import.meta.url);
    const pool = new VerifyPool(1, (job) => verifyAttached(job, engine), { log: (l) => log.push(l), entry: missing });
    try {
      server = makeServer({}, (job) => pool.run(job));
      const dev = makeDevice({ nowMs: now });
      expect((await dake('alice@example.org/laptop', dev, publication(dev, 2))).outcome).toEqual({ type: 'success' });
      expect(await stored('alice@example.org/laptop', dev)).toBe(2);
      expect(log).toEqual([expect.stringMatching(/^verification threads stopped .*verifying on the main thread from now on$/)]);
    } finally {
      await pool.close();
    }
  });

  it('refuses a publication whose profiles are signed by another key than the DAKE', async () => {
    const dev = makeDevice({ nowMs: now });
    const mallory = makeDevice({ nowMs: now, instanceTag: dev.instanceTag });
    expect((await dake('alice@example.org/a', dev, publication(dev, 1, { clientProfile: mallory.clientProfile.encoded }))).outcome).toEqual({
      type: 'failure',
    });
    expect(events.at(-1)).toMatchObject({ type: 'publication-refused', reason: 'client-profile-key-mismatch' });
    expect((await dake('alice@example.org/a', dev, publication(dev, 1, { prekeyProfile: mallory }))).outcome).toEqual({ type: 'failure' });
    expect(events.at(-1)).toMatchObject({ type: 'publication-refused', reason: 'invalid-prekey-profile' });
    expect(await stored('alice@example.org/a', dev)).toBe(0);
  });

  it('refuses a publication with a bad MAC or a bad proof', async () => {
    const dev = makeDevice({ nowMs: now });
    const withBadMac = (sk: Uint8Array, k: Uint8Array): AttachedMessage => {
      const p = publication(dev, 2)(sk, k);
      if (p.type !== 'publication') throw new Error();
      return { ...p, mac: p.mac.map((x, i) => (i === 0 ? x ^ 1 : x)) };
    };
    expect((await dake('alice@example.org/a', dev, withBadMac)).outcome).toEqual({ type: 'failure' });
    expect(events.at(-1)).toMatchObject({ reason: 'bad-mac' });
    // proofs made with another DAKE's SK (so with the wrong m), MAC correct for this DAKE
    const wrongProof = (sk: Uint8Array, k: Uint8Array): AttachedMessage =>
      publication(dev, 2)(
        sk.map((x) => x ^ 0xff),
        k,
      );
    expect((await dake('alice@example.org/a', dev, wrongProof)).outcome).toEqual({ type: 'failure' });
    expect(events.at(-1)).toMatchObject({ reason: 'bad-proof' });
  });

  it('ignores a replayed DAKE-3 and a DAKE-3 with a forged signature', async () => {
    const dev = makeDevice({ nowMs: now });
    const first = await dake('alice@example.org/a', dev, publication(dev, 2));
    expect(first.outcome).toEqual({ type: 'success' });
    expect(await bodies('alice@example.org/a', first.dake3)).toEqual([]);
    expect(events.at(-1)).toMatchObject({ type: 'dake3-ignored', reason: 'not-in-dake' });
    // replayed into a later DAKE of the same device: σ covers another I and S
    const d = new PublisherDake({
      random,
      instanceTag: dev.instanceTag,
      longTerm: dev.longTerm,
      clientProfile: dev.clientProfile,
      publisherJid: 'alice@example.org',
      serverJid: SERVER,
      serverFingerprint: server.fingerprint,
    });
    await bodies('alice@example.org/a', encodeBody(d.start()));
    expect(await bodies('alice@example.org/a', first.dake3)).toEqual([]);
    expect(events.at(-1)).toMatchObject({ type: 'dake3-ignored', reason: 'bad-signature' });
    expect(await stored('alice@example.org/a', dev)).toBe(2);
    // a DAKE-3 whose σ was tampered with is ignored too
    const forged = await dake('alice@example.org/a', dev, publication(dev, 1), (b) => b.map((x, i) => (i === 20 ? x ^ 1 : x)));
    expect(forged.outcome).toBeUndefined();
    expect(events.at(-1)).toMatchObject({ type: 'dake3-ignored', reason: 'bad-signature' });
    expect(await stored('alice@example.org/a', dev)).toBe(2);
  });

  it('concurrent retrievals never receive the same prekey message', async () => {
    const dev = makeDevice({ nowMs: now });
    await dake('alice@example.org/a', dev, publication(dev, 12));
    const results = await Promise.all(Array.from({ length: 16 }, (_, k) => retrieve(`r${k}@example.org/x`, 'alice@example.org')));
    const ids = results.flatMap((r) => (r.type === 'ensemble-retrieval' ? r.ensembles.map((e) => decodePrekeyMessage(e.prekeyMessage).id) : []));
    expect(ids).toHaveLength(12);
    expect(new Set(ids).size).toBe(12);
    expect(results.filter((r) => r.type === 'no-prekey-ensembles')).toHaveLength(4);
  });

  it('enforces the caps and the retrieval rate limit with clear refusals', async () => {
    server = makeServer({ maxPrekeyMessagesPerIdentity: 5, maxInstanceTagsPerIdentity: 1, retrievalsPerMinute: 2 });
    const dev = makeDevice({ nowMs: now });
    expect((await dake('alice@example.org/a', dev, publication(dev, 4))).outcome).toEqual({ type: 'success' });
    expect((await dake('alice@example.org/a', dev, publication(dev, 2))).outcome).toEqual({ type: 'failure' });
    expect(events.at(-1)).toMatchObject({ reason: 'storage-full' });
    const other = makeDevice({ nowMs: now });
    expect((await dake('alice@example.org/b', other, publication(other, 1))).outcome).toEqual({ type: 'failure' });
    expect(events.at(-1)).toMatchObject({ reason: 'too-many-devices' });
    await retrieve('mallory@example.org/x', 'alice@example.org');
    await retrieve('mallory@example.org/y', 'alice@example.org');
    expect(
      await server.handle(
        'mallory@example.org/z',
        encodeBody(encodeMessage({ type: 'ensemble-query', version: 4, senderInstanceTag: 0x999, identity: 'alice@example.org', versions: '4' })),
      ),
    ).toEqual([{ error: 'policy-violation', text: expect.stringContaining('too many') }]);
    // another requester is not affected
    expect((await retrieve('bob@example.org/x', 'alice@example.org')).type).toBe('ensemble-retrieval');
    // an oversized body is refused before any parsing
    expect(await server.handle('x@example.org/y', 'A'.repeat(server.limits.maxBodyChars + 1))).toMatchObject([{ error: 'policy-violation' }]);
  });

  it('reassembles a fragmented publication and fragments a large retrieval', async () => {
    server = makeServer({ maxOutgoingChars: 300 });
    const dev = makeDevice({ nowMs: now });
    const d = new PublisherDake({
      random,
      instanceTag: dev.instanceTag,
      longTerm: dev.longTerm,
      clientProfile: dev.clientProfile,
      publisherJid: 'alice@example.org',
      serverJid: SERVER,
      serverFingerprint: server.fingerprint,
    });
    const [b2] = await bodies('alice@example.org/a', encodeBody(d.start()));
    const m2 = decodeTopLevel(decodeBody(b2!));
    if (m2.type !== 'dake2') throw new Error();
    const dake3 = encodeBody(d.onDake2(m2, publication(dev, 5)));
    const frags = fragmentMessage(dake3, 500, { identifier: 77, senderInstanceTag: dev.instanceTag, receiverInstanceTag: 0 });
    expect(frags.length).toBeGreaterThan(3);
    const answers: string[] = [];
    // out of order, as the spec allows
    for (const f of [...frags].reverse()) answers.push(...(await bodies('alice@example.org/a', f)));
    expect(answers).toHaveLength(1);
    expect(d.onAnswer(decodeTopLevel(decodeBody(answers[0]!)))).toEqual({ type: 'success' });
    const got = await retrieve('bob@example.org/x', 'alice@example.org', 0x4321);
    expect(got.type).toBe('ensemble-retrieval');
  });
});
