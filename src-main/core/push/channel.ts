// Keeps the desktop channel of this device open (docs/push-server.md, "Desktop channel"): connect,
// read deliveries, hand each to the handler, acknowledge it, and reconnect with backoff when the
// connection drops. Runs while the XMPP account is offline or asleep: a knock is what wakes it.
// Status in plain states: off | connecting | connected | retrying | error (authentication refused:
// retrying cannot help; the user signs in again).
import type { DeliveryPayload } from '../../../src-shared/push/wire';

export type ChannelStatus = 'off' | 'connecting' | 'connected' | 'retrying' | 'error';

export interface DesktopLink {
  next(timeoutMs: number): Promise<{ delivery: string; payload: DeliveryPayload }>;
  ack(delivery: string): Promise<void>;
  close(): Promise<void>;
  readonly closed: boolean;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ChannelDeps {
  connect(): Promise<DesktopLink>;
  /** handles one delivery; the channel acknowledges it afterwards whatever the outcome (a knock
   * that cannot be opened now never will be: keeping it queued would only replay it) */
  handle(payload: DeliveryPayload): Promise<void>;
  onStatus(status: ChannelStatus, detail?: string): void;
  timers: Timers;
  /** backoff between attempts, ms; the last one repeats */
  delays?: number[];
}

const DEFAULT_DELAYS = [1_000, 2_000, 5_000, 15_000, 30_000, 60_000];
/** how long one next() waits before it is simply called again (no timed behaviour depends on it) */
const READ_SLICE_MS = 60_000;

/** an authentication failure of the channel (4401 or HTTP 401): retrying cannot help */
const isAuthFailure = (e: unknown) => (e as { status?: number }).status === 401;

export class DesktopChannel {
  #status: ChannelStatus = 'off';
  #link: DesktopLink | null = null;
  #timer: unknown = null;
  #attempt = 0;
  #running = false;
  readonly #delays: number[];

  constructor(private readonly d: ChannelDeps) {
    this.#delays = d.delays ?? DEFAULT_DELAYS;
  }

  get status(): ChannelStatus {
    return this.#status;
  }

  #setStatus(s: ChannelStatus, detail?: string): void {
    this.#status = s;
    this.d.onStatus(s, detail);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#attempt = 0;
    void this.#connect();
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== null) this.d.timers.clearTimeout(this.#timer);
    this.#timer = null;
    const link = this.#link;
    this.#link = null;
    await link?.close().catch(() => {});
    this.#setStatus('off');
  }

  async #connect(): Promise<void> {
    if (!this.#running) return;
    this.#setStatus(this.#attempt === 0 ? 'connecting' : 'retrying');
    let link: DesktopLink;
    try {
      link = await this.d.connect();
    } catch (e) {
      if (!this.#running) return;
      if (isAuthFailure(e)) {
        this.#running = false;
        this.#setStatus('error', 'the push server refused this device; sign in to the push account again');
        return;
      }
      this.#retry();
      return;
    }
    if (!this.#running) {
      await link.close().catch(() => {});
      return;
    }
    this.#link = link;
    this.#attempt = 0;
    this.#setStatus('connected');
    await this.#read(link);
  }

  #retry(): void {
    const delay = this.#delays[Math.min(this.#attempt, this.#delays.length - 1)] as number;
    this.#attempt++;
    this.#setStatus('retrying');
    this.#timer = this.d.timers.setTimeout(() => {
      this.#timer = null;
      void this.#connect();
    }, delay);
  }

  async #read(link: DesktopLink): Promise<void> {
    for (;;) {
      let d: { delivery: string; payload: DeliveryPayload };
      try {
        d = await link.next(READ_SLICE_MS);
      } catch {
        if (this.#link !== link || !this.#running) return;
        if (!link.closed) continue; // nothing within the slice: keep reading
        this.#link = null;
        this.#retry();
        return;
      }
      try {
        await this.d.handle(d.payload);
      } catch {
        // the handler logs its own failures; the delivery is acknowledged regardless
      }
      // Not awaited: the next delivery is handled while the server removes this one, so that a
      // backlog's acknowledgements reach it together and are confirmed by one `acked` frame
      // (docs/push-server.md, Desktop channel). A confirmation that never comes (the connection
      // dropped) costs nothing: the delivery comes again and the handler drops it by knock id.
      void link.ack(d.delivery).catch(() => {});
    }
  }
}
