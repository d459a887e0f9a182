// PostgreSQL mode with two replicas serving one endpoint (issue 4): a desktop device connected to
// either replica receives what either replica accepted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PushClient, type DesktopConnection } from '../../src-shared/node-push/client';
import { makeKnock, startServer, type ServerProc } from './test-support/harness';
import { startPostgres, type PgCluster } from '../../scripts/test-support/postgres';

const PUBLIC = 'http://push.replicas.test/api/v1/';

describe('PostgreSQL replicas', () => {
  let cluster: PgCluster;
  let r1: ServerProc;
  let r2: ServerProc;
  const clients: PushClient[] = [];
  const via = (r: ServerProc) => {
    // talk to the replica itself (as a load balancer would), while knocks name PUBLIC
    // hundreds of parallel requests queue behind each other on a shared machine: a long timeout
    const c = new PushClient({ endpoint: `http://127.0.0.1:${r.port}/api/v1/`, timeoutMs: 120_000 });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    cluster = await startPostgres();
    const url = await cluster.createDatabase('push_replicas');
    // the connection string goes through the environment, as the docs recommend
    const env = { PUSH_DATABASE_URL: url };
    [r1, r2] = await Promise.all([
      startServer(['--port', '0', '--public-url', PUBLIC, '--rate-ip', '100000:100000', '--rate-account', '100000:100000', '--max-tokens', '60'], { env }),
      startServer(['--port', '0', '--public-url', PUBLIC, '--rate-ip', '100000:100000', '--rate-account', '100000:100000', '--max-tokens', '60'], { env }),
    ]);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await r1?.stop();
    await r2?.stop();
    await cluster?.stop();
  });

  it('both replicas present one endpoint and one federation key', async () => {
    const k1 = await via(r1).raw('GET', '/.well-known/chatsecure-push-server');
    const k2 = await via(r2).raw('GET', '/.well-known/chatsecure-push-server');
    expect(k1.json).toMatchObject({ endpoint: PUBLIC });
    expect(k1.json).toEqual(k2.json);
  });

  it('a knock accepted by one replica reaches a device connected to the other', async () => {
    const alice = via(r1);
    await alice.createOrLogin('alice', 'alice-password');
    const bob = via(r2);
    await bob.createOrLogin('bob', 'bob-password');
    const dev = await bob.registerDevice('desktop');
    const conn = await bob.connectDesktop(dev.registration_id!);
    const knock = makeKnock({ endpoint: PUBLIC, push_name: 'alice' }, { endpoint: PUBLIC, push_name: 'bob' });
    await alice.sendKnock(knock);
    const d = await conn.next();
    expect(d.payload).toEqual({ kind: 'knock', knock });
    await conn.ack(d.delivery);

    // and the other way round, with a ChatSecure message to a token issued by the other replica
    const token = (await bob.createToken({ device: dev.id })).token!;
    expect((await via(r1).raw('POST', 'messages/', { json: { token, data: 'x' }, auth: false })).status).toBe(202);
    const m = await conn.next();
    expect(m.payload).toEqual({ kind: 'message', token, data: 'x', priority: 'low' });
    await conn.ack(m.delivery);
    await conn.close();
  });

  it('a device offline at sending time gets the knock from whichever replica it connects to; the ack is shared', async () => {
    const alice = via(r2);
    await alice.login('alice', 'alice-password');
    const carol = via(r1);
    await carol.createOrLogin('carol', 'carol-password');
    const dev = await carol.registerDevice('desktop');
    const k1 = makeKnock({ endpoint: PUBLIC, push_name: 'alice' }, { endpoint: PUBLIC, push_name: 'carol' });
    await alice.sendKnock(k1);
    // a replay through the other replica is refused: the seen-id store is shared
    await expect(via(r1).raw('POST', 'knocks/', { json: k1, headers: { authorization: `Token ${alice.token}` } })).resolves.toMatchObject({ status: 409 });
    const c1 = await carol.connectDesktop(dev.registration_id!);
    const d = await c1.next();
    expect(d.payload).toEqual({ kind: 'knock', knock: k1 });
    await c1.ack(d.delivery);
    await c1.close();
    // acknowledged through r1: r2 does not deliver it again, only the next knock
    const k2 = makeKnock({ endpoint: PUBLIC, push_name: 'alice' }, { endpoint: PUBLIC, push_name: 'carol' });
    const c2 = await via(r2).connectDesktop(dev.registration_id!);
    await alice.sendKnock(k2);
    expect((await c2.next()).payload).toEqual({ kind: 'knock', knock: k2 });
    await c2.close();
  });

  it('a login ended on one replica is refused on the other at its next knock, though that one remembers it (issue 17)', async () => {
    const erin = via(r1);
    await erin.createOrLogin('erin', 'erin-password');
    const frank = via(r2);
    await frank.createOrLogin('frank', 'frank-password');
    const conn = await frank.connectDesktop((await frank.registerDevice('desktop')).registration_id!);
    // r1 remembers erin's login after this knock (api/services.ts knockLogin)
    const first = makeKnock({ endpoint: PUBLIC, push_name: 'erin' }, { endpoint: PUBLIC, push_name: 'frank' });
    await erin.sendKnock(first);
    const d = await conn.next();
    expect(d.payload).toEqual({ kind: 'knock', knock: first });
    await conn.ack(d.delivery);
    // the same login ends through r2; r1 still remembers it
    const elsewhere = via(r2);
    elsewhere.token = erin.token;
    await elsewhere.logout();
    const late = makeKnock({ endpoint: PUBLIC, push_name: 'erin' }, { endpoint: PUBLIC, push_name: 'frank' });
    const refused = await via(r1).raw('POST', 'knocks/', { json: late, headers: { authorization: `Token ${erin.token}` } });
    expect(refused.status).toBe(401);
    expect(refused.json).toMatchObject({ code: 'invalid_token' });
    // nothing was stored: a knock after it (new login) is the next thing frank's device gets
    await erin.login('erin', 'erin-password');
    const next = makeKnock({ endpoint: PUBLIC, push_name: 'erin' }, { endpoint: PUBLIC, push_name: 'frank' });
    await erin.sendKnock(next);
    expect((await conn.next()).payload).toEqual({ kind: 'knock', knock: next });
    // and the refused knock's id was not recorded: sent again under the new login, it is accepted
    expect(await erin.sendKnock(late)).toEqual({ id: late.id, status: 'accepted' });
    expect((await conn.next()).payload).toEqual({ kind: 'knock', knock: late });
    await conn.close();
  });

  it('caps devices and tokens under parallel requests spread over both replicas (finding 6)', async () => {
    const a = via(r1);
    await a.createOrLogin('hoarder', 'hoarder-password');
    const b = via(r2);
    b.token = a.token;
    const devs = await Promise.all(Array.from({ length: 110 }, (_, i) => (i % 2 ? a : b).raw('POST', 'device/desktop/', { json: {} })));
    expect(devs.filter((r) => r.status === 201).length).toBe(50);
    expect((await a.listDevices('desktop')).length).toBe(50);
    const toks = await Promise.all(Array.from({ length: 130 }, (_, i) => (i % 2 ? a : b).raw('POST', 'tokens/', { json: {} })));
    expect(toks.filter((r) => r.status === 201).length).toBe(60);
    expect((await b.listTokens()).length).toBe(60);
  });

  it('a confirmed acknowledgement ends the delivery: no frame for it again on the same connection (finding 7)', async () => {
    const sender = via(r1);
    await sender.createOrLogin('sender', 'sender-password');
    const dave = via(r2);
    await dave.createOrLogin('dave', 'dave-password');
    // several devices of one recipient: each knock fans out to all, acks and queue reads overlap
    const conns = await Promise.all(Array.from({ length: 8 }, async () => dave.connectDesktop((await dave.registerDevice('desktop')).registration_id!)));
    const again: string[] = [];
    let confirmedCount = 0;
    const sentinelSeen = new Set<DesktopConnection>();
    let sentinelId = '';
    let allSeen: () => void = () => undefined;
    const sentinelArrived = new Promise<void>((r) => (allSeen = r));
    for (const conn of conns) {
      const confirmed = new Set<string>();
      const seen = new Set<string>();
      conn.onDelivery((d) => {
        if (confirmed.has(d.delivery)) again.push(d.delivery);
        if (d.payload.kind === 'knock' && d.payload.knock.id === sentinelId) {
          sentinelSeen.add(conn);
          if (sentinelSeen.size === conns.length) allSeen();
        }
        if (seen.has(d.delivery)) return;
        seen.add(d.delivery);
        void conn.ack(d.delivery).then(() => {
          confirmed.add(d.delivery);
          confirmedCount++;
        });
      });
    }
    // knocks accepted by the other replica reach these connections through NOTIFY and queue reads
    const knocks = Array.from({ length: 300 }, () => makeKnock({ endpoint: PUBLIC, push_name: 'sender' }, { endpoint: PUBLIC, push_name: 'dave' }));
    await Promise.all(knocks.map((k) => sender.sendKnock(k)));
    await expect.poll(() => confirmedCount, { timeout: 60_000 }).toBe(300 * conns.length);
    const sentinel = makeKnock({ endpoint: PUBLIC, push_name: 'sender' }, { endpoint: PUBLIC, push_name: 'dave' });
    sentinelId = sentinel.id;
    await sender.sendKnock(sentinel);
    await sentinelArrived;
    expect(again).toEqual([]);
    await Promise.all(conns.map((c) => c.close()));
  });
});
