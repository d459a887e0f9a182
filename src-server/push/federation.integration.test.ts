// Two push servers federated over TLS on loopback (issue 4, "Tests"), plus the checks a relay
// and a registration must pass, exercised through a test-held peer key (fake-peer.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import { PushClient, type DesktopConnection } from '../../src-shared/node-push/client';
import { openKnock } from '../../src-shared/push/seal';
import { ClientPool, makeKnock, makePki, randomKnockId, removeDir, startServer, tempDir, tlsArgs, type Pki, type ServerProc } from './test-support/harness';
import { startFakePeer, type FakePeer } from './test-support/fake-peer';
import { PEER_HEADER, SIGNATURE_HEADER, type KnockEnvelope } from '../../src-shared/push/wire';
import { freePort } from '../../scripts/stack/stack';

describe('federation over TLS', () => {
  let pki: Pki;
  let s1: ServerProc;
  let s2: ServerProc;
  let peer: FakePeer;
  const dirs: string[] = [];
  const clients = new ClientPool();
  const client = (s: ServerProc) => clients.make(s.endpoint, pki.ca);
  let bobConn: DesktopConnection;
  let alice: PushClient;

  beforeAll(async () => {
    pki = makePki();
    peer = await startFakePeer(pki.certFile, pki.keyFile);
    dirs.push(tempDir(), tempDir());
    // everything runs on loopback: registrations from private addresses are opted in
    s1 = await startServer(['--data-dir', dirs[0]!, '--port', '0', ...tlsArgs(pki), '--allow-private-peers', '--log-level', 'info']);
    s2 = await startServer([
      '--data-dir',
      dirs[1]!,
      '--port',
      '0',
      ...tlsArgs(pki),
      '--allow-private-peers',
      '--register-with',
      s1.endpoint,
      '--register-with',
      peer.endpoint,
      '--log-level',
      'info',
    ]);
    await s2.waitForLog(new RegExp(`registered with peer","peer":"${s1.endpoint.replace(/[/.]/g, '\\$&')}`));
    await s2.waitForLog(new RegExp(`registered with peer","peer":"${peer.endpoint.replace(/[/.]/g, '\\$&')}`));
    alice = client(s1);
    await alice.createOrLogin('alice', 'alice-password');
    const bob = client(s2);
    await bob.createOrLogin('bob', 'bob-password');
    const dev = await bob.registerDevice('desktop');
    bobConn = await bob.connectDesktop(dev.registration_id!);
  });
  afterAll(async () => {
    await bobConn?.close();
    clients.closeAll();
    await s2?.stop();
    await s1?.stop();
    await peer?.close();
    for (const d of dirs) removeDir(d);
    if (pki) removeDir(pki.dir);
  });

  /** the next delivery on bob's channel must be this knock (nothing else arrived before it) */
  async function expectNextKnock(conn: DesktopConnection, knock: KnockEnvelope): Promise<void> {
    const d = await conn.next();
    expect(d.payload).toEqual({ kind: 'knock', knock });
    await conn.ack(d.delivery);
  }

  it('relays a knock from a user of the first server to a desktop device on the second', async () => {
    const key = randomBytes(32);
    const knock = makeKnock({ endpoint: s1.endpoint, push_name: 'alice' }, { endpoint: s2.endpoint, push_name: 'bob' }, key);
    expect(await alice.sendKnock(knock)).toEqual({ id: knock.id, status: 'accepted' });
    const d = await bobConn.next();
    expect(d.payload).toEqual({ kind: 'knock', knock });
    if (d.payload.kind === 'knock') expect(openKnock(key, d.payload.knock).account_name).toBe('alice@example.org');
    await bobConn.ack(d.delivery);
  });

  it('a device offline at sending time receives the relayed knock when it connects', async () => {
    const carol = client(s2);
    await carol.createOrLogin('carol', 'carol-password');
    const dev = await carol.registerDevice('desktop');
    const knock = makeKnock({ endpoint: s1.endpoint, push_name: 'alice' }, { endpoint: s2.endpoint, push_name: 'carol' });
    await alice.sendKnock(knock);
    const conn = await carol.connectDesktop(dev.registration_id!);
    await expectNextKnock(conn, knock);
    await conn.close();
  });

  it('does not relay towards a server that has not registered (s1 never registered with s2)', async () => {
    const bob = client(s2);
    await bob.login('bob', 'bob-password');
    const back = makeKnock({ endpoint: s2.endpoint, push_name: 'bob' }, { endpoint: s1.endpoint, push_name: 'alice' });
    await expect(bob.sendKnock(back)).rejects.toMatchObject({ status: 403, code: 'unknown_peer' });
  });

  // --- hostile relays, signed with the fake peer's key, posted straight to s2 ---

  function relayBody(over: Partial<{ relay_id: string; origin: string; destination: string; sent_at: number }> = {}, knock?: KnockEnvelope) {
    const k = knock ?? makeKnock({ endpoint: peer.endpoint, push_name: 'mallory' }, { endpoint: s2.endpoint, push_name: 'bob' });
    return { k, body: JSON.stringify({ relay_id: randomKnockId(), origin: peer.endpoint, destination: s2.endpoint, sent_at: Date.now(), knock: k, ...over }) };
  }
  const postRelay = (body: string, headers: Record<string, string>) =>
    client(s2).raw('POST', 'federation/relay', { body, headers: { 'content-type': 'application/json', ...headers } });

  it('accepts a correctly signed relay from a peer it registered with, and refuses its replay', async () => {
    const { k, body } = relayBody();
    const h = { [PEER_HEADER]: peer.endpoint, [SIGNATURE_HEADER]: peer.signRelay(body) };
    expect((await postRelay(body, h)).status).toBe(202);
    await expectNextKnock(bobConn, k);
    const again = await postRelay(body, h);
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ code: 'replay' });
    // the same knock under a fresh relay id (a retry) is accepted but not delivered twice
    const { body: retry } = relayBody({}, k);
    expect((await postRelay(retry, { [PEER_HEADER]: peer.endpoint, [SIGNATURE_HEADER]: peer.signRelay(retry) })).status).toBe(202);
    const sentinel = relayBody();
    expect((await postRelay(sentinel.body, { [PEER_HEADER]: peer.endpoint, [SIGNATURE_HEADER]: peer.signRelay(sentinel.body) })).status).toBe(202);
    await expectNextKnock(bobConn, sentinel.k);
  });

  it('refuses forged, stale, misaddressed and unknown-peer relays, delivering none of them', async () => {
    const cases: Array<{ name: string; body: string; headers: Record<string, string>; status: number; code: string }> = [];
    {
      const { body } = relayBody();
      const forged = peer.signRelay(body.replace('"mallory"', '"mallorz"'));
      cases.push({
        name: 'signature of another body',
        body,
        headers: { [PEER_HEADER]: peer.endpoint, [SIGNATURE_HEADER]: forged },
        status: 403,
        code: 'bad_signature',
      });
    }
    {
      const { body } = relayBody();
      cases.push({ name: 'no signature', body, headers: { [PEER_HEADER]: peer.endpoint }, status: 403, code: 'bad_signature' });
      cases.push({
        name: 'garbage signature',
        body,
        headers: { [PEER_HEADER]: peer.endpoint, [SIGNATURE_HEADER]: 'A'.repeat(86) },
        status: 403,
        code: 'bad_signature',
      });
      cases.push({
        name: 'unknown peer',
        body,
        headers: { [PEER_HEADER]: 'https://127.0.0.1:1/api/v1/', [SIGNATURE_HEADER]: peer.signRelay(body) },
        status: 403,
        code: 'unknown_peer',
      });
      cases.push({
        name: "a known peer's name with another key's signature",
        body,
        headers: { [PEER_HEADER]: s1.endpoint, [SIGNATURE_HEADER]: peer.signRelay(body) },
        status: 403,
        code: 'bad_signature',
      });
    }
    {
      const { body } = relayBody({ sent_at: Date.now() - 3600_000 });
      cases.push({
        name: 'stale timestamp',
        body,
        headers: { [PEER_HEADER]: peer.endpoint, [SIGNATURE_HEADER]: peer.signRelay(body) },
        status: 403,
        code: 'stale',
      });
    }
    {
      const { body } = relayBody({ destination: s1.endpoint });
      cases.push({
        name: 'addressed to another server',
        body,
        headers: { [PEER_HEADER]: peer.endpoint, [SIGNATURE_HEADER]: peer.signRelay(body) },
        status: 400,
        code: 'wrong_destination',
      });
    }
    {
      const k = makeKnock({ endpoint: s1.endpoint, push_name: 'alice' }, { endpoint: s2.endpoint, push_name: 'bob' });
      const { body } = relayBody({}, k);
      cases.push({
        name: "knock From another server's user",
        body,
        headers: { [PEER_HEADER]: peer.endpoint, [SIGNATURE_HEADER]: peer.signRelay(body) },
        status: 403,
        code: 'origin_mismatch',
      });
    }
    {
      const body = '{"relay_id": "x", ';
      cases.push({
        name: 'malformed JSON, validly signed',
        body,
        headers: { [PEER_HEADER]: peer.endpoint, [SIGNATURE_HEADER]: peer.signRelay(body) },
        status: 400,
        code: 'malformed_json',
      });
    }
    for (const c of cases) {
      const r = await postRelay(c.body, c.headers);
      expect({ name: c.name, status: r.status, code: (r.json as { code?: string }).code }).toEqual({ name: c.name, status: c.status, code: c.code });
    }
    const sentinel = relayBody();
    expect((await postRelay(sentinel.body, { [PEER_HEADER]: peer.endpoint, [SIGNATURE_HEADER]: peer.signRelay(sentinel.body) })).status).toBe(202);
    await expectNextKnock(bobConn, sentinel.k);
  });

  // --- batched relays (several knocks under one signature) ---

  const fromPeer = () => makeKnock({ endpoint: peer.endpoint, push_name: 'mallory' }, { endpoint: s2.endpoint, push_name: 'bob' });
  const batchBody = (knocks: KnockEnvelope[], over: Record<string, unknown> = {}) =>
    JSON.stringify({ relay_id: randomKnockId(), origin: peer.endpoint, destination: s2.endpoint, sent_at: Date.now(), knocks, ...over });
  const signed = (body: string) => ({ [PEER_HEADER]: peer.endpoint, [SIGNATURE_HEADER]: peer.signRelay(body) });

  it('accepts several knocks in one signed relay, delivers each once, and refuses the batch replayed', async () => {
    // a knock relayed before, alone: in a later batch it is accepted but not delivered again
    const earlier = relayBody();
    expect((await postRelay(earlier.body, signed(earlier.body))).status).toBe(202);
    await expectNextKnock(bobConn, earlier.k);
    const fresh = [fromPeer(), fromPeer(), fromPeer()];
    const body = batchBody([earlier.k, fresh[0]!, fresh[1]!, fresh[1]!, fresh[2]!]);
    const r = await postRelay(body, signed(body));
    expect({ status: r.status, json: r.json }).toEqual({
      status: 202,
      json: { ids: [earlier.k.id, fresh[0]!.id, fresh[1]!.id, fresh[1]!.id, fresh[2]!.id], status: 'accepted' },
    });
    for (const k of fresh) await expectNextKnock(bobConn, k);
    const again = await postRelay(body, signed(body));
    expect({ status: again.status, code: (again.json as { code?: string }).code }).toEqual({ status: 409, code: 'replay' });
    // nothing else was queued: the next delivery is a sentinel sent now
    const sentinel = relayBody();
    expect((await postRelay(sentinel.body, signed(sentinel.body))).status).toBe(202);
    await expectNextKnock(bobConn, sentinel.k);
  });

  it('refuses a whole batch when one knock is not the peer’s or not for this server, or the signature is not over it', async () => {
    const cases: Array<{ name: string; body: string; headers?: Record<string, string>; status: number; code: string }> = [
      {
        name: 'one knock From another server',
        body: batchBody([fromPeer(), makeKnock({ endpoint: s1.endpoint, push_name: 'alice' }, { endpoint: s2.endpoint, push_name: 'bob' })]),
        status: 403,
        code: 'origin_mismatch',
      },
      {
        name: 'one knock To another server',
        body: batchBody([fromPeer(), makeKnock({ endpoint: peer.endpoint, push_name: 'mallory' }, { endpoint: s1.endpoint, push_name: 'alice' })]),
        status: 400,
        code: 'wrong_destination',
      },
      { name: 'an empty batch', body: batchBody([]), status: 400, code: 'invalid_request' },
      { name: 'both forms at once', body: batchBody([fromPeer()], { knock: fromPeer() }), status: 400, code: 'invalid_request' },
      { name: 'a stale batch', body: batchBody([fromPeer()], { sent_at: Date.now() - 3600_000 }), status: 403, code: 'stale' },
    ];
    {
      const body = batchBody([fromPeer(), fromPeer()]);
      const other = batchBody([fromPeer()]);
      cases.push({ name: 'the signature of another batch', body, headers: signed(other), status: 403, code: 'bad_signature' });
    }
    for (const c of cases) {
      const r = await postRelay(c.body, c.headers ?? signed(c.body));
      expect({ name: c.name, status: r.status, code: (r.json as { code?: string }).code }).toEqual({ name: c.name, status: c.status, code: c.code });
    }
    const sentinel = relayBody();
    expect((await postRelay(sentinel.body, signed(sentinel.body))).status).toBe(202);
    await expectNextKnock(bobConn, sentinel.k);
  });

  it('relays a burst of knocks from one sender: each reaches the device exactly once', async () => {
    const knocks = Array.from({ length: 40 }, () => makeKnock({ endpoint: s1.endpoint, push_name: 'alice' }, { endpoint: s2.endpoint, push_name: 'bob' }));
    await Promise.all(knocks.map((k) => alice.sendKnock(k)));
    const got = new Map<string, string>();
    while (got.size < knocks.length) {
      const d = await bobConn.next();
      if (d.payload.kind !== 'knock') throw new Error('unexpected delivery');
      expect(got.has(d.payload.knock.id), 'delivered twice').toBe(false);
      got.set(d.payload.knock.id, d.delivery);
    }
    expect([...got.keys()].sort()).toEqual(knocks.map((k) => k.id).sort());
    // acknowledged together: all removed (the next delivery is a sentinel)
    await Promise.all([...got.values()].map((d) => bobConn.ack(d)));
    const sentinel = makeKnock({ endpoint: s1.endpoint, push_name: 'alice' }, { endpoint: s2.endpoint, push_name: 'bob' });
    await alice.sendKnock(sentinel);
    await expectNextKnock(bobConn, sentinel);
  });

  it('verifies registrations over HTTPS: untrusted certificates, wrong keys, replays and http are refused, all with one answer', async () => {
    const anon = client(s1);
    // a peer serving its key document with a certificate from an untrusted CA
    const rogue = await startFakePeer(pki.rogueCertFile, pki.rogueKeyFile);
    try {
      const reg = (p: FakePeer, over: Record<string, unknown> = {}) =>
        JSON.stringify({ endpoint: p.endpoint, registrar: s1.endpoint, public_key: p.publicKey, nonce: randomKnockId(), sent_at: Date.now(), ...over });
      const post = (body: string, sig: string) =>
        anon.raw('POST', 'federation/register', { body, headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: sig } });
      // every refusal is the same answer (no oracle for what is at the target); the log says why
      const refused = async (body: string, sig: string, reason: string) => {
        const r = await post(body, sig);
        expect({ status: r.status, json: r.json }).toEqual({ status: 403, json: { error: 'registration refused', code: 'registration_refused' } });
        await s1.waitForLog(new RegExp(`registration refused","reason":"${reason}"[\\s\\S]*$`));
      };
      const b1 = reg(rogue);
      await refused(b1, rogue.signRegister(b1), 'unreachable');
      // claims the fake peer's endpoint with someone else's key
      const b2 = reg(peer, { public_key: rogue.publicKey });
      await refused(b2, rogue.signRegister(b2), 'key_mismatch');
      // right key, wrong signature
      const b3 = reg(peer);
      await refused(b3, rogue.signRegister(b3), 'bad_signature');
      const b4 = reg(peer, { endpoint: peer.endpoint.replace('https:', 'http:') });
      await refused(b4, peer.signRegister(b4), 'insecure');
      const b5 = reg(peer, { registrar: s2.endpoint });
      await refused(b5, peer.signRegister(b5), 'refused');
      // a valid registration works once; its replay is refused
      const ok = reg(peer);
      expect((await post(ok, peer.signRegister(ok))).status).toBe(200);
      await refused(ok, peer.signRegister(ok), 'replay');
      // nothing was recorded for the rogue: knocks towards it are refused
      const toRogue = makeKnock({ endpoint: s1.endpoint, push_name: 'alice' }, { endpoint: rogue.endpoint, push_name: 'x' });
      await expect(alice.sendKnock(toRogue)).rejects.toMatchObject({ status: 403, code: 'unknown_peer' });
    } finally {
      await rogue.close();
    }
  });

  it('publishes its key at the well-known URL over HTTPS', async () => {
    const doc = await new Promise<unknown>((resolve, reject) => {
      https
        .get(new URL('/.well-known/chatsecure-push-server', s1.endpoint), { ca: pki.ca }, (res) => {
          let t = '';
          res.on('data', (c: Buffer) => (t += c.toString()));
          res.on('end', () => resolve(JSON.parse(t)));
        })
        .on('error', reject);
    });
    expect(doc).toMatchObject({ endpoint: s1.endpoint, algorithm: 'ed25519' });
  });
});

describe('federation with a peer that takes one knock per relay', () => {
  it('splits a batch the peer refuses as too large and delivers every knock once', async () => {
    const pki = makePki();
    const dirs = [tempDir(), tempDir()];
    const clients: PushClient[] = [];
    let s1: ServerProc | undefined;
    let s3: ServerProc | undefined;
    try {
      s1 = await startServer(['--data-dir', dirs[0]!, '--port', '0', ...tlsArgs(pki), '--allow-private-peers']);
      // a relay of one knock is ≈ 600 bytes, of three ≈ 1.5 KB: this peer takes no batch of ten
      const args3 = [
        '--data-dir',
        dirs[1]!,
        '--port',
        String(await freePort()),
        ...tlsArgs(pki),
        '--max-body',
        '1024',
        '--register-with',
        s1.endpoint,
        '--log-level',
        'info',
      ];
      s3 = await startServer(args3);
      await s3.waitForLog(/registered with peer/);
      const alice = new PushClient({ endpoint: s1.endpoint, ca: pki.ca });
      const bob = new PushClient({ endpoint: s3.endpoint, ca: pki.ca });
      clients.push(alice, bob);
      await alice.createOrLogin('alice', 'alice-password');
      await bob.createOrLogin('bob', 'bob-password');
      const dev = await bob.registerDevice('desktop');
      // knocks queue up while the peer is down, so that the retry sends them as one batch
      await s3.stop();
      const [from, to] = [s1.endpoint, s3.endpoint];
      const knocks = Array.from({ length: 10 }, () => makeKnock({ endpoint: from, push_name: 'alice' }, { endpoint: to, push_name: 'bob' }));
      for (const k of knocks) await alice.sendKnock(k);
      await s1.waitForLog(/(delivery will be retried[\s\S]*){10}/);
      s3 = await startServer(args3);
      const conn = await bob.connectDesktop(dev.registration_id!);
      const got = new Set<string>();
      while (got.size < knocks.length) {
        const d = await conn.next(30_000);
        if (d.payload.kind !== 'knock') throw new Error('unexpected delivery');
        expect(got.has(d.payload.knock.id), 'delivered twice').toBe(false);
        got.add(d.payload.knock.id);
        await conn.ack(d.delivery);
      }
      expect([...got].sort()).toEqual(knocks.map((k) => k.id).sort());
      // the batch was refused whole (413) and its knocks went again one by one
      expect(s1.logs()).toMatch(/peer refused relay","peer":"[^"]+","status":413,"knocks":([2-9]|10)\b/);
      await conn.close();
    } finally {
      for (const c of clients) c.close();
      await s3?.stop();
      await s1?.stop();
      for (const d of dirs) removeDir(d);
      removeDir(pki.dir);
    }
  });
});
