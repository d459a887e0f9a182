// A worker thread of verify-pool.ts: verifies the messages attached to DAKE-3s (verify-attached.ts)
// off the event loop. The job's copy of the DAKE's shared secret is zeroed once it is done.
import { parentPort } from 'node:worker_threads';
import { nativeDh3072Engine } from '../../src-shared/node-crypto/dh-engines';
import { type VerifyJob, verifyAttached } from './verify-attached';

const engine = nativeDh3072Engine();
const port = parentPort;
if (!port) throw new Error('verify-worker.ts runs as a worker thread');
port.on('message', (m: { job: VerifyJob }) => {
  try {
    port.postMessage({ outcome: verifyAttached(m.job, engine) });
  } catch (e) {
    // only a bug gets here (bad input is an outcome); the message names no key material
    port.postMessage({ error: e instanceof Error ? e.message : 'verification failed' });
  } finally {
    m.job.sk.fill(0);
  }
});
