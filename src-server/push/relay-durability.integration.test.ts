// A relay queued while the recipient's server is down survives a SIGKILL of the sender's server
// and is delivered once the recipient's server is back (docs/architecture.md §7: a queued knock survives a
// restart until delivered or expired). Both servers need stable endpoints across restarts, so
// their ports are chosen free at run time and then reused.
import { describe, expect, it } from 'vitest';
import { PushClient } from '../../src-shared/node-push/client';
import { makeKnock, makePki, removeDir, startServer, tempDir, tlsArgs } from './test-support/harness';
import { freePort } from '../../scripts/stack/stack';

describe('relay durability', () => {
  it('delivers a relay queued while the peer was down, across a SIGKILL of the sending server', async () => {
    const pki = makePki();
    const [d1, d2] = [tempDir(), tempDir()];
    const [p1, p2] = [await freePort(), await freePort()];
    const args1 = ['--data-dir', d1, '--port', String(p1), ...tlsArgs(pki), '--allow-private-peers'];
    let s1 = await startServer(args1);
    const args2 = ['--data-dir', d2, '--port', String(p2), ...tlsArgs(pki), '--register-with', s1.endpoint, '--log-level', 'info'];
    let s2 = await startServer(args2);
    const clients: PushClient[] = [];
    try {
      await s2.waitForLog(/registered with peer/);
      const bob = new PushClient({ endpoint: s2.endpoint, ca: pki.ca });
      const alice = new PushClient({ endpoint: s1.endpoint, ca: pki.ca });
      clients.push(bob, alice);
      await bob.createOrLogin('bob', 'bob-password');
      const dev = await bob.registerDevice('desktop');
      await alice.createOrLogin('alice', 'alice-password');
      await s2.stop();

      const knock = makeKnock({ endpoint: s1.endpoint, push_name: 'alice' }, { endpoint: s2.endpoint, push_name: 'bob' });
      expect(await alice.sendKnock(knock)).toEqual({ id: knock.id, status: 'accepted' });
      // the first attempt fails (peer down) and is rescheduled; then the sender dies hard
      await s1.waitForLog(/delivery will be retried/);
      await s1.kill();
      s1 = await startServer(args1);
      s2 = await startServer(args2);

      const bob2 = new PushClient({ endpoint: s2.endpoint, ca: pki.ca, token: bob.token! });
      clients.push(bob2);
      const conn = await bob2.connectDesktop(dev.registration_id!);
      const d = await conn.next(60_000);
      expect(d.payload).toEqual({ kind: 'knock', knock });
      await conn.ack(d.delivery);
      await conn.close();
    } finally {
      for (const c of clients) c.close();
      await s1.stop();
      await s2.stop();
      removeDir(d1);
      removeDir(d2);
      removeDir(pki.dir);
    }
  });
});
