// The prekey client against the real prekey server (its CLI, a child process) attached to a real
// Prosody as an XEP-0114 component (issue 5 "Tests (real Prosody)").
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../../scripts/stack/stack';
import { storageInfoMac } from '../../../src-shared/prekey/dake';
import { decodeBody, encodeBody } from '../../../src-shared/prekey/framing';
import { PREKEY_PROTOCOL_VERSION, decodeTopLevel } from '../../../src-shared/prekey/messages';
import { nativeDh3072Engine } from '../../../src-shared/node-crypto/dh-engines';
import { PublisherDake } from '../../../src-shared/prekey/publisher';
import { SecretStore, makeDevice, random } from '../../../src-shared/prekey/test-support/device';
import { PrekeyClient, PrekeyError, type PrekeyServerInfo } from './client';
import { type Connection, type ServerProcess, connect, startServerProcess } from './test-support/harness';

const engine = nativeDh3072Engine();
const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../../src-server/prekey/cli.ts', import.meta.url));
const USERS = ['alice', 'bob', 'carol', 'dave', 'r1', 'r2', 'r3', 'r4'];

describe('prekey server through Prosody', () => {
  let stack: Stack;
  let dataDir: string;
  let server: ServerProcess;
  const conns: Connection[] = [];

  beforeAll(async () => {
    stack = await startStack({ accounts: USERS.map((u) => ({ user: u, password: `${u}-pw` })) });
    dataDir = mkdtempSync(join(tmpdir(), 'prekey-int-'));
    server = await startServerProcess(stack, dataDir);
  });
  afterAll(async () => {
    for (const c of conns) await c.stop();
    await server?.stop();
    await stack?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function device(user: string, resource: string, dev = makeDevice()) {
    const conn = await connect(stack, user, `${user}-pw`, resource);
    conns.push(conn);
    const secrets = new SecretStore();
    const client = new PrekeyClient({ xmpp: conn.xmpp, device: dev, random, clock: Date.now, engine, savePrekeySecrets: secrets.save });
    return { conn, client, dev, secrets };
  }

  let serverInfo: PrekeyServerInfo;
  let alice: Awaited<ReturnType<typeof device>>[];
  let bob: Awaited<ReturnType<typeof device>>[];

  it('discovers the prekey server of its own XMPP server and its fingerprint', async () => {
    const a = await device('alice', 'laptop');
    serverInfo = await a.client.ownServer();
    expect(serverInfo).toEqual({ jid: stack.componentDomain, fingerprint: server.fingerprint });
    expect(server.fingerprint).toMatch(/^[0-9A-F]{112}$/);
    // a domain without a prekey server (the MUC service has no such item) is a clear error
    await expect(a.client.discover(stack.mucDomain)).rejects.toMatchObject({ code: 'no-prekey-server' });
    alice = [a, await device('alice', 'phone')];
    bob = [await device('bob', 'laptop'), await device('bob', 'phone')];
  });

  it('two users publish from two devices each; a third retrieves one ensemble per instance tag and the count falls', async () => {
    for (const d of [...alice, ...bob]) {
      expect(await d.client.replenish(serverInfo, { threshold: 3, target: 4 }, { clientProfile: true, prekeyProfile: true })).toEqual({
        before: 0,
        published: 4,
      });
    }
    const carol = await device('carol', 'desk');
    for (const [user, devs] of [
      ['alice', alice],
      ['bob', bob],
    ] as const) {
      const got = await carol.client.retrieve(`${user}@${stack.domain}`);
      expect(got.received).toBe(2);
      expect([...got.byInstanceTag.keys()].sort()).toEqual(devs.map((d) => d.dev.instanceTag).sort());
      for (const d of devs) {
        const e = got.byInstanceTag.get(d.dev.instanceTag)!;
        // the prekey message is one this device made and kept the secrets of
        expect(d.secrets.byId.has(e.prekeyMessage.id)).toBe(true);
        expect(e.clientProfile.publicKey.equals(d.dev.longTerm.public)).toBe(true);
        expect(await d.client.storageStatus(serverInfo)).toBe(3);
      }
    }
    // replenish tops up again once below the threshold
    await carol.client.retrieve(`alice@${stack.domain}`);
    expect(await alice[0]!.client.replenish(serverInfo, { threshold: 3, target: 4 })).toEqual({ before: 2, published: 2 });
  });

  it('publishes a full batch of 255 prekey messages, fragmented', async () => {
    const d = await device('carol', 'batch');
    const small = new PrekeyClient({
      xmpp: d.conn.xmpp,
      device: d.dev,
      random,
      clock: Date.now,
      engine,
      savePrekeySecrets: d.secrets.save,
      maxMessageChars: 20_000,
    });
    await small.publish(serverInfo, { clientProfile: true, prekeyProfile: true, prekeyMessages: 255 });
    expect(await small.storageStatus(serverInfo)).toBe(255);
    expect(d.secrets.byId.size).toBe(255);
  });

  it('refuses a publication signed by another key than the one of the DAKE', async () => {
    const mallory = makeDevice({ instanceTag: alice[0]!.dev.instanceTag });
    const err = await alice[0]!.client.publish(serverInfo, { clientProfile: mallory.clientProfile, prekeyMessages: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrekeyError);
    expect((err as PrekeyError).code).toBe('server-failure');
    await server.waitEvent((e) => e.type === 'publication-refused' && e.reason === 'client-profile-key-mismatch');
    expect(await alice[0]!.client.storageStatus(serverInfo)).toBe(4);
  });

  it('refuses a replayed DAKE-3', async () => {
    const d = alice[1]!;
    const before = await d.client.storageStatus(serverInfo);
    // a DAKE run by hand over the same XMPP connection, so that its DAKE-3 can be sent twice
    const incoming: string[] = [];
    let wake: (() => void) | undefined;
    const off = d.conn.xmpp.onMessage((from, body) => {
      if (body && from.startsWith(stack.componentDomain)) {
        incoming.push(body);
        wake?.();
      }
    });
    const next = (): Promise<string> =>
      new Promise((resolve) => {
        const take = (): void => {
          const b = incoming.shift();
          if (b) {
            wake = undefined;
            resolve(b);
          } else wake = take;
        };
        take();
      });
    try {
      const dake = new PublisherDake({
        random,
        instanceTag: d.dev.instanceTag,
        longTerm: d.dev.longTerm,
        clientProfile: d.dev.clientProfile,
        publisherJid: `alice@${stack.domain}`,
        serverJid: serverInfo.jid,
        serverFingerprint: serverInfo.fingerprint,
      });
      await d.conn.xmpp.sendMessage(serverInfo.jid, encodeBody(dake.start()));
      const m2 = decodeTopLevel(decodeBody(await next()));
      if (m2.type !== 'dake2') throw new Error('expected DAKE-2');
      const dake3 = encodeBody(dake.onDake2(m2, (_sk, k) => ({ type: 'storage-info-request', version: PREKEY_PROTOCOL_VERSION, mac: storageInfoMac(k) })));
      await d.conn.xmpp.sendMessage(serverInfo.jid, dake3);
      expect(dake.onAnswer(decodeTopLevel(decodeBody(await next())))).toEqual({ type: 'storage-status', stored: before });
      const seen = server.events.length;
      await d.conn.xmpp.sendMessage(serverInfo.jid, dake3);
      await server.waitEvent((e) => server.events.indexOf(e) >= seen && e.type === 'dake3-ignored' && e.reason === 'not-in-dake');
    } finally {
      off();
    }
    expect(incoming).toEqual([]);
    expect(await d.client.storageStatus(serverInfo)).toBe(before);
  });

  it('concurrent retrievals never receive the same prekey message', async () => {
    const dave = await device('dave', 'only');
    await dave.client.publish(serverInfo, { clientProfile: true, prekeyProfile: true, prekeyMessages: 10 });
    const retrievers = await Promise.all(['r1', 'r2', 'r3', 'r4'].map((u) => device(u, 'x')));
    const results = await Promise.all(retrievers.flatMap((r) => [0, 1, 2].map(() => r.client.retrieve(`dave@${stack.domain}`, serverInfo))));
    const ids = results.flatMap((r) => [...r.byInstanceTag.values()].map((e) => e.prekeyMessage.id));
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
    expect(results.filter((r) => r.none)).toHaveLength(2);
    expect(await dave.client.storageStatus(serverInfo)).toBe(0);
  });

  it('a server started with the wrong component secret exits with a clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prekey-wrong-'));
    try {
      const err = (await run(
        process.execPath,
        ['--import', 'tsx', CLI, '--domain', stack.componentDomain, '--port', String(stack.componentPort), '--data-dir', dir],
        {
          env: { ...process.env, PREKEY_SECRET: 'not-the-secret' },
        },
      ).catch((e: unknown) => e)) as { code: number; stderr: string };
      expect(err.code).toBe(1);
      expect(err.stderr).toContain('not-authorized');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a restarted server keeps its key and storage; expired prekeys are never handed out', async () => {
    const stored = await bob[0]!.client.storageStatus(serverInfo);
    await server.stop();
    server = await startServerProcess(stack, dataDir);
    const again = await (await device('carol', 'again')).client.discover(stack.domain);
    expect(again.fingerprint).toBe(serverInfo.fingerprint);
    expect(await bob[0]!.client.storageStatus(serverInfo)).toBe(stored);
    // eight days later every profile published above (one week) has expired
    await server.stop();
    server = await startServerProcess(stack, dataDir, ['--time-offset', String(8 * 24 * 3600)]);
    const carol = await device('carol', 'later');
    const got = await carol.client.retrieve(`bob@${stack.domain}`, serverInfo);
    expect(got.none).toBe(true);
    expect(got.byInstanceTag.size).toBe(0);
  });
});
