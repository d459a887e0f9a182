// The desktop channel (issue 4, "Devices"): a WebSocket at {api_endpoint}desktop/. The device
// authenticates with the secret it received when it was registered (first frame, never in the
// URL, so it does not end up in proxy logs), then receives every queued delivery; an entry is
// removed only when the device acknowledges it, so delivery is at least once (the client drops
// duplicates by knock id). Frames are JSON (src-shared/push/wire.ts clientFrame/serverFrame).
//
// Cost per delivery (docs/performance.md, "Push"): entries this process has just committed are
// handed over by the storage's wake-up with the entries themselves and sent at once; the queue
// is read back only for a backlog (a new connection, more than maxInflight waiting, another
// replica's entries, the safety-net poll). Acknowledgements are gathered for ackLingerMs and
// removed in one storage call (one commit): they are not on any knock's way to a device, and at a
// few hundred knocks per second one commit per acknowledgement was a large share of the work.
// A client that connects to `desktop/?acks=batch` gets one `acked` frame per connection and
// commit, naming every delivery it acknowledged (each id once), instead of one frame per
// acknowledgement (issue 17: each WebSocket message over TLS costs ≈ 33 µs on each side);
// `ready` then says `acks: 'batch'`. Other clients get the frames they always got.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import type { OutboxEntry, PushStorage } from './storage/types';
import { clientFrameSchema, deliveryPayloadSchema, MAX_ACKED_BATCH, type ServerFrame } from '../../src-shared/push/wire';
import { sha256hex } from './secrets';
import { HttpError, parseJsonText } from './http-util';
import type { RateLimiter } from './ratelimit';
import type { Logger } from './log';

/** how long acknowledgements wait for others to share their removal: 5 ms on SQLite, where a
 * removal joins the group commit; 20 ms on PostgreSQL, where each removal is a statement, a
 * round trip that wakes a backend (issue 17, round four: ≈ 0.23 statements per knock at 500/s
 * with 5 ms). Not on any knock's way; only the `acked` confirmations wait. */
const ackLingerMs = (engine: PushStorage['engine']) => (engine === 'postgres' ? 20 : 5);

interface Conn {
  ws: WebSocket;
  deviceId: string;
  accountId: string;
  /** deliveries sent on this connection and not yet acknowledged */
  inflight: Set<string>;
  pumping: boolean;
  again: boolean;
  /** the queue may hold entries for the device that were not sent on this connection: read it
   * (until then, new entries handed over are not sent ahead of older ones) */
  backlog: boolean;
  alive: boolean;
  /** deliveries whose acknowledgement is committed, with the ack generation that committed it:
   * a queue read that started before that commit may still return them (PostgreSQL reads are
   * concurrent with the ack's DELETE), and they must not be sent again (issue 12, finding 7) */
  confirmed: Map<string, number>;
  /** the client asked for one `acked` frame per batch (desktop/?acks=batch) */
  batchAcks: boolean;
}

export interface DesktopDeps {
  storage: PushStorage;
  log: Logger;
  now: () => number;
  authLimiter: RateLimiter;
  /** safety-net poll of the queue (ms); wake-ups normally come from storage.onQueued */
  pollMs: number;
  maxInflight?: number;
}

export class DesktopChannel {
  readonly #d: DesktopDeps;
  readonly #wss: WebSocketServer;
  readonly #byDevice = new Map<string, Set<Conn>>();
  readonly #unsubscribe: () => void;
  readonly #poll: NodeJS.Timeout;
  readonly #heartbeat: NodeJS.Timeout;
  /** acknowledgements received in the last ackLingerMs, removed together */
  #acks: Array<{ c: Conn; id: string }> = [];
  #ackTimer: NodeJS.Timeout | null = null;
  /** counts committed batches of acknowledgements (see Conn.confirmed) */
  #ackGeneration = 0;

  constructor(deps: DesktopDeps) {
    this.#d = deps;
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });
    this.#unsubscribe = deps.storage.onQueued((ids, entries) => {
      if (entries) {
        for (const e of entries) for (const c of this.#byDevice.get(e.targetId) ?? []) this.#offer(c, e);
        return;
      }
      // another replica's entries: only the queue knows them
      for (const id of ids)
        for (const c of this.#byDevice.get(id) ?? []) {
          c.backlog = true;
          this.#pump(c);
        }
    });
    this.#poll = setInterval(() => {
      for (const set of this.#byDevice.values())
        for (const c of set) {
          c.backlog = true;
          this.#pump(c);
        }
    }, deps.pollMs);
    this.#poll.unref();
    this.#heartbeat = setInterval(() => {
      for (const set of this.#byDevice.values())
        for (const c of set) {
          if (!c.alive || c.ws.readyState !== c.ws.OPEN) {
            c.ws.terminate();
            continue;
          }
          c.alive = false;
          c.ws.ping();
        }
    }, 30_000);
    this.#heartbeat.unref();
  }

  get connections(): number {
    let n = 0;
    for (const s of this.#byDevice.values()) n += s.size;
    return n;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, clientAddr: string): void {
    const batchAcks = new URL(req.url ?? '/', 'http://localhost').searchParams.get('acks') === 'batch';
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onConnection(ws, clientAddr, batchAcks));
  }

  /** closes the connections of a device (unregistered) or of all devices of an account (deleted) */
  disconnect(filter: { deviceId?: string; accountId?: string }): void {
    for (const set of this.#byDevice.values())
      for (const c of set) {
        if (c.deviceId === filter.deviceId || c.accountId === filter.accountId) c.ws.close(4403, 'device removed');
      }
  }

  close(): void {
    // acknowledgements already received are removed (the storage commits them before it closes)
    this.#flushAcks();
    this.#unsubscribe();
    clearInterval(this.#poll);
    clearInterval(this.#heartbeat);
    for (const ws of this.#wss.clients) ws.terminate();
    this.#wss.close();
  }

  #send(ws: WebSocket, f: ServerFrame): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(f));
  }

  /** a delivery frame around a payload that is already JSON text (the queue stores it so) */
  #sendDelivery(c: Conn, id: string, payloadJson: string): void {
    c.inflight.add(id);
    // the entry id is base64url (idSchema): nothing in it needs escaping
    if (c.ws.readyState === c.ws.OPEN) c.ws.send(`{"type":"delivery","delivery":"${id}","payload":${payloadJson}}`);
  }

  /** an entry this process has just committed for the connection's device */
  #offer(c: Conn, e: OutboxEntry): void {
    if (c.inflight.has(e.id)) return;
    if (c.backlog || c.pumping || c.inflight.size >= (this.#d.maxInflight ?? 100)) {
      // older entries come first, or the window is full: the next read of the queue sends it
      c.backlog = true;
      this.#pump(c);
      return;
    }
    // written by this server from a validated payload (api/services.ts): no need to re-validate
    this.#sendDelivery(c, e.id, e.payload);
  }

  #ack(c: Conn, id: string): void {
    this.#acks.push({ c, id });
    this.#ackTimer ??= setTimeout(() => this.#flushAcks(), ackLingerMs(this.#d.storage.engine));
  }

  #flushAcks(): void {
    if (this.#ackTimer) clearTimeout(this.#ackTimer);
    this.#ackTimer = null;
    const acks = this.#acks;
    this.#acks = [];
    if (acks.length === 0) return;
    this.#d.storage.ackDeliveries(acks.map((a) => ({ deviceId: a.c.deviceId, entryId: a.id }))).then(
      () => {
        const refill = new Set<Conn>();
        const generation = ++this.#ackGeneration;
        /** ids for the connections that take one frame per batch, each id once */
        const batches = new Map<Conn, Set<string>>();
        for (const { c, id } of acks) {
          c.inflight.delete(id);
          c.confirmed.set(id, generation);
          if (c.batchAcks) {
            let ids = batches.get(c);
            if (!ids) batches.set(c, (ids = new Set()));
            ids.add(id);
          } else this.#send(c.ws, { type: 'acked', delivery: id });
          if (c.backlog) refill.add(c);
        }
        for (const [c, ids] of batches) {
          const all = [...ids];
          for (let i = 0; i < all.length; i += MAX_ACKED_BATCH) this.#send(c.ws, { type: 'acked', deliveries: all.slice(i, i + MAX_ACKED_BATCH) });
        }
        for (const c of refill) this.#pump(c);
      },
      (e: Error) => this.#d.log.error('ack failed', { error: e.message }),
    );
  }

  #onConnection(ws: WebSocket, clientAddr: string, batchAcks: boolean): void {
    let conn: Conn | null = null;
    let authing = false;
    const authTimer = setTimeout(() => {
      if (!conn) ws.close(4401, 'authentication timeout');
    }, 10_000);
    const fail = (code: string, error: string, close = 4400) => {
      this.#send(ws, { type: 'error', code, error });
      ws.close(close, code);
    };
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return fail('binary_frame', 'frames must be JSON text');
      let frame;
      try {
        frame = clientFrameSchema.safeParse(parseJsonText(data.toString()));
      } catch (e) {
        if (e instanceof HttpError && e.code === 'invalid_encoding') return fail('invalid_encoding', 'frame contains a lone UTF-16 surrogate');
        return fail('malformed_json', 'frame is not valid JSON');
      }
      if (!frame.success) return fail('invalid_frame', 'frame failed validation');
      const f = frame.data;
      if (f.type === 'ping') return this.#send(ws, { type: 'pong' });
      if (f.type === 'auth') {
        if (conn || authing) return fail('already_authenticated', 'already authenticated');
        if (!this.#d.authLimiter.take(`ws:${clientAddr}`)) return fail('rate_limited', 'too many attempts', 4429);
        authing = true;
        void this.#d.storage.deviceByChannelHash(sha256hex(f.token)).then(
          (device) => {
            authing = false;
            clearTimeout(authTimer);
            if (!device || !device.active || ws.readyState !== ws.OPEN) return fail('invalid_token', 'invalid token', 4401);
            const c: Conn = {
              ws,
              deviceId: device.id,
              accountId: device.accountId,
              inflight: new Set(),
              pumping: false,
              again: false,
              backlog: true,
              alive: true,
              confirmed: new Map(),
              batchAcks,
            };
            conn = c;
            let set = this.#byDevice.get(device.id);
            if (!set) this.#byDevice.set(device.id, (set = new Set()));
            set.add(c);
            ws.on('pong', () => (c.alive = true));
            this.#send(ws, { type: 'ready', device: device.id, ...(batchAcks ? { acks: 'batch' as const } : {}) });
            this.#pump(c);
          },
          (e: Error) => {
            this.#d.log.error('desktop auth lookup failed', { error: e.message });
            fail('server_error', 'try again later', 1011);
          },
        );
        return;
      }
      // ack
      if (!conn) return fail('not_authenticated', 'authenticate first', 4401);
      this.#ack(conn, f.delivery);
    });
    ws.on('close', () => {
      clearTimeout(authTimer);
      if (!conn) return;
      const set = this.#byDevice.get(conn.deviceId);
      set?.delete(conn);
      if (set && set.size === 0) this.#byDevice.delete(conn.deviceId);
    });
    ws.on('error', () => ws.terminate());
  }

  /** reads the queue and sends what is not yet in flight; coalesces concurrent wake-ups */
  #pump(c: Conn): void {
    if (c.pumping) {
      c.again = true;
      return;
    }
    c.pumping = true;
    void (async () => {
      try {
        do {
          c.again = false;
          const max = this.#d.maxInflight ?? 100;
          // still behind: an ack will call again
          if (c.inflight.size >= max) break;
          const readAfter = this.#ackGeneration;
          const rows = await this.#d.storage.pendingForDevice(c.deviceId, this.#d.now(), max);
          // a full page may hide more entries behind it
          let more = rows.length >= max;
          for (const r of rows) {
            if (c.inflight.has(r.id) || c.confirmed.has(r.id) || c.ws.readyState !== c.ws.OPEN) continue;
            if (c.inflight.size >= max) {
              more = true;
              break;
            }
            let payload;
            try {
              payload = deliveryPayloadSchema.safeParse(JSON.parse(r.payload));
            } catch {
              payload = null;
            }
            if (!payload?.success) {
              await this.#d.storage.ackDelivery(c.deviceId, r.id);
              continue;
            }
            this.#sendDelivery(c, r.id, JSON.stringify(payload.data));
          }
          c.backlog = more;
          // acknowledgements committed before this read began cannot be in any later read
          for (const [id, g] of c.confirmed) if (g <= readAfter) c.confirmed.delete(id);
        } while (c.again);
      } catch (e) {
        this.#d.log.error('desktop pump failed', { error: (e as Error).message });
      } finally {
        c.pumping = false;
      }
    })();
  }
}
