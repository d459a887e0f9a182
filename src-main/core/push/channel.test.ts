import { describe, expect, it } from 'vitest';
import { DesktopChannel, type ChannelStatus, type DesktopLink } from './channel';
import type { DeliveryPayload } from '../../../src-shared/push/wire';

/** a fake socket: deliveries pushed by the test, close() on demand */
class FakeLink implements DesktopLink {
  closed = false;
  acked: string[] = [];
  #onAck: (() => void) | null = null;
  /** resolves at the next acknowledgement */
  nextAck = () => new Promise<void>((r) => (this.#onAck = r));
  #queue: Array<{ delivery: string; payload: DeliveryPayload }> = [];
  #wait: (() => void) | null = null;
  push(delivery: string, payload: DeliveryPayload) {
    this.#queue.push({ delivery, payload });
    this.#wait?.();
  }
  drop() {
    this.closed = true;
    this.#wait?.();
  }
  async next() {
    for (;;) {
      const d = this.#queue.shift();
      if (d) return d;
      if (this.closed) throw Object.assign(new Error('closed'), { code: 'closed' });
      await new Promise<void>((r) => (this.#wait = r));
    }
  }
  async ack(d: string) {
    this.acked.push(d);
    this.#onAck?.();
  }
  async close() {
    this.drop();
  }
}

function harness(connect: () => Promise<DesktopLink>) {
  const statuses: ChannelStatus[] = [];
  const handled: DeliveryPayload[] = [];
  const timers: Array<{ fn: () => void; ms: number }> = [];
  let waiters: Array<() => void> = [];
  const changed = () => {
    const ready = waiters;
    waiters = [];
    for (const w of ready) w();
  };
  const ch = new DesktopChannel({
    connect,
    handle: async (p) => {
      handled.push(p);
    },
    onStatus: (s) => {
      statuses.push(s);
      changed();
    },
    timers: {
      setTimeout: (fn, ms) => {
        timers.push({ fn, ms });
        changed();
      },
      clearTimeout: () => {},
    },
  });
  /** resolves once `done()` holds, checked now and after every status change or timer set */
  const when = (done: () => boolean) =>
    new Promise<void>((r) => {
      const check = () => (done() ? r() : waiters.push(check));
      check();
    });
  const until = (s: ChannelStatus) => when(() => statuses.at(-1) === s);
  /** waits until `n` timers (backoff waits) have been set */
  const untilTimers = (n: number) => when(() => timers.length >= n);
  return { ch, statuses, handled, timers, until, untilTimers };
}

const message: DeliveryPayload = { kind: 'message', token: 'ab'.repeat(20), priority: 'high' };

describe('desktop channel', () => {
  it('connects, hands deliveries over and acknowledges them', async () => {
    const link = new FakeLink();
    const h = harness(async () => link);
    h.ch.start();
    await h.until('connected');
    const acked = link.nextAck();
    link.push('d1', message);
    await acked;
    expect(h.handled).toEqual([message]);
    expect(link.acked).toEqual(['d1']);
    await h.ch.stop();
    expect(h.statuses).toEqual(['connecting', 'connected', 'off']);
  });

  it('handles the next delivery without waiting for the confirmation of the last acknowledgement', async () => {
    const link = new FakeLink();
    let secondAcked!: () => void;
    const second = new Promise<void>((r) => (secondAcked = r));
    // confirmations never come (a lost batch): the acks stay pending
    link.ack = (d: string) => {
      link.acked.push(d);
      if (d === 'd2') secondAcked();
      return new Promise<void>(() => {});
    };
    const h = harness(async () => link);
    h.ch.start();
    await h.until('connected');
    link.push('d1', message);
    link.push('d2', message);
    await second;
    expect(h.handled).toEqual([message, message]);
    expect(link.acked).toEqual(['d1', 'd2']);
    await h.ch.stop();
  });

  it('reconnects with growing backoff after failures and a dropped connection', async () => {
    let fails = 2;
    const links: FakeLink[] = [];
    const h = harness(async () => {
      if (fails-- > 0) throw Object.assign(new Error('ECONNREFUSED'), { code: 'ECONNREFUSED' });
      const l = new FakeLink();
      links.push(l);
      return l;
    });
    h.ch.start();
    await h.until('retrying');
    expect(h.timers.map((t) => t.ms)).toEqual([1_000]);
    h.timers[0]!.fn();
    await h.untilTimers(2);
    expect(h.timers.map((t) => t.ms)).toEqual([1_000, 2_000]);
    h.timers[1]!.fn();
    await h.until('connected');
    links[0]!.drop();
    await h.until('retrying');
    // after a good connection the backoff starts again from the first delay
    expect(h.timers.at(-1)!.ms).toBe(1_000);
    h.timers.at(-1)!.fn();
    await h.until('connected');
    expect(links).toHaveLength(2);
    await h.ch.stop();
  });

  it('an authentication refusal is an error, not a retry loop', async () => {
    const h = harness(async () => {
      throw Object.assign(new Error('auth'), { status: 401 });
    });
    h.ch.start();
    await h.until('error');
    expect(h.timers).toHaveLength(0);
  });
});
