// The outbox worker: sends queued relays to peer servers and queued deliveries to the platform
// adapters, with retries and exponential backoff until the entry expires (docs/architecture.md §7: "a queued
// knock survives a server restart until delivered or expired"). Desktop deliveries are not the
// worker's: they wait for the device's ack on the desktop channel.
//
// Relays are batched per peer (docs/push-server.md, Federation): up to `peerConcurrency` relay
// requests are in flight to one peer, and the knocks that queue up meanwhile go together in the
// next request (one signature, one HTTP exchange, one removal from the queue for all of them).
// A knock alone goes at once, in the single-knock form older peers understand.
import type { OutboxEntry, PushStorage } from './storage/types';
import type { Outbound } from './outbound';
import type { PushAdapter } from './adapters/types';
import {
  deliveryPayloadSchema,
  knockEnvelopeSchema,
  MAX_RELAY_BATCH_BYTES,
  MAX_RELAY_KNOCKS,
  PEER_HEADER,
  SIGNATURE_HEADER,
  SIGNING_CONTEXT,
  type KnockEnvelope,
} from '../../src-shared/push/wire';
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
  /** relay requests in flight to one peer at a time */
  peerConcurrency?: number;
}

const MAX_BACKOFF_MS = 60 * 60 * 1000;
/** how long sent entries wait for others to share their removal from the queue (one commit):
 * they stay leased meanwhile, and a crash before the removal only means a resend that the
 * receiver deduplicates. 20 ms on PostgreSQL, where each removal is a round trip of its own
 * (issue 17, round four), 5 ms on SQLite, where it joins the group commit. */
const removalLingerMs = (engine: PushStorage['engine']) => (engine === 'postgres' ? 20 : 5);

type Outcome = { done: true } | { done: false; reason: string; afterMs?: number };

interface PeerQueue {
  waiting: OutboxEntry[];
  sending: number;
  /** a send is scheduled for the end of this turn, so that entries dispatched together (a
   * claim after a restart or a retry) leave together */
  scheduled: boolean;
}

export class OutboxWorker {
  readonly #d: WorkerDeps;
  readonly #kinds: OutboxEntry['kind'][];
  #running = false;
  /** entries held by this process (waiting or being sent), by id: never claimed twice here */
  readonly #held = new Set<string>();
  readonly #peers = new Map<string, PeerQueue>();
  /** the claim loop found no room: wake it when an entry is done */
  #starved = false;
  #removals: string[] = [];
  #removed: Promise<void> | null = null;
  /** removals not yet committed (their window open, or their statement running) */
  readonly #removing = new Set<Promise<void>>();
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

  /** whether this server has credentials for the adapter (a device kind it can deliver to) */
  canDeliver(adapter: 'apns' | 'fcm' | 'webpush'): boolean {
    return this.#d.adapters[adapter] !== undefined;
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
    if (this.#held.has(e.id)) return;
    this.#held.add(e.id);
    if (e.target === 'peer') {
      let q = this.#peers.get(e.targetId);
      if (!q) this.#peers.set(e.targetId, (q = { waiting: [], sending: 0, scheduled: false }));
      q.waiting.push(e);
      if (!q.scheduled) {
        q.scheduled = true;
        const peerQueue = q;
        queueMicrotask(() => {
          peerQueue.scheduled = false;
          this.#sendToPeer(e.targetId, peerQueue);
        });
      }
      return;
    }
    void this.#process(e).finally(() => this.#release([e]));
  }

  #release(entries: OutboxEntry[]): void {
    for (const e of entries) this.#held.delete(e.id);
    if (this.#starved && this.#held.size < (this.#d.concurrency ?? 64)) {
      this.#starved = false;
      this.kick();
    }
  }

  /** starts relay requests to a peer while it has knocks waiting and room for a request */
  #sendToPeer(peer: string, q: PeerQueue): void {
    const cap = this.#d.peerConcurrency ?? 4;
    while (q.waiting.length > 0 && q.sending < cap) {
      // as many waiting knocks as fit one request, oldest first
      let bytes = 0;
      let n = 0;
      while (n < q.waiting.length && n < MAX_RELAY_KNOCKS) {
        bytes += q.waiting[n]!.payload.length + 1;
        if (n > 0 && bytes > MAX_RELAY_BATCH_BYTES - 512) break;
        n++;
      }
      const batch = q.waiting.splice(0, n);
      q.sending++;
      void this.#relayBatch(peer, batch).finally(() => {
        q.sending--;
        this.#release(batch);
        if (q.waiting.length > 0) this.#sendToPeer(peer, q);
        else if (q.sending === 0 && !q.scheduled) this.#peers.delete(peer);
      });
    }
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
      const room = cap - this.#held.size;
      if (room <= 0) {
        this.#starved = true;
        await this.#sleep(1000);
        continue;
      }
      let batch: OutboxEntry[] = [];
      try {
        batch = await this.#d.storage.claimDue(this.#kinds, this.#d.now(), this.leaseMs, room);
      } catch (e) {
        this.#d.log.error('outbox claim failed', { error: (e as Error).message });
      }
      // an entry still held here (its lease ran out while it waited) is already on its way
      for (const e of batch) this.dispatchNow(e);
      if (batch.length === 0) await this.#sleep(1000);
    }
    // let in-flight sends finish (bounded by their own timeouts), then their removal
    while (this.#held.size > 0) await new Promise((r) => setTimeout(r, 20));
    while (this.#removing.size > 0) await Promise.allSettled([...this.#removing]);
  }

  /** removes sent entries together with the others sent in the next removalLingerMs */
  #removeSoon(ids: string[]): Promise<void> {
    this.#removals.push(...ids);
    if (!this.#removed) {
      const p = new Promise<void>((resolve, reject) => {
        setTimeout(() => {
          const all = this.#removals;
          this.#removals = [];
          this.#removed = null;
          this.#d.storage.removeEntries(all).then(resolve, reject);
        }, removalLingerMs(this.#d.storage.engine));
      });
      this.#removed = p;
      // stop() waits for every removal, also one whose window has closed
      this.#removing.add(p);
      void p.catch(() => undefined).finally(() => this.#removing.delete(p));
    }
    return this.#removed;
  }

  /** records the outcome of sending entries: removed when done, else rescheduled with backoff */
  async #settle(entries: OutboxEntry[], outcome: Outcome): Promise<void> {
    const { storage, log, now } = this.#d;
    try {
      if (outcome.done) {
        await this.#removeSoon(entries.map((e) => e.id));
        return;
      }
      await Promise.all(
        entries.map((e) => {
          const attempts = e.attempts + 1;
          const backoff = outcome.afterMs ?? Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(attempts, 20));
          log.warn('delivery will be retried', { target: e.target, kind: e.kind, attempts, reason: outcome.reason });
          return storage.reschedule(e.id, attempts, now() + backoff);
        }),
      );
    } catch (err) {
      log.error('outbox update failed', { error: (err as Error).message });
    }
  }

  async #process(e: OutboxEntry): Promise<void> {
    let outcome: Outcome;
    try {
      outcome = await this.#push(e);
    } catch (err) {
      outcome = { done: false, reason: (err as Error).message };
    }
    await this.#settle([e], outcome);
  }

  /** relays queued knocks to one peer in one signed request */
  async #relayBatch(peer: string, entries: OutboxEntry[]): Promise<void> {
    const { log } = this.#d;
    const knocks: KnockEnvelope[] = [];
    const sendable: OutboxEntry[] = [];
    const malformed: OutboxEntry[] = [];
    for (const e of entries) {
      let parsed;
      try {
        parsed = knockEnvelopeSchema.safeParse(JSON.parse(e.payload));
      } catch {
        parsed = null;
      }
      if (parsed?.success) {
        knocks.push(parsed.data);
        sendable.push(e);
      } else {
        log.error('dropping malformed queued relay', { id: e.id });
        malformed.push(e);
      }
    }
    if (malformed.length) await this.#settle(malformed, { done: true });
    if (sendable.length === 0) return;
    let outcome: Outcome;
    try {
      outcome = await this.#relay(peer, knocks);
    } catch (err) {
      outcome = { done: false, reason: (err as Error).message };
    }
    if (!outcome.done && outcome.reason === 'split' && sendable.length > 1) {
      // the peer refused the batch as a whole (too large for it, or one knock it will never take):
      // each knock alone, so that one refusal takes only its own knock
      await Promise.all(sendable.map((e) => this.#relayBatch(peer, [e])));
      return;
    }
    // Accepted: the request's slot is free at once, and the entries leave the queue with the next
    // removal window. Waiting for that removal held the slot for the whole window, so knocks
    // queued behind it (issue 17, round four: +10 ms p50 with a 20 ms window). The entries stay
    // leased meanwhile, so nothing claims them again; a crash first means a resend that the
    // receiver deduplicates.
    if (outcome.done) void this.#settle(sendable, outcome);
    else await this.#settle(sendable, outcome);
  }

  async #relay(peer: string, knocks: KnockEnvelope[]): Promise<Outcome> {
    const { identity, outbound, log, now } = this.#d;
    // A fresh relay id and timestamp per attempt: the receiver refuses replayed relay ids and
    // stale timestamps; it deduplicates each knock by its id, so a retry after a lost answer is
    // not delivered twice.
    const head = { relay_id: randomId(), origin: identity.endpoint, destination: peer, sent_at: now() };
    const body = JSON.stringify(knocks.length === 1 ? { ...head, knock: knocks[0] } : { ...head, knocks });
    const res = await outbound.request(new URL('federation/relay', peer).toString(), {
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
    log.warn('peer refused relay', { peer, status: res.status, knocks: knocks.length, body: res.body.toString('utf8').slice(0, 200) });
    // 403: the peer does not (yet) know us or our key; that holds for every knock of a batch
    if (res.status === 403) return { done: false, reason: 'peer refused (not registered yet?)', afterMs: 60_000 };
    // another 4xx refuses this request for good (malformed, too large): a batch is tried knock by
    // knock, and a single knock is dropped, since retrying it cannot help
    if (knocks.length > 1) return { done: false, reason: 'split' };
    return { done: true };
  }

  async #push(e: OutboxEntry): Promise<Outcome> {
    const { storage, log, now } = this.#d;
    const adapter = this.#d.adapters[e.kind as 'apns' | 'fcm' | 'webpush'];
    const device = await storage.device(e.targetId);
    if (!device) return { done: true };
    if (!adapter) {
      // registration refuses such kinds; a row left from an earlier configuration is dropped
      // loudly, never silently (issue 12, finding 8)
      log.warn('dropping delivery: no adapter configured for the device kind', { kind: e.kind });
      return { done: true };
    }
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
