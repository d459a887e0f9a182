// PostgreSQL mode with two replicas serving one endpoint (issue 4): a desktop device connected to
// either replica receives what either replica accepted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PushClient } from '../../src-shared/node-push/client';
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
    const c = new PushClient({ endpoint: `http://127.0.0.1:${r.port}/api/v1/` });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    cluster = await startPostgres();
    const url = await cluster.createDatabase('push_replicas');
    // the connection string goes through the environment, as the docs recommend
    const env = { PUSH_DATABASE_URL: url };
    [r1, r2] = await Promise.all([
      startServer(['--port', '0', '--public-url', PUBLIC], { env }),
      startServer(['--port', '0', '--public-url', PUBLIC], { env }),
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
});
