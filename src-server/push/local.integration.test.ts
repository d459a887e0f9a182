// Local knocks, the desktop channel and the durable queue, against the real server process.
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { PushClient, PushApiError } from '../../src-shared/node-push/client';
import { openKnock } from '../../src-shared/push/seal';
import { makeKnock, removeDir, startServer, tempDir } from './test-support/harness';
import { serverPerBlock } from './test-support/server-per-block';

describe('push server: local knocks and the desktop channel', () => {
  const server = serverPerBlock();
  const client = () => server.client();

  it('fans a knock out to every desktop device of the recipient; removed only when acknowledged', async () => {
    const alice = client();
    const bob = client();
    await alice.createOrLogin('alice', 'alice-password');
    await bob.createOrLogin('bob', 'bob-password');
    const d1 = await bob.registerDevice('desktop', { name: 'laptop' });
    const d2 = await bob.registerDevice('desktop', { name: 'desktop' });
    expect(d1.registration_id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const c1 = await bob.connectDesktop(d1.registration_id!);
    const c2 = await bob.connectDesktop(d2.registration_id!);

    const key = randomBytes(32);
    const knock = makeKnock({ endpoint: server.endpoint, push_name: 'alice' }, { endpoint: server.endpoint, push_name: 'bob' }, key);
    expect(await alice.sendKnock(knock)).toEqual({ id: knock.id, status: 'accepted' });

    for (const c of [c1, c2]) {
      const got = await c.next();
      expect(got.payload).toEqual({ kind: 'knock', knock });
      if (got.payload.kind !== 'knock') throw new Error('unreachable');
      expect(openKnock(key, got.payload.knock).buddy_name).toBe('bob@example.net');
    }
    // c1 closes without acknowledging: the knock must come back when d1 reconnects.
    await c1.close();
    const knock2 = makeKnock({ endpoint: server.endpoint, push_name: 'alice' }, { endpoint: server.endpoint, push_name: 'bob' });
    const r1 = await bob.connectDesktop(d1.registration_id!);
    const again = await r1.next();
    expect(again.payload).toEqual({ kind: 'knock', knock });
    await r1.ack(again.delivery);
    await alice.sendKnock(knock2);
    const next = await r1.next();
    expect(next.payload).toEqual({ kind: 'knock', knock: knock2 });
    await r1.ack(next.delivery);
    await r1.close();
    // reconnect once more: both were acked, so a third knock is the first thing delivered
    const knock3 = makeKnock({ endpoint: server.endpoint, push_name: 'alice' }, { endpoint: server.endpoint, push_name: 'bob' });
    await alice.sendKnock(knock3);
    const r1b = await bob.connectDesktop(d1.registration_id!);
    expect((await r1b.next()).payload).toEqual({ kind: 'knock', knock: knock3 });
    await r1b.close();
    await c2.close();
  });

  it('delivers to a device that was offline when the knock was sent', async () => {
    const alice = client();
    const carol = client();
    await alice.login('alice', 'alice-password');
    await carol.createOrLogin('carol', 'carol-password');
    const dev = await carol.registerDevice('desktop');
    const knock = makeKnock({ endpoint: server.endpoint, push_name: 'alice' }, { endpoint: server.endpoint, push_name: 'carol' });
    await alice.sendKnock(knock);
    const conn = await carol.connectDesktop(dev.registration_id!);
    const got = await conn.next();
    expect(got.payload).toEqual({ kind: 'knock', knock });
    await conn.ack(got.delivery);
    await conn.close();
  });

  it('a burst larger than the in-flight window reaches a connected device whole, each knock once', async () => {
    const dora = client();
    await dora.createOrLogin('dora', 'dora-password');
    const dev = await dora.registerDevice('desktop');
    const conn = await dora.connectDesktop(dev.registration_id!);
    // three senders (the per-account rate limit), 120 knocks: more than the 100 deliveries a
    // connection may have unacknowledged, so the rest wait in the queue for acknowledgements
    const senders = await Promise.all(
      ['erin', 'finn', 'gail'].map(async (name) => {
        const c = client();
        await c.createOrLogin(name, `${name}-password`);
        return { c, name };
      }),
    );
    const knocks = senders.flatMap(({ c, name }) =>
      Array.from({ length: 40 }, () => ({ c, k: makeKnock({ endpoint: server.endpoint, push_name: name }, { endpoint: server.endpoint, push_name: 'dora' }) })),
    );
    await Promise.all(knocks.map(({ c, k }) => c.sendKnock(k)));
    const got = new Set<string>();
    const acks: Promise<void>[] = [];
    while (got.size < knocks.length) {
      const d = await conn.next();
      if (d.payload.kind !== 'knock') throw new Error('unexpected delivery');
      expect(got.has(d.payload.knock.id), 'delivered twice').toBe(false);
      got.add(d.payload.knock.id);
      acks.push(conn.ack(d.delivery));
    }
    await Promise.all(acks);
    expect([...got].sort()).toEqual(knocks.map(({ k }) => k.id).sort());
    // every one was removed: after reconnecting, a new knock is the first delivery
    await conn.close();
    const sentinel = makeKnock({ endpoint: server.endpoint, push_name: 'erin' }, { endpoint: server.endpoint, push_name: 'dora' });
    await senders[0]!.c.sendKnock(sentinel);
    const again = await dora.connectDesktop(dev.registration_id!);
    expect((await again.next()).payload).toEqual({ kind: 'knock', knock: sentinel });
    await again.close();
  });

  it('refuses a replayed knock id, a forged From and an unregistered remote endpoint', async () => {
    const alice = client();
    await alice.login('alice', 'alice-password');
    const knock = makeKnock({ endpoint: server.endpoint, push_name: 'alice' }, { endpoint: server.endpoint, push_name: 'bob' });
    await alice.sendKnock(knock);
    await expect(alice.sendKnock(knock)).rejects.toMatchObject({ status: 409, code: 'replay' });
    const forged = makeKnock({ endpoint: server.endpoint, push_name: 'bob' }, { endpoint: server.endpoint, push_name: 'carol' });
    await expect(alice.sendKnock(forged)).rejects.toMatchObject({ status: 403, code: 'from_mismatch' });
    const remote = makeKnock({ endpoint: server.endpoint, push_name: 'alice' }, { endpoint: 'https://elsewhere.example/api/v1/', push_name: 'zed' });
    await expect(alice.sendKnock(remote)).rejects.toMatchObject({ status: 403, code: 'unknown_peer' });
  });

  it('answers a knock to an unknown push_name exactly like one to an existing account', async () => {
    const alice = client();
    await alice.login('alice', 'alice-password');
    const toNobody = makeKnock({ endpoint: server.endpoint, push_name: 'alice' }, { endpoint: server.endpoint, push_name: 'nobody-here' });
    const r = await alice.raw('POST', 'knocks/', { json: toNobody });
    expect(r.status).toBe(202);
    expect(r.json).toEqual({ id: toNobody.id, status: 'accepted' });
  });

  it('login does not reveal whether a push_name exists', async () => {
    const c = client();
    const unknown = await c.raw('POST', 'accounts/login/', { json: { username: 'no-such-user', password: 'x' } });
    const wrong = await c.raw('POST', 'accounts/login/', { json: { username: 'alice', password: 'wrong' } });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.json).toEqual(wrong.json);
  });

  it('unregistering a device closes its channel and refuses its secret; deleting an account removes everything', async () => {
    const dave = client();
    await dave.createOrLogin('dave', 'dave-password');
    const dev = await dave.registerDevice('desktop');
    const conn = await dave.connectDesktop(dev.registration_id!);
    await dave.unregisterDevice('desktop', dev.id);
    await expect(conn.next(10_000)).rejects.toMatchObject({ code: 'closed' });
    await expect(dave.connectDesktop(dev.registration_id!)).rejects.toBeInstanceOf(PushApiError);

    const dev2 = await dave.registerDevice('desktop');
    const tok = await dave.createToken({ device: dev2.id });
    await dave.deleteAccount('dave');
    await expect(dave.me()).rejects.toMatchObject({ status: 401 });
    await expect(dave.connectDesktop(dev2.registration_id!)).rejects.toBeInstanceOf(PushApiError);
    await expect(client().sendMessage({ token: tok.token! })).rejects.toMatchObject({ status: 404 });
    // the name is free again: a new account with another password is created, not logged in
    const again = await client().createOrLogin('dave', 'other-password');
    expect(again.token).toBeTruthy();
  });
});

describe('push server: durability', () => {
  it('loses no queued knock when killed with SIGKILL', async () => {
    const dir = tempDir();
    let server = await startServer(['--data-dir', dir, '--port', '0']);
    const alice = new PushClient({ endpoint: server.endpoint });
    const erin = new PushClient({ endpoint: server.endpoint });
    try {
      await alice.createOrLogin('alice', 'alice-password');
      await erin.createOrLogin('erin', 'erin-password');
      const dev = await erin.registerDevice('desktop');
      const sent = new Set<string>();
      for (let i = 0; i < 25; i++) {
        const k = makeKnock({ endpoint: server.endpoint, push_name: 'alice' }, { endpoint: server.endpoint, push_name: 'erin' });
        await alice.sendKnock(k);
        sent.add(k.id);
      }
      // one delivered but not acknowledged before the crash: it must come back too
      const pre = await erin.connectDesktop(dev.registration_id!);
      await pre.next();
      await server.kill();
      expect(server.proc.signalCode).toBe('SIGKILL');

      server = await startServer(['--data-dir', dir, '--port', '0']);
      const erin2 = new PushClient({ endpoint: server.endpoint, token: erin.token! });
      const conn = await erin2.connectDesktop(dev.registration_id!);
      const got = new Set<string>();
      while (got.size < sent.size) {
        const d = await conn.next();
        if (d.payload.kind === 'knock') got.add(d.payload.knock.id);
        await conn.ack(d.delivery);
      }
      expect(got).toEqual(sent);
      await conn.close();
      erin2.close();
    } finally {
      alice.close();
      erin.close();
      await server.stop();
      removeDir(dir);
    }
  });
});
