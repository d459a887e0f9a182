// Expiry with a fake clock: the server runs in-process (startServer with an injected clock)
// because a real process cannot be made to live through 7 days; everything else is real (HTTP,
// SQLite, the desktop channel).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type PushServerConfig } from './config';
import { startServer, type RunningServer } from './server';
import { ClientPool, makeKnock, removeDir, tempDir } from './test-support/harness';

const DAY = 24 * 3600 * 1000;

describe('expiry (fake clock)', () => {
  let dir: string;
  let server: RunningServer;
  let clock = Date.UTC(2026, 0, 1);
  const clients = new ClientPool();
  const client = () => clients.make(server.endpoint);

  beforeAll(async () => {
    dir = tempDir();
    const config = parseConfig(['--data-dir', dir, '--port', '0', '--scrypt-log-n', '10', '--log-level', 'error']) as PushServerConfig;
    server = await startServer(config, { now: () => clock });
  });
  afterAll(async () => {
    clients.closeAll();
    await server?.close();
    removeDir(dir);
  });

  it('whitelist tokens expire after --token-ttl (30 days by default)', async () => {
    const a = client();
    await a.createOrLogin('tess', 'tess-password');
    const t = await a.createToken();
    expect(Date.parse(t.date_expires) - clock).toBe(30 * DAY);
    expect((await client().raw('POST', 'messages/', { json: { token: t.token }, auth: false })).status).toBe(202);
    clock += 30 * DAY;
    expect((await client().raw('POST', 'messages/', { json: { token: t.token }, auth: false })).status).toBe(404);
    expect(await a.listTokens()).toEqual([]);
  });

  it('login tokens expire after --auth-token-ttl (90 days by default)', async () => {
    const a = client();
    await a.createOrLogin('uma', 'uma-password');
    expect((await a.raw('GET', 'accounts/')).status).toBe(200);
    clock += 90 * DAY + 1;
    const r = await a.raw('GET', 'accounts/');
    expect(r.status).toBe(401);
    expect(r.json).toMatchObject({ code: 'invalid_token' });
  });

  it('a knock waits 7 days for an offline device, then expires', async () => {
    const alice = client();
    const vic = client();
    await alice.createOrLogin('alice', 'alice-password');
    await vic.createOrLogin('vic', 'vic-password');
    const dev = await vic.registerDevice('desktop');
    const old = makeKnock({ endpoint: server.endpoint, push_name: 'alice' }, { endpoint: server.endpoint, push_name: 'vic' });
    await alice.sendKnock(old);
    clock += 7 * DAY - 1000;
    const recent = makeKnock({ endpoint: server.endpoint, push_name: 'alice' }, { endpoint: server.endpoint, push_name: 'vic' });
    await alice.sendKnock(recent);
    // still there just before 7 days
    let conn = await vic.connectDesktop(dev.registration_id!);
    expect((await conn.next()).payload).toEqual({ kind: 'knock', knock: old });
    await conn.close();
    clock += 2000;
    conn = await vic.connectDesktop(dev.registration_id!);
    const d = await conn.next();
    expect(d.payload).toEqual({ kind: 'knock', knock: recent });
    await conn.close();
    expect(await server.storage.purgeExpired(clock)).toBe(1);
  });
});
