// A table of hostile requests against the real server process (issue 4, "Tests"): each is
// refused with a JSON 4xx, and afterwards the database holds exactly what it held before and the
// recipient's desktop channel has received nothing but a sentinel sent at the end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { join } from 'node:path';
import { Database } from '@signalapp/sqlcipher';
import { PushClient, type DesktopConnection } from '../../src-shared/node-push/client';
import { makeKnock, removeDir, startServer, tempDir, type ServerProc } from './test-support/harness';

const TABLES = ['accounts', 'auth_tokens', 'devices', 'whitelist_tokens', 'outbox', 'seen_ids', 'peers'];

describe('hostile requests', () => {
  let dir: string;
  let server: ServerProc;
  let alice: PushClient;
  let bob: PushClient;
  let bobConn: DesktopConnection;
  let bobToken: string;
  let bobDevice: string;
  let staleAuth: string;
  let removedDeviceSecret: string;
  const clients: PushClient[] = [];

  function counts(): Record<string, number> {
    const db = new Database(join(dir, 'push.sqlite'));
    try {
      return Object.fromEntries(TABLES.map((t) => [t, Number(db.prepare(`SELECT count(*) AS n FROM ${t}`).get()!.n)]));
    } finally {
      db.close();
    }
  }

  beforeAll(async () => {
    dir = tempDir();
    server = await startServer(['--data-dir', dir, '--port', '0', '--max-body', '4096', '--rate-ip', '10000:10000', '--rate-token', '10000:10000']);
    alice = new PushClient({ endpoint: server.endpoint });
    bob = new PushClient({ endpoint: server.endpoint });
    clients.push(alice, bob);
    await alice.createOrLogin('alice', 'alice-password');
    await bob.createOrLogin('bob', 'bob-password');
    const dev = await bob.registerDevice('desktop');
    bobDevice = dev.id;
    bobConn = await bob.connectDesktop(dev.registration_id!);
    bobToken = (await bob.createToken({ device: dev.id })).token!;
    // a token "stolen" and then revoked by its owner logging out
    const thief = new PushClient({ endpoint: server.endpoint });
    clients.push(thief);
    await thief.login('alice', 'alice-password');
    staleAuth = thief.token!;
    await thief.logout();
    // a desktop secret of a device that was unregistered
    const gone = await bob.registerDevice('desktop');
    removedDeviceSecret = gone.registration_id!;
    await bob.unregisterDevice('desktop', gone.id);
  });
  afterAll(async () => {
    await bobConn?.close();
    for (const c of clients) c.close();
    await server?.stop();
    removeDir(dir);
  });

  it('refuses every hostile request with a JSON 4xx and stores and delivers nothing', async () => {
    const ep = server.endpoint;
    const aliceAuth = `Token ${alice.token}`;
    const goodKnock = () => makeKnock({ endpoint: ep, push_name: 'alice' }, { endpoint: ep, push_name: 'bob' });
    const json = 'application/json';
    type Case = {
      name: string;
      method: string;
      path: string;
      body?: string | Buffer;
      type?: string;
      auth?: string;
      headers?: Record<string, string>;
      status: number;
    };
    const sql = "' OR '1'='1'; DROP TABLE accounts; --";
    const knockWith = (patch: (k: Record<string, unknown>) => void) => {
      const k = JSON.parse(JSON.stringify(goodKnock())) as Record<string, unknown>;
      patch(k);
      return JSON.stringify(k);
    };
    const cases: Case[] = [
      // malformed JSON and bodies
      { name: 'malformed JSON account', method: 'POST', path: 'accounts/', body: '{"username": "x",', type: json, status: 400 },
      { name: 'malformed JSON knock', method: 'POST', path: 'knocks/', body: '{', type: json, auth: aliceAuth, status: 400 },
      { name: 'JSON array body', method: 'POST', path: 'accounts/', body: '[1,2]', type: json, status: 400 },
      { name: 'JSON null body', method: 'POST', path: 'knocks/', body: 'null', type: json, auth: aliceAuth, status: 400 },
      { name: 'invalid UTF-8', method: 'POST', path: 'accounts/', body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), type: json, status: 400 },
      {
        name: 'huge body (declared)',
        method: 'POST',
        path: 'accounts/',
        body: JSON.stringify({ username: 'big', password: 'x'.repeat(100_000) }),
        type: json,
        status: 413,
      },
      {
        name: 'huge knock',
        method: 'POST',
        path: 'knocks/',
        body: knockWith((k) => (k.sealed = 'A'.repeat(50_000))),
        type: json,
        auth: aliceAuth,
        status: 413,
      },
      { name: 'unsupported content type', method: 'POST', path: 'accounts/', body: 'username=x', type: 'text/plain', status: 415 },
      {
        name: 'unknown field',
        method: 'POST',
        path: 'accounts/',
        body: JSON.stringify({ username: 'zz', password: 'p', is_admin: true }),
        type: json,
        status: 400,
      },
      {
        name: 'duplicate form field',
        method: 'POST',
        path: 'accounts/',
        body: 'username=a&username=b&password=x',
        type: 'application/x-www-form-urlencoded',
        status: 400,
      },
      // SQL and control characters in every field
      { name: 'SQL in username', method: 'POST', path: 'accounts/', body: JSON.stringify({ username: sql, password: 'p' }), type: json, status: 400 },
      { name: 'NUL in username', method: 'POST', path: 'accounts/', body: JSON.stringify({ username: 'eve\u0000', password: 'p' }), type: json, status: 400 },
      { name: 'newline in password', method: 'POST', path: 'accounts/', body: JSON.stringify({ username: 'eve', password: 'p\nq' }), type: json, status: 400 },
      {
        name: 'SQL in email',
        method: 'POST',
        path: 'accounts/',
        body: JSON.stringify({ username: 'eve', password: 'p', email: sql }),
        type: json,
        status: 400,
      },
      { name: 'SQL in login name', method: 'POST', path: 'accounts/login/', body: JSON.stringify({ username: sql, password: sql }), type: json, status: 400 },
      {
        name: 'SQL in APNs token',
        method: 'POST',
        path: 'device/apns/',
        body: JSON.stringify({ registration_id: sql }),
        type: json,
        auth: aliceAuth,
        status: 400,
      },
      {
        name: 'control chars in FCM token',
        method: 'POST',
        path: 'device/fcm/',
        body: JSON.stringify({ registration_id: 'abc\u0007def' }),
        type: json,
        auth: aliceAuth,
        status: 400,
      },
      {
        name: 'SQL in Web Push subscription',
        method: 'POST',
        path: 'device/webpush/',
        body: JSON.stringify({ registration_id: JSON.stringify({ endpoint: sql, keys: { p256dh: sql, auth: sql } }) }),
        type: json,
        auth: aliceAuth,
        status: 400,
      },
      {
        name: 'control chars in device name',
        method: 'POST',
        path: 'device/desktop/',
        body: JSON.stringify({ name: 'laptop\u001b[31m' }),
        type: json,
        auth: aliceAuth,
        status: 400,
      },
      {
        name: 'control chars in device_id',
        method: 'POST',
        path: 'device/desktop/',
        body: JSON.stringify({ device_id: 'x\r\ny' }),
        type: json,
        auth: aliceAuth,
        status: 400,
      },
      {
        name: 'registration_id forced on desktop',
        method: 'POST',
        path: 'device/desktop/',
        body: JSON.stringify({ registration_id: 'chosen-secret' }),
        type: json,
        auth: aliceAuth,
        status: 400,
      },
      { name: 'SQL in device id (path)', method: 'GET', path: `device/desktop/${encodeURIComponent(sql)}/`, auth: aliceAuth, status: 404 },
      { name: 'NUL in path', method: 'GET', path: 'device/desktop/%00/', auth: aliceAuth, status: 400 },
      { name: 'SQL in token device ref', method: 'POST', path: 'tokens/', body: JSON.stringify({ device: sql }), type: json, auth: aliceAuth, status: 400 },
      {
        name: "bob's device in alice's token",
        method: 'POST',
        path: 'tokens/',
        body: JSON.stringify({ device: bobDevice }),
        type: json,
        auth: aliceAuth,
        status: 400,
      },
      { name: 'SQL in message token', method: 'POST', path: 'messages/', body: JSON.stringify({ token: sql }), type: json, status: 400 },
      {
        name: 'control chars in message data',
        method: 'POST',
        path: 'messages/',
        body: JSON.stringify({ token: bobToken, data: 'a\u0000b' }),
        type: json,
        status: 400,
      },
      {
        name: 'message data too long',
        method: 'POST',
        path: 'messages/',
        body: JSON.stringify({ token: bobToken, data: 'x'.repeat(101) }),
        type: json,
        status: 400,
      },
      { name: 'bad priority', method: 'POST', path: 'messages/', body: JSON.stringify({ token: bobToken, priority: sql }), type: json, status: 400 },
      { name: 'unknown whitelist token', method: 'POST', path: 'messages/', body: JSON.stringify({ token: 'f'.repeat(40) }), type: json, status: 404 },
      { name: 'SQL in knock id', method: 'POST', path: 'knocks/', body: knockWith((k) => (k.id = sql)), type: json, auth: aliceAuth, status: 400 },
      {
        name: 'SQL in knock To push_name',
        method: 'POST',
        path: 'knocks/',
        body: knockWith((k) => ((k.to as Record<string, string>).push_name = sql)),
        type: json,
        auth: aliceAuth,
        status: 400,
      },
      {
        name: 'control chars in knock endpoint',
        method: 'POST',
        path: 'knocks/',
        body: knockWith((k) => ((k.to as Record<string, string>).endpoint = `${ep}\r\nx`)),
        type: json,
        auth: aliceAuth,
        status: 400,
      },
      {
        name: 'javascript: endpoint',
        method: 'POST',
        path: 'knocks/',
        body: knockWith((k) => ((k.to as Record<string, string>).endpoint = 'javascript:alert(1)')),
        type: json,
        auth: aliceAuth,
        status: 400,
      },
      { name: 'SQL in sealed blob', method: 'POST', path: 'knocks/', body: knockWith((k) => (k.sealed = sql)), type: json, auth: aliceAuth, status: 400 },
      { name: 'wrong knock version', method: 'POST', path: 'knocks/', body: knockWith((k) => (k.v = 2)), type: json, auth: aliceAuth, status: 400 },
      // authentication
      { name: 'knock without auth', method: 'POST', path: 'knocks/', body: JSON.stringify(goodKnock()), type: json, status: 401 },
      {
        name: 'knock with a revoked (stolen) token',
        method: 'POST',
        path: 'knocks/',
        body: JSON.stringify(goodKnock()),
        type: json,
        auth: `Token ${staleAuth}`,
        status: 401,
      },
      { name: 'SQL as auth token', method: 'POST', path: 'knocks/', body: JSON.stringify(goodKnock()), type: json, auth: `Token ${sql}`, status: 401 },
      {
        name: 'forged From',
        method: 'POST',
        path: 'knocks/',
        body: JSON.stringify(makeKnock({ endpoint: ep, push_name: 'bob' }, { endpoint: ep, push_name: 'bob' })),
        type: json,
        auth: aliceAuth,
        status: 403,
      },
      { name: 'read another account', method: 'GET', path: 'accounts/bob/', auth: aliceAuth, status: 403 },
      { name: 'delete another account', method: 'DELETE', path: 'accounts/bob/', auth: aliceAuth, status: 403 },
      { name: "revoke bob's token as alice", method: 'DELETE', path: `tokens/${bobToken}/`, auth: aliceAuth, status: 404 },
      {
        name: 'relay from an unknown peer',
        method: 'POST',
        path: 'federation/relay',
        body: JSON.stringify({ relay_id: 'x' }),
        type: json,
        headers: { 'x-push-peer': 'https://evil.example/api/v1/', 'x-push-signature': 'A'.repeat(86) },
        status: 403,
      },
      {
        name: 'registration from an http endpoint',
        method: 'POST',
        path: 'federation/register',
        body: JSON.stringify({ endpoint: 'http://127.0.0.1:9/api/v1/', registrar: ep, public_key: 'A'.repeat(43), nonce: 'A'.repeat(22), sent_at: Date.now() }),
        type: json,
        status: 403,
      },
      { name: 'method not allowed', method: 'PUT', path: 'knocks/', auth: aliceAuth, status: 405 },
      { name: 'unknown path', method: 'GET', path: 'admin/', status: 404 },
    ];

    const before = counts();
    for (const c of cases) {
      const headers: Record<string, string> = { ...(c.headers ?? {}) };
      if (c.type) headers['content-type'] = c.type;
      if (c.auth) headers.authorization = c.auth;
      const r = await alice.raw(c.method, c.path, { ...(c.body !== undefined ? { body: c.body } : {}), headers, auth: false });
      expect({ name: c.name, status: r.status }).toEqual({ name: c.name, status: c.status });
      expect(r.headers['content-type'], c.name).toMatch(/^application\/json/);
      expect(typeof (r.json as { error?: unknown }).error, c.name).toBe('string');
    }

    // a body without content-length (chunked) larger than the limit is cut off too
    const chunked = await new Promise<number>((resolve, reject) => {
      const u = new URL('accounts/', ep);
      const req = http.request(u, { method: 'POST', headers: { 'content-type': json, 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write('x'.repeat(1000));
      req.end();
    });
    expect(chunked).toBe(413);

    // desktop channel: stolen/removed secrets, SQL, garbage frames
    for (const secret of [removedDeviceSecret, sql, 'x'.repeat(128)])
      await expect(bob.connectDesktop(secret)).rejects.toMatchObject({ code: expect.stringMatching(/invalid_token|invalid_frame/) });

    expect(counts()).toEqual(before);

    // nothing was delivered: the next delivery on bob's channel is a sentinel sent now
    const sentinel = goodKnock();
    await alice.sendKnock(sentinel);
    const d = await bobConn.next();
    expect(d.payload).toEqual({ kind: 'knock', knock: sentinel });
    await bobConn.ack(d.delivery);
  });

  it('rate-limits messages per token and logins per address with 429 and Retry-After', async () => {
    const rdir = tempDir();
    const s = await startServer(['--data-dir', rdir, '--port', '0', '--rate-token', '3:0.01', '--rate-ip', '5:0.01']);
    const c = new PushClient({ endpoint: s.endpoint });
    try {
      // 5 per address: account creation + token creation fit, then messages hit the token limit first
      await c.createOrLogin('zoe', 'zoe-password');
      const t = (await c.createToken()).token!;
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await c.raw('POST', 'messages/', { json: { token: t }, auth: false })).status);
      expect(statuses).toEqual([202, 202, 202, 429]);
      const r = await c.raw('POST', 'accounts/login/', { json: { username: 'zoe', password: 'zoe-password' } });
      expect(r.status).toBe(429);
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
      expect(r.json).toMatchObject({ code: 'rate_limited' });
    } finally {
      c.close();
      await s.stop();
      removeDir(rdir);
    }
  });
});
