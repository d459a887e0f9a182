// The local stack itself: two at once without clashing, TLS that verifies against its CA for the
// XMPP domain, accounts that can sign in, the component port with its secret (XEP-0114), the MUC
// component, restart, and the CLI stopping cleanly on SIGINT.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import xml from '@xmpp/xml';
import { startStack, type Stack } from './stack';
import { createClient } from '../../src-main/core/xmpp/client/client';

let a: Stack;
let b: Stack;

beforeAll(async () => {
  [a, b] = await Promise.all([startStack({ accounts: [{ user: 'alice', password: 'alice-pw' }] }), startStack()]);
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

/** XEP-0114 §3: stream open, then <handshake>hex(SHA1(streamId + secret))</handshake> */
function componentHandshake(stack: Stack, secret: string): Promise<'accepted' | 'refused'> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port: stack.componentPort });
    let data = '';
    let sent = false;
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8');
      const id = /<stream:stream[^>]* id=['"]([^'"]+)['"]/.exec(data)?.[1];
      if (id && !sent) {
        sent = true;
        socket.write(
          `<handshake>${createHash('sha1')
            .update(id + secret)
            .digest('hex')}</handshake>`,
        );
      }
      if (/<handshake\s*\/>|<handshake><\/handshake>/.test(data)) {
        socket.destroy();
        resolve('accepted');
      } else if (/not-authorized/.test(data)) {
        socket.destroy();
        resolve('refused');
      }
    });
    socket.on('error', reject);
    socket.on('connect', () => {
      socket.write(`<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='${stack.componentDomain}'>`);
    });
  });
}

describe('local stack', () => {
  it('runs two instances side by side with their own ports, files and CAs', () => {
    expect(new Set([a.port, a.componentPort, b.port, b.componentPort]).size).toBe(4);
    expect(a.dir).not.toBe(b.dir);
    expect(a.caPem).not.toBe(b.caPem);
    expect(a.host).toBe('127.0.0.1');
  });

  it('lets an account sign in over verified TLS, and only with the right CA', async () => {
    const ok = createClient({ domain: a.domain, host: a.host, port: a.port, extraCaPem: a.caPem, credentials: { username: 'alice', password: 'alice-pw' } });
    await ok.entity.start();
    expect(ok.entity.isSecure()).toBe(true);
    // the MUC component answers disco#info (XEP-0045 §6.2)
    const info = await ok.iqCaller.get(xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), a.mucDomain);
    expect(info?.getChildren('feature').map((f) => f.attrs.var)).toContain('http://jabber.org/protocol/muc');
    await ok.entity.stop();

    const wrongCa = createClient({
      domain: a.domain,
      host: a.host,
      port: a.port,
      extraCaPem: b.caPem,
      credentials: { username: 'alice', password: 'alice-pw' },
    });
    wrongCa.reconnect?.stop();
    await expect(wrongCa.entity.start()).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    await wrongCa.entity.stop().catch(() => {});
  });

  it('accepts the prekey component with its secret and refuses a wrong one (XEP-0114)', async () => {
    expect(await componentHandshake(a, a.componentSecret)).toBe('accepted');
    expect(await componentHandshake(a, 'not-the-secret')).toBe('refused');
  });

  it('creates accounts while running and survives a restart with its data', async () => {
    await b.createAccount('carol', 'carol-pw');
    await b.restart();
    const c = createClient({ domain: b.domain, host: b.host, port: b.port, extraCaPem: b.caPem, credentials: { username: 'carol', password: 'carol-pw' } });
    await c.entity.start();
    await c.entity.stop();
  });

  it('npm run stack: prints how to connect and stops cleanly on Ctrl-C', async () => {
    const child = spawn(join(process.cwd(), 'node_modules/.bin/tsx'), ['scripts/stack/cli.ts', '--account', 'dave:dave-pw'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Press Ctrl-C')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`exited early (${code}): ${out}`)));
    });
    expect(out).toMatch(/client port\s+127\.0\.0\.1:\d+/);
    expect(out).toContain('dave@localhost');
    const dir = /directory (\S+)\)/.exec(out)?.[1] ?? '';
    expect(existsSync(dir)).toBe(true);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(existsSync(dir)).toBe(false);
  });
});
