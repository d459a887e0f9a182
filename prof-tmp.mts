import { PushClient } from './src-shared/push/client';
import { makeKnock, makePki, startServer, tempDir, tlsArgs } from './src-server/push/test-support/harness';
const pki = makePki();
for (const tls of [false, true]) {
  const s = await startServer(['--data-dir', tempDir(), '--port', '0', '--rate-ip', '0:0', '--rate-account', '0:0', ...(tls ? tlsArgs(pki) : [])]);
  const c = new PushClient({ endpoint: s.endpoint, ca: pki.ca });
  await c.createOrLogin('a', 'password');
  const ks = Array.from({ length: 1000 }, () => makeKnock({ endpoint: s.endpoint, push_name: 'a' }, { endpoint: s.endpoint, push_name: 'nobody' }));
  let t = performance.now(); let i = 0;
  await Promise.all(Array.from({ length: 32 }, async () => { while (i < ks.length) await c.sendKnock(ks[i++]!); }));
  console.log(tls ? 'tls' : 'plain', 'knocks/s', (1000 / ((performance.now() - t) / 1000)).toFixed(0));
  c.close(); await s.stop();
}
