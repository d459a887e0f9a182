// A TCP relay in front of the stack's client port, so tests can break the network the way it
// breaks in life: cut every connection at once, or let the server's answers vanish (a half-dead
// link) while what the client sends still arrives. Loopback only, port chosen by the OS.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface Proxy {
  port: number;
  /** number of client connections relayed right now */
  readonly connections: number;
  /** destroys every relayed connection (both sides see a reset) */
  cut(): void;
  /** stops relaying server->client bytes on current connections (they are dropped) */
  holdDownstream(): void;
  /**
   * From now on, when the server closes a connection the relay keeps the client's side open until
   * the client writes once more (its closing </stream:stream>), then closes it: the client's write
   * succeeds and the server's closing tag never comes, as when a server exits right after sending
   * a stream error (ejabberd's <system-shutdown/>). A client that does not write (the server ended
   * its stream without a stream error, as ejabberd does to a session bound moments before it
   * stops) sees the close after LINGER_MAX_MS, as it would see the server's FIN on a real network;
   * it used to wait 30 s, until its next stream-management request, which no real link does.
   */
  lingerAfterServerClose(): void;
  /** resolves when at least `n` connections are open (waits on the 'connection' event) */
  waitForConnections(n: number): Promise<void>;
  close(): Promise<void>;
}

/** how long a lingering client side stays open when the client does not write (see lingerAfterServerClose) */
export const LINGER_MAX_MS = 1_000;

export async function startProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<Proxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket; hold: boolean }>();
  const waiters = new Set<() => void>();
  let linger = false;
  const server: Server = createServer((client) => {
    const upstream = connect({ host: targetHost, port: targetPort });
    const pair = { client, upstream, hold: false };
    pairs.add(pair);
    client.on('data', (d) => {
      if (!upstream.destroyed) upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (!pair.hold) client.write(d);
    });
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', () => {
      if (!linger || client.destroyed) return end();
      client.once('data', end);
      setTimeout(end, LINGER_MAX_MS).unref();
    });
    client.on('error', end);
    upstream.on('error', end);
    for (const w of [...waiters]) w();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    get connections() {
      return pairs.size;
    },
    cut() {
      for (const p of [...pairs]) {
        p.client.resetAndDestroy();
        p.upstream.destroy();
        pairs.delete(p);
      }
    },
    lingerAfterServerClose() {
      linger = true;
    },
    holdDownstream() {
      for (const p of pairs) p.hold = true;
    },
    waitForConnections(n) {
      if (pairs.size >= n) return Promise.resolve();
      return new Promise((resolve) => {
        const w = () => {
          if (pairs.size >= n) {
            waiters.delete(w);
            resolve();
          }
        };
        waiters.add(w);
      });
    },
    close() {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
