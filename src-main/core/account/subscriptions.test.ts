import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { missingStanzas, SubscriptionRetry } from './subscriptions';

describe('SubscriptionRetry', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('asks again with growing delays while the request is pending, then stops', async () => {
    const sent: string[] = [];
    const r = new SubscriptionRetry({ resend: async (j) => void sent.push(j), isPending: () => true, delays: [10, 20] });
    r.watch('bob@x');
    await vi.advanceTimersByTimeAsync(9);
    expect(sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual(['bob@x']);
    await vi.advanceTimersByTimeAsync(20);
    expect(sent).toEqual(['bob@x', 'bob@x']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent).toHaveLength(2);
    expect(r.watching).toEqual([]);
  });

  it('does nothing once the contact answered, and nothing after stop()', async () => {
    const sent: string[] = [];
    let pending = true;
    const r = new SubscriptionRetry({ resend: async (j) => void sent.push(j), isPending: () => pending, delays: [10] });
    r.watch('bob@x');
    pending = false;
    await vi.advanceTimersByTimeAsync(10);
    expect(sent).toEqual([]);
    pending = true;
    r.watchAll(['carol@x']);
    r.stop();
    await vi.advanceTimersByTimeAsync(100);
    expect(sent).toEqual([]);
  });
});

describe('missingStanzas', () => {
  const row = (subscription: string, pending_out: number, in_roster = 1) => ({ jid: 'b@x', subscription, pending_out, in_roster });
  it('asks again while unanswered and approves again while they do not see us', () => {
    expect(missingStanzas(row('none', 1))).toEqual(['subscribe', 'subscribed']);
    expect(missingStanzas(row('from', 1))).toEqual(['subscribe']);
    expect(missingStanzas(row('to', 0))).toEqual(['subscribed']);
    expect(missingStanzas(row('both', 0))).toEqual([]);
    // not asked by us and not in our roster: nothing is ours to send
    expect(missingStanzas(row('none', 0))).toEqual([]);
    expect(missingStanzas(row('none', 1, 0))).toEqual([]);
  });
});
