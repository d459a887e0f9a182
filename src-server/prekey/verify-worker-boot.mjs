// Entry of verify-pool.ts's worker threads. The server runs from its TypeScript sources through
// tsx, and Node 20 does not hand a process's loader (node --import tsx, or the tsx command) on to
// its worker threads, nor does vitest: so the thread registers tsx itself and then loads
// workerData.entry (verify-worker.ts).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
