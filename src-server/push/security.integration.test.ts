// Security findings of the review (issue 12, findings 2–9), each against the real server
// process over real HTTP: client addresses behind a proxy, login lockout and scrypt admission,
// registration targets and their errors, the relay budget, caps under parallel requests, device
// kinds the server cannot deliver to, and lone UTF-16 surrogates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { PushClient } from '../../src-shared/node-push/client';
import { PEER_HEADER, SIGNATURE_HEADER } from '../../src-shared/push/wire';
import { ClientPool, makeKnock, makePki, randomKnockId, removeDir, startServer, tempDir, tlsArgs, type Pki, type ServerProc } from './test-support/harness';
import { startFakePeer, type FakePeer } from './test-support/fake-peer';
import { freePort } from '../../scripts/stack/stack';

const clients = new ClientPool();
const dirs: string[] = [];
const servers: ServerProc[] = [];
afterAll(async () => {
  clients.closeAll();
  for (const s of servers.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) removeDir(d);
});

async function server(args: string[]): Promise<ServerProc> {
  const dir = tempDir();
  dirs.push(dir);
  const s = await startServer(['--data-dir', dir, '--port', '0', ...args]);
  servers.push(s);
  return s;
}

describe('client addresses behind a proxy (finding 2)', () => {
  it('rate-limits by the address the trusted proxy appended, not by the left-most X-Forwarded-For', async () => {
    const s = await server(['--trusted-proxy-hops', '1', '--rate-ip', '3:0.001']);
    const c = clients.make(s.endpoint);
    // the client writes whatever it likes on the left; the proxy appends the address it saw
    const post = (claimed: string, seen: string) =>
      c.raw('POST', 'messages/', { json: { token: 'f'.repeat(40) }, headers: { 'x-forwarded-for': `${claimed}, ${seen}` }, auth: false });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(`198.51.100.${i}`, '203.0.113.7')).status);
    expect(statuses).toEqual([404, 404, 404, 429, 429]);
    // another client behind the same proxy has its own budget
    expect((await post('203.0.113.7', '203.0.113.8')).status).toBe(404);
  });
});

describe('push login (finding 3)', () => {
  it('locks a push_name after repeated failures, whatever address they come from, with Retry-After', async () => {
    const s = await server(['--login-failures', '3:0.001', '--rate-ip', '10000:10000']);
    const c = clients.make(s.endpoint);
    await c.createOrLogin('victim', 'right-password');
    await c.createOrLogin('bystander', 'other-password');
    const login = (name: string, password: string) => c.raw('POST', 'accounts/login/', { json: { username: name, password }, auth: false });
    for (let i = 0; i < 3; i++) expect((await login('victim', `guess-${i}`)).status).toBe(401);
    const locked = await login('victim', 'right-password');
    expect({ status: locked.status, code: (locked.json as { code?: string }).code }).toEqual({ status: 429, code: 'login_locked' });
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    // create-or-login is the same door
    expect((await c.raw('POST', 'accounts/', { json: { username: 'victim', password: 'guess-x' }, auth: false })).status).toBe(429);
    // other accounts are not affected
    expect((await login('bystander', 'other-password')).status).toBe(200);
  });

  it('caps concurrent scrypt work: the excess is answered 503 with Retry-After, nothing half-created', async () => {
    const s = await server(['--scrypt-concurrency', '1', '--scrypt-queue', '0', '--scrypt-log-n', '14', '--rate-ip', '10000:10000']);
    const c = clients.make(s.endpoint);
    const names = Array.from({ length: 8 }, (_, i) => `user${i}`);
    const answers = await Promise.all(names.map((n) => c.raw('POST', 'accounts/', { json: { username: n, password: 'pw' }, auth: false })));
    const busy = answers.filter((r) => r.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    expect(answers.filter((r) => r.status === 201).length).toBeGreaterThan(0);
    expect(answers.every((r) => r.status === 201 || r.status === 503)).toBe(true);
    for (const r of busy) {
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
      expect(r.json).toMatchObject({ code: 'busy' });
    }
    // a refused creation created nothing: logging in to it fails, creating it now works
    const refused = names.filter((_, i) => answers[i]!.status === 503);
    expect((await c.raw('POST', 'accounts/login/', { json: { username: refused[0], password: 'pw' }, auth: false })).status).toBe(401);
    expect((await c.raw('POST', 'accounts/', { json: { username: refused[0], password: 'pw' }, auth: false })).status).toBe(201);
  });
});

describe('federation/register targets and answers (finding 4)', () => {
  let pki: Pki;
  let peer: FakePeer;
  let rogue: FakePeer;
  let plain: http.Server;
  let plainPort: number;
  let closedPort: number;

  beforeAll(async () => {
    pki = makePki();
    peer = await startFakePeer(pki.certFile, pki.keyFile);
    rogue = await startFakePeer(pki.rogueCertFile, pki.rogueKeyFile);
    plain = http.createServer((_q, r) => r.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', () => r()));
    plainPort = (plain.address() as { port: number }).port;
    closedPort = await freePort();
  });
  afterAll(async () => {
    await peer?.close();
    await rogue?.close();
    plain?.close();
    if (pki) removeDir(pki.dir);
  });

  /** a registration correctly signed by the fake peer's key, claiming `endpoint` */
  const register = (c: PushClient, registrar: string, endpoint: string) => {
    const body = JSON.stringify({ endpoint, registrar, public_key: peer.publicKey, nonce: randomKnockId(), sent_at: Date.now() });
    return c.raw('POST', 'federation/register', { body, headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: peer.signRegister(body) } });
  };
  const targets = () => [
    `https://127.0.0.1:${closedPort}/api/v1/`,
    `https://127.0.0.1:${plainPort}/api/v1/`,
    rogue.endpoint,
    peer.endpoint,
    'https://[::1]:9/api/v1/',
    'https://169.254.169.254/api/v1/',
    'https://10.0.0.1/api/v1/',
    'https://localhost:9/api/v1/',
  ];

  it('refuses loopback, private and link-local targets by default, with one answer for every target', async () => {
    const s = await server([...tlsArgs(pki), '--log-level', 'info']);
    const c = clients.make(s.endpoint, pki.ca);
    const answers = await Promise.all(
      targets().map(async (t) => {
        const r = await register(c, s.endpoint, t);
        return { status: r.status, body: r.text };
      }),
    );
    expect(answers.every((a) => a.status === 403 && JSON.stringify(a) === JSON.stringify(answers[0]))).toBe(true);
    // the real push server at a loopback address was never asked for its key document
    await s.waitForLog(/registration refused","reason":"private_address/);
  });

  it('with private targets allowed (tests, a local stack), failures still cannot be told apart', async () => {
    const s = await server([...tlsArgs(pki), '--allow-private-peers']);
    const c = clients.make(s.endpoint, pki.ca);
    const failing = [`https://127.0.0.1:${closedPort}/api/v1/`, `https://127.0.0.1:${plainPort}/api/v1/`, rogue.endpoint];
    const answers = await Promise.all(
      failing.map(async (t) => {
        const r = await register(c, s.endpoint, t);
        return { status: r.status, body: r.text };
      }),
    );
    expect(answers.map((a) => a.status)).toEqual([403, 403, 403]);
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    // and the genuine peer is accepted
    expect((await register(c, s.endpoint, peer.endpoint)).status).toBe(200);
  });
});

describe('relay budget (finding 5)', () => {
  it('unsigned relays naming a real peer do not spend its budget', async () => {
    const pki = makePki();
    const peer = await startFakePeer(pki.certFile, pki.keyFile);
    try {
      const s = await server([
        ...tlsArgs(pki),
        '--allow-private-peers',
        '--register-with',
        peer.endpoint,
        '--rate-peer',
        '3:0.001',
        '--rate-ip',
        '10000:10000',
        '--log-level',
        'info',
      ]);
      await s.waitForLog(/registered with peer/);
      const c = clients.make(s.endpoint, pki.ca);
      const body = () =>
        JSON.stringify({
          relay_id: randomKnockId(),
          origin: peer.endpoint,
          destination: s.endpoint,
          sent_at: Date.now(),
          knock: makeKnock({ endpoint: peer.endpoint, push_name: 'mallory' }, { endpoint: s.endpoint, push_name: 'bob' }),
        });
      const post = (b: string, sig: string) =>
        c.raw('POST', 'federation/relay', { body: b, headers: { 'content-type': 'application/json', [PEER_HEADER]: peer.endpoint, [SIGNATURE_HEADER]: sig } });
      for (let i = 0; i < 10; i++) expect((await post(body(), 'A'.repeat(86))).status).toBe(403);
      const genuine = body();
      expect((await post(genuine, peer.signRelay(genuine))).status).toBe(202);
    } finally {
      await peer.close();
      removeDir(pki.dir);
    }
  });
});

describe('caps under parallel requests (finding 6, SQLite)', () => {
  it('110 parallel device registrations create at most --max-devices; 80 parallel tokens at most --max-tokens', async () => {
    const s = await server(['--max-devices', '50', '--max-tokens', '30', '--rate-ip', '10000:10000', '--rate-account', '10000:10000']);
    const c = clients.make(s.endpoint);
    await c.createOrLogin('hoarder', 'hoarder-password');
    const devs = await Promise.all(Array.from({ length: 110 }, () => c.raw('POST', 'device/desktop/', { json: {} })));
    expect(devs.filter((r) => r.status === 201).length).toBe(50);
    expect(devs.filter((r) => r.status === 403).every((r) => (r.json as { code: string }).code === 'too_many_devices')).toBe(true);
    expect((await c.listDevices('desktop')).length).toBe(50);
    const toks = await Promise.all(Array.from({ length: 80 }, () => c.raw('POST', 'tokens/', { json: {} })));
    expect(toks.filter((r) => r.status === 201).length).toBe(30);
    expect((await c.listTokens()).length).toBe(30);
  });
});

describe('device kinds the server cannot deliver to (finding 8)', () => {
  it('refuses to register APNs, FCM and Web Push devices on a server without their credentials', async () => {
    const s = await server([]);
    const c = clients.make(s.endpoint);
    await c.createOrLogin('ios', 'ios-password');
    const sub = { endpoint: 'https://push.example/sub/1', keys: { p256dh: 'B'.repeat(87), auth: 'A'.repeat(22) } };
    const tries = [
      ['apns', { registration_id: 'ab'.repeat(32) }],
      ['gcm', { registration_id: 'fcm-token:abc' }],
      ['fcm', { registration_id: 'fcm-token:abc' }],
      ['webpush', { registration_id: JSON.stringify(sub) }],
    ] as const;
    for (const [kind, body] of tries) {
      const r = await c.raw('POST', `device/${kind}/`, { json: body });
      expect({ kind, status: r.status, code: (r.json as { code?: string }).code }).toEqual({ kind, status: 400, code: 'device_kind_unavailable' });
      expect((r.json as { error: string }).error).toMatch(/cannot deliver/);
    }
    expect(await c.listDevices('apns')).toEqual([]);
    expect((await c.registerDevice('desktop')).kind).toBe('desktop');
  });
});

describe('lone UTF-16 surrogates (finding 9)', () => {
  it('are refused with 400 in every JSON string, form field and frame, and nothing is stored', async () => {
    const s = await server(['--rate-ip', '10000:10000']);
    const c = clients.make(s.endpoint);
    await c.createOrLogin('sam', 'sam-password');
    const lone = '\\ud800';
    const json = (text: string) => ({ body: text, headers: { 'content-type': 'application/json' } });
    const cases: Array<[string, string, { body: string; headers: Record<string, string> }, boolean?]> = [
      ['POST', 'device/desktop/', json(`{"name":"lap${lone}top"}`)],
      ['POST', 'device/desktop/', json(`{"device_id":"x\\udc00"}`)],
      ['POST', 'tokens/', json(`{"name":"bob${lone}"}`)],
      ['POST', 'accounts/', json(`{"username":"sam","password":"pw${lone}"}`), false],
      ['POST', 'accounts/', json(`{"username":"new","password":"pw","email":"a${lone}@b.example"}`), false],
      ['POST', 'messages/', json(`{"token":"${'f'.repeat(40)}","data":"${lone}"}`), false],
      ['POST', 'accounts/', json(`{"username":"new","password":"pw","${lone}":1}`), false],
      ['POST', 'federation/register', json(`{"endpoint":"https://x.example/${lone}"}`), false],
      // a form field carrying the UTF-8 bytes of a surrogate (invalid UTF-8) would come back as U+FFFD
      ['POST', 'device/desktop/', { body: 'name=lap%ED%A0%80top', headers: { 'content-type': 'application/x-www-form-urlencoded' } }],
    ];
    for (const [method, path, opts, auth] of cases) {
      const r = await c.raw(method, path, { ...opts, ...(auth === false ? { auth: false } : {}) });
      expect({ path, body: opts.body, status: r.status, code: (r.json as { code?: string }).code }).toEqual({
        path,
        body: opts.body,
        status: 400,
        code: 'invalid_encoding',
      });
    }
    expect(await c.listDevices('desktop')).toEqual([]);
    expect(await c.listTokens()).toEqual([]);
    // a device frame with a lone surrogate closes the channel with an error
    const dev = await c.registerDevice('desktop');
    const conn = await c.connectDesktop(dev.registration_id!);
    conn.sendRaw(`{"type":"ack","delivery":"${'A'.repeat(21)}${lone}"}`);
    await expect(conn.next(10_000)).rejects.toMatchObject({ code: 'closed' });
    expect(conn.closeCode).toBe(4400);
  });
});
