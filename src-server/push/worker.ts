// The outbox worker: sends queued relays to peer servers and queued deliveries to the platform
// adapters, with retries and exponential backoff until the entry expires (DESIGN.md 7: "a queued
// knock survives a server restart until delivered or expired"). Desktop deliveries are not the
// worker's: they wait for the device's ack on the desktop channel.
import type { OutboxEntry, PushStorage } from './storage/types';
import type { Outbound } from './outbound';
import type { PushAdapter } from './adapters/types';
import { deliveryPayloadSchema, PEER_HEADER, relaySchema, SIGNATURE_HEADER, SIGNING_CONTEXT } from '../../src-shared/push/wire';
import { signBody, type ServerIdentity } from './federation';
import { randomId } from './secrets';
import type { Logger } from './log';

export interface WorkerDeps {
  storage: PushStorage;
  identity: ServerIdentity;
  outbound: Outbound;
  adapters: Partial<Record<'apns' | 'fcm' | 'webpush', PushAdapter>>;
  log: Logger;
  now: () => number;
  /** lease on a claimed entry: if this replica dies while sending, another retries after it */
  leaseMs?: number;
  concurrency?: number;
}

const MAX_BACKOFF_MS = 60 * 60 * 1000;

export class OutboxWorker {
  readonly #d: WorkerDeps;
  readonly #kinds: OutboxEntry['kind'][];
  #running = false;
  #inflight = 0;
  #wake: (() => void) | null = null;
  #kicked = false;
  #loop: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  readonly leaseMs: number;

  constructor(deps: WorkerDeps) {
    this.#d = deps;
    this.leaseMs = deps.leaseMs ?? 30_000;
    this.#kinds = ['peer', ...(Object.keys(deps.adapters) as ('apns' | 'fcm' | 'webpush')[])];
  }

  start(): void {
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.kick();
    await this.#loop;
    if (this.#timer) clearTimeout(this.#timer);
  }

  /** new work may be due: look now rather than at the next poll */
  kick(): void {
    this.#kicked = true;
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  /** sends an entry this process has just enqueued (already leased) without a claim round trip */
  dispatchNow(e: OutboxEntry): void {
    this.#inflight++;
    void this.#process(e).finally(() => {
      this.#inflight--;
      this.kick();
    });
  }

  async #sleep(ms: number): Promise<void> {
    if (this.#kicked) return;
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      this.#timer = setTimeout(resolve, ms);
    });
    if (this.#timer) clearTimeout(this.#timer);
    this.#wake = null;
  }

  async #run(): Promise<void> {
    const cap = this.#d.concurrency ?? 64;
    while (this.#running) {
      this.#kicked = false;
      const room = cap - this.#inflight;
      if (room <= 0) {
        await this.#sleep(1000);
        continue;
      }
      let batch: OutboxEntry[] = [];
      try {
        batch = await this.#d.storage.claimDue(this.#kinds, this.#d.now(), this.leaseMs, room);
      } catch (e) {
        this.#d.log.error('outbox claim failed', { error: (e as Error).message });
      }
      for (const e of batch) this.dispatchNow(e);
      if (batch.length === 0) await this.#sleep(1000);
    }
    // let in-flight sends finish (bounded by their own timeouts)
    while (this.#inflight > 0) await new Promise((r) => setTimeout(r, 20));
  }

  async #process(e: OutboxEntry): Promise<void> {
    const { storage, log, now } = this.#d;
    let outcome: { done: true } | { done: false; afterMs?: number; reason: string };
    try {
      outcome = e.target === 'peer' ? await this.#relay(e) : await this.#push(e);
    } catch (err) {
      outcome = { done: false, reason: (err as Error).message };
    }
    try {
      if (outcome.done) {
        await storage.removeEntry(e.id);
        return;
      }
      const attempts = e.attempts + 1;
      const backoff = outcome.afterMs ?? Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(attempts, 20));
      log.warn('delivery will be retried', { target: e.target, kind: e.kind, attempts, reason: outcome.reason });
      await storage.reschedule(e.id, attempts, now() + backoff);
    } catch (err) {
      log.error('outbox update failed', { error: (err as Error).message });
    }
  }

  async #relay(e: OutboxEntry): Promise<{ done: true } | { done: false; reason: string; afterMs?: number }> {
    const { identity, outbound, log, now } = this.#d;
    const stored = relaySchema.shape.knock.safeParse(JSON.parse(e.payload));
    if (!stored.success) {
      log.error('dropping malformed queued relay', { id: e.id });
      return { done: true };
    }
    // A fresh relay id and timestamp per attempt: the receiver refuses replayed relay ids and
    // stale timestamps; it deduplicates the knock itself by its id, so a retry after a lost
    // answer is not delivered twice.
    const body = JSON.stringify({ relay_id: randomId(), origin: identity.endpoint, destination: e.targetId, sent_at: now(), knock: stored.data });
    const res = await outbound.request(new URL('federation/relay', e.targetId).toString(), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [PEER_HEADER]: identity.endpoint,
        [SIGNATURE_HEADER]: signBody(identity, SIGNING_CONTEXT.relay, body),
      },
      body,
    });
    if (res.status >= 200 && res.status < 300) return { done: true };
    if (res.status === 429 || res.status >= 500) {
      const ra = Number(res.headers['retry-after']);
      return { done: false, reason: `peer answered ${res.status}`, ...(ra > 0 ? { afterMs: ra * 1000 } : {}) };
    }
    // 4xx: the peer refuses this relay for good (unknown to it, bad signature): retrying cannot help
    log.warn('peer refused relay', { peer: e.targetId, status: res.status, body: res.body.toString('utf8').slice(0, 200) });
    if (res.status === 403) return { done: false, reason: 'peer refused (not registered yet?)', afterMs: 60_000 };
    return { done: true };
  }

  async #push(e: OutboxEntry): Promise<{ done: true } | { done: false; reason: string; afterMs?: number }> {
    const { storage, log, now } = this.#d;
    const adapter = this.#d.adapters[e.kind as 'apns' | 'fcm' | 'webpush'];
    const device = await storage.device(e.targetId);
    if (!device || !adapter) return { done: true };
    const payload = deliveryPayloadSchema.safeParse(JSON.parse(e.payload));
    if (!payload.success) return { done: true };
    const ttl = Math.max(0, Math.floor((e.expiresAt - now()) / 1000));
    const urgent = payload.data.kind === 'knock' || payload.data.priority === 'high';
    const r = await adapter.send(device, payload.data, ttl, urgent);
    switch (r.kind) {
      case 'ok':
        return { done: true };
      case 'gone':
        log.info('push registration gone, removing device', { kind: device.kind, reason: r.reason });
        await storage.deleteDevice(device.id);
        return { done: true };
      case 'failed':
        log.warn('push refused', { kind: device.kind, reason: r.reason });
        return { done: true };
      case 'retry':
        return { done: false, reason: r.reason, ...(r.afterMs ? { afterMs: r.afterMs } : {}) };
    }
  }
}
