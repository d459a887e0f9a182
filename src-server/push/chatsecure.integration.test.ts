// The ChatSecure-style client flow as the shipped server had it (NOTES.md 2; push-protocol-v3.1
// "Level 1"): create-or-login, device registration, whitelist tokens, messages/ to a token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientPool, removeDir, startServer, tempDir, type ServerProc } from './test-support/harness';
import { startAdapterStack, type AdapterStack } from './test-support/adapter-stack';

/** the shipped server's dates after its "Fix datetime format" change, which the iOS SDK parses
 * with yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z' */
const SIX_DIGITS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

describe('ChatSecure v3.1 compatibility API', () => {
  let dir: string;
  let server: ServerProc;
  let adapters: AdapterStack;
  const clients = new ClientPool();
  const client = () => clients.make(server.endpoint);

  beforeAll(async () => {
    dir = tempDir();
    // iOS and Android devices register only where the server can deliver to them
    adapters = await startAdapterStack();
    server = await startServer(['--data-dir', dir, '--port', '0', '--pubsub-jid', 'pubsub.example.org', ...adapters.args]);
  });
  afterAll(async () => {
    clients.closeAll();
    await server?.stop();
    await adapters?.close();
    removeDir(dir);
  });

  it('serves the endpoint map and pubsub/', async () => {
    const c = client();
    const index = await c.raw('GET', '');
    expect(index.json).toMatchObject({ accounts: `${server.endpoint}accounts/`, messages: `${server.endpoint}messages/`, tokens: `${server.endpoint}tokens/` });
    expect((await c.raw('GET', 'pubsub/')).json).toEqual({ jid: 'pubsub.example.org' });
  });

  it('account, device, token, message: the message reaches every device of the token owner', async () => {
    // Alice (ChatSecure iOS) creates her account, with form encoding as DRF accepted it
    const alice = client();
    const created = await alice.raw('POST', 'accounts/', {
      body: 'username=alice&password=s3cret&email=alice%40example.org',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(created.status).toBe(201);
    const acc = created.json as { username: string; email: string; id: string; token: string };
    expect(acc).toMatchObject({ username: 'alice', email: 'alice@example.org' });
    expect(acc.id).toMatch(/^[0-9a-f-]{36}$/);
    alice.token = acc.token;
    // same call again logs in (create-or-login)
    const again = await alice.raw('POST', 'accounts/', { json: { username: 'alice', password: 's3cret' }, auth: false });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ username: 'alice', id: acc.id });
    const wrong = await alice.raw('POST', 'accounts/', { json: { username: 'alice', password: 'nope' }, auth: false });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toMatchObject({ error: 'Invalid credentials' });
    expect(await alice.me()).toMatchObject({ username: 'alice', id: acc.id });

    // her devices: an APNs token with spaces (stripped, as shipped), and a desktop channel
    const apns = await alice.raw('POST', 'device/apns/', { json: { registration_id: '<' + 'ab12 '.repeat(16) + '>', name: 'iPhone', device_id: 'dev-1' } });
    expect(apns.status).toBe(201);
    expect(apns.json).toMatchObject({ registration_id: 'ab12'.repeat(16), name: 'iPhone', active: true, device_id: 'dev-1' });
    const apnsId = (apns.json as { id: string }).id;
    const desk = await alice.registerDevice('desktop', { name: 'laptop' });
    const conn = await alice.connectDesktop(desk.registration_id!);
    expect((await alice.raw('GET', 'device/apns/')).json).toHaveLength(1);
    expect((await alice.raw('GET', `device/apns/${apnsId}/`)).json).toMatchObject({ id: apnsId });

    // Step 1: Alice fetches a whitelist token for Bob, bound to her APNs device as iOS did
    const tok = await alice.raw('POST', 'tokens/', { json: { apns_device: apnsId, name: 'bob@example.net' } });
    expect(tok.status).toBe(201);
    const token = (tok.json as { token: string }).token;
    expect(token).toMatch(/^[0-9a-f]{40}$/);
    expect(tok.json).toMatchObject({ name: 'bob@example.net', device: apnsId });
    expect(Date.parse((tok.json as { date_expires: string }).date_expires)).toBeGreaterThan(Date.now());

    // Step 3: Bob (no account here) posts the token to Alice's messages/ endpoint
    const bob = client();
    const sent = await bob.raw('POST', 'messages/', { json: { token, data: 'opaque-ciphertext' }, auth: false });
    expect(sent.status).toBe(202);
    expect(sent.json).toEqual({ token, data: 'opaque-ciphertext', priority: 'low' });
    // Step 4: it reaches every device of the owner, here the desktop channel; data stays opaque
    const d = await conn.next();
    expect(d.payload).toEqual({ kind: 'message', token, data: 'opaque-ciphertext', priority: 'low' });
    await conn.ack(d.delivery);
    // RubDub's form POST {token, priority}
    const form = await bob.raw('POST', 'messages/', {
      body: `token=${token}&priority=high`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      auth: false,
    });
    expect(form.status).toBe(202);
    const d2 = await conn.next();
    expect(d2.payload).toEqual({ kind: 'message', token, priority: 'high' });
    await conn.ack(d2.delivery);

    // revocation: DELETE tokens/{token}/ → messages to it are 404
    expect((await alice.raw('GET', `tokens/${token}/`)).status).toBe(200);
    expect((await alice.raw('DELETE', `tokens/${token}/`)).status).toBe(204);
    expect((await bob.raw('POST', 'messages/', { json: { token }, auth: false })).status).toBe(404);
    await conn.close();
  });

  it('tokens cannot be used or revoked by another account', async () => {
    const carol = client();
    await carol.createOrLogin('carol', 'carol-pass');
    const t = await carol.createToken({ name: 'dan' });
    const mallory = client();
    await mallory.createOrLogin('mallory', 'mallory-pass');
    expect((await mallory.raw('GET', `tokens/${t.token}/`)).status).toBe(404);
    expect((await mallory.raw('DELETE', `tokens/${t.token}/`)).status).toBe(404);
    const ok = await client().raw('POST', 'messages/', { json: { token: t.token }, auth: false });
    expect(ok.status).toBe(202);
    expect((await carol.listTokens()).map((x) => x.id)).toEqual([t.id]);
  });

  it('a device of another account is not found; DELETE accounts/{other}/ is forbidden', async () => {
    const erin = client();
    await erin.createOrLogin('erin', 'erin-pass');
    const dev = await erin.registerDevice('fcm', { registration_id: 'fcm-token:abc_DEF-123' });
    const frank = client();
    await frank.createOrLogin('frank', 'frank-pass');
    expect((await frank.raw('GET', `device/fcm/${dev.id}/`)).status).toBe(404);
    expect((await frank.raw('DELETE', `device/gcm/${dev.id}/`)).status).toBe(404);
    expect((await frank.raw('DELETE', 'accounts/erin/')).status).toBe(403);
    expect((await frank.raw('DELETE', 'accounts/nobody/')).status).toBe(403);
    expect((await erin.raw('GET', `device/gcm/${dev.id}/`)).json).toMatchObject({ registration_id: 'fcm-token:abc_DEF-123' });
  });

  it('answers tokens/ as the shipped server did: apns_device / gcm_device, dates with six fractional digits (iOS SDK)', async () => {
    const gina = client();
    await gina.createOrLogin('gina', 'gina-pass');
    const apns = (await gina.raw('POST', 'device/apns/', { json: { registration_id: 'cd'.repeat(32) } })).json as { id: string; date_created: string };
    expect(apns.date_created).toMatch(SIX_DIGITS);
    const gcm = (await gina.raw('POST', 'device/gcm/', { json: { registration_id: 'gcm-token:1' } })).json as { id: string };
    const forApns = await gina.raw('POST', 'tokens/', { json: { apns_device: apns.id } });
    expect(forApns.status).toBe(201);
    expect(forApns.json).toMatchObject({ apns_device: apns.id, gcm_device: null });
    const expires = (forApns.json as { date_expires: string }).date_expires;
    expect(expires).toMatch(SIX_DIGITS);
    expect(Date.parse(expires)).toBeGreaterThan(Date.now());
    const forGcm = await gina.raw('POST', 'tokens/', { json: { gcm_device: gcm.id } });
    expect(forGcm.json).toMatchObject({ gcm_device: gcm.id, apns_device: null });
    // a token for no device (ours) carries both keys, null, rather than none
    expect((await gina.raw('POST', 'tokens/', { json: {} })).json).toMatchObject({ apns_device: null, gcm_device: null, device: null });
    // the listing and a single token answer the same way
    const token = (forApns.json as { token: string }).token;
    expect((await gina.raw('GET', `tokens/${token}/`)).json).toMatchObject({ apns_device: apns.id, gcm_device: null, date_expires: expires });
    const listed = (await gina.raw('GET', 'tokens/')).json as Array<{ apns_device: string | null; date_expires: string }>;
    expect(listed.map((t) => t.apns_device)).toContain(apns.id);
    expect(listed.every((t) => SIX_DIGITS.test(t.date_expires))).toBe(true);
  });
});
