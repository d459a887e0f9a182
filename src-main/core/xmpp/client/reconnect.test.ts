import { describe, expect, it } from 'vitest';
import { AuthFailureBudget } from './reconnect';

describe('AuthFailureBudget', () => {
  it('allows a bounded series of retries with growing delays, then gives up', () => {
    const b = new AuthFailureBudget([10, 20]);
    expect(b.next()).toBe(10);
    expect(b.next()).toBe(20);
    expect(b.next()).toBeNull();
    expect(b.next()).toBeNull();
  });

  it('starts afresh once the account was online again', () => {
    const b = new AuthFailureBudget([10]);
    expect(b.next()).toBe(10);
    expect(b.next()).toBeNull();
    b.reset();
    expect(b.next()).toBe(10);
  });
});
