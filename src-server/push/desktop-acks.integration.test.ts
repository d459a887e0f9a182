// Batched acknowledgement confirmations on the desktop channel (issue 17; docs/push-server.md,
// Desktop channel), against the real server process: a client that connects to
// desktop/?acks=batch gets one `acked` frame per commit naming each acknowledged delivery once;
// a client that does not ask gets one frame per acknowledgement, as before.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { serverFrameSchema, type ServerFrame } from '../../src-shared/push/wire';
import { makeKnock } from './test-support/harness';
import { serverPerBlock } from './test-support/server-per-block';

/** a raw desktop connection: every frame the server sends, in order */
class RawDesktop {
  readonly frames: ServerFrame[] = [];
  #waiters: Array<() => void> = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(serverFrameSchema.parse(JSON.parse(data.toString())));
      for (const w of this.#waiters.splice(0)) w();
    });
  }
  static async open(endpoint: string, secret: string, batch: boolean): Promise<RawDesktop> {
    const url = new URL('desktop/', endpoint.replace(/^http/, 'ws'));
    if (batch) url.searchParams.set('acks', 'batch');
    const c = new RawDesktop(new WebSocket(url));
    await once(c.ws, 'open');
    c.ws.send(JSON.stringify({ type: 'auth', token: secret }));
    await c.until((f) => f.filter((x) => x.type === 'ready').length === 1);
    return c;
  }
  /** waits until the frames received satisfy `done` */
  async until(done: (frames: ServerFrame[]) => boolean): Promise<void> {
    while (!done(this.frames)) await new Promise<void>((r) => this.#waiters.push(r));
  }
  deliveries(): string[] {
    return this.frames.flatMap((f) => (f.type === 'delivery' ? [f.delivery] : []));
  }
  acked(): ServerFrame[] {
    return this.frames.filter((f) => f.type === 'acked');
  }
  /** sends the frames in one write, so that the server reads them in one turn */
  sendTogether(frames: unknown[]): void {
    const socket = (this.ws as unknown as { _socket: Socket })._socket;
    socket.cork();
    for (const f of frames) this.ws.send(JSON.stringify(f));
    socket.uncork();
  }
  async close(): Promise<void> {
    const closed = once(this.ws, 'close');
    this.ws.close(1000);
    await closed;
  }
}

describe('push server: batched acknowledgement confirmations on the desktop channel', () => {
  const server = serverPerBlock();

  async function recipient(name: string) {
    const sender = server.client();
    const owner = server.client();
    await sender.createOrLogin(`${name}-sender`, 'sender-password');
    await owner.createOrLogin(name, 'owner-password');
    const dev = await owner.registerDevice('desktop', { name: 'laptop' });
    const knock = async () => {
      const k = makeKnock({ endpoint: server.endpoint, push_name: `${name}-sender` }, { endpoint: server.endpoint, push_name: name });
      await sender.sendKnock(k);
      return k;
    };
    return { secret: dev.registration_id!, knock };
  }

  it('a lost batch of acks is redelivered; the acks sent again, a duplicate and an unknown id get one acked frame, each id once', async () => {
    const r = await recipient('carol');
    let c = await RawDesktop.open(server.endpoint, r.secret, true);
    expect(c.frames[0]).toEqual({ type: 'ready', device: expect.any(String), acks: 'batch' });
    for (let i = 0; i < 3; i++) await r.knock();
    await c.until(() => c.deliveries().length === 3);
    const first = c.deliveries();
    // the acknowledgements are lost with the connection: nothing was removed
    await c.close();
    c = await RawDesktop.open(server.endpoint, r.secret, true);
    await c.until(() => c.deliveries().length === 3);
    expect(new Set(c.deliveries())).toEqual(new Set(first));
    const unknown = 'AAAAAAAAAAAAAAAAAAAAAA';
    c.sendTogether([...first, first[0], unknown].map((delivery) => ({ type: 'ack', delivery })));
    await c.until((f) => new Set(f.flatMap((x) => (x.type === 'acked' ? (x.deliveries ?? []) : []))).size === 4);
    expect(c.acked()).toHaveLength(1);
    const batch = c.acked()[0]!;
    expect(batch.type === 'acked' && batch.delivery).toBeFalsy();
    expect(batch.type === 'acked' ? [...(batch.deliveries ?? [])].sort() : []).toEqual([...first, unknown].sort());
    await c.close();
    // all three were removed: a new knock is the first thing the next connection gets
    c = await RawDesktop.open(server.endpoint, r.secret, true);
    const k = await r.knock();
    await c.until(() => c.deliveries().length === 1);
    const got = c.frames.find((f) => f.type === 'delivery');
    expect(got?.type === 'delivery' && got.payload.kind === 'knock' && got.payload.knock.id).toBe(k.id);
    await c.close();
  });

  it('a client that does not ask for batches gets one acked frame per acknowledgement, duplicates included', async () => {
    const r = await recipient('dave');
    const c = await RawDesktop.open(server.endpoint, r.secret, false);
    expect(c.frames[0]).toEqual({ type: 'ready', device: expect.any(String) });
    for (let i = 0; i < 2; i++) await r.knock();
    await c.until(() => c.deliveries().length === 2);
    const ids = c.deliveries();
    c.sendTogether([...ids, ids[0]].map((delivery) => ({ type: 'ack', delivery })));
    await c.until(() => c.acked().length === 3);
    expect(c.acked()).toEqual([...ids, ids[0]].map((delivery) => ({ type: 'acked', delivery })));
    await c.close();
  });
});
