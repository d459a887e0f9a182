// The SQLite checkpoint thread (sqlite.ts, "Checkpoints"): a second connection to the same
// database file that copies the WAL into the database when the main thread asks, so that the
// fsyncs of a checkpoint do not stall the event loop. PASSIVE never blocks the writer on the
// main thread. Plain JavaScript on purpose: a worker thread starts without the TypeScript loader
// of its parent under some runners (vitest), and this file must load under all of them.
// workerData: { file: string, full: boolean } (full: synchronous=FULL, as the main connection).
import { parentPort, workerData } from 'node:worker_threads';
import { Database } from '@signalapp/sqlcipher';

const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
db.pragma(workerData.full ? 'synchronous = FULL' : 'synchronous = NORMAL');

parentPort.on('message', (m) => {
  if (m === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  let error = null;
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (e) {
    error = String(e && e.message);
  }
  parentPort.postMessage({ error });
});
