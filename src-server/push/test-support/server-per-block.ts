// The frame of a push-server integration test block (local.integration.test.ts,
// desktop-acks.integration.test.ts): one real server process for the block. Kept apart from
// harness.ts, which plain-Node programs (bench/push.ts) import, because it registers vitest hooks.
import { afterAll, beforeAll } from 'vitest';
import type { PushClient } from '../../../src-shared/node-push/client';
import { ClientPool, removeDir, startServer, tempDir, type ServerProc } from './harness';

export interface BlockServer {
  /** the server's API endpoint (once the block's beforeAll ran) */
  readonly endpoint: string;
  /** a push client on this server, closed after the block */
  client(): PushClient;
}

/**
 * The frame of a describe block that talks to one server process with the default options on a
 * fresh data dir: started before the block's first test; after its last, the block's clients
 * are closed, the server stopped and its data removed. Call it inside describe().
 */
export function serverPerBlock(): BlockServer {
  let dir: string | undefined;
  let server: ServerProc | undefined;
  const clients = new ClientPool();
  beforeAll(async () => {
    dir = tempDir();
    server = await startServer(['--data-dir', dir, '--port', '0']);
  });
  afterAll(async () => {
    clients.closeAll();
    await server?.stop();
    if (dir) removeDir(dir);
  });
  const endpoint = (): string => {
    if (!server) throw new Error('the server starts in beforeAll');
    return server.endpoint;
  };
  return {
    get endpoint() {
      return endpoint();
    },
    client: () => clients.make(endpoint()),
  };
}
