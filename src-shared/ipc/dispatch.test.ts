import { describe, expect, it } from 'vitest';
import { dispatchRequest } from './dispatch';
import type { RequestHandlers } from './contract';
import { MessengerError } from './result';

const calls: unknown[] = [];
const handlers = new Proxy({} as RequestHandlers, {
  get: (_t, name) => async (input: unknown) => {
    calls.push([name, input]);
    if (name === 'account.remove') throw new MessengerError('not-found', 'no such account');
    if (name === 'account.connect') throw new Error('secret-password leaked?');
    return { echoed: input };
  },
});

describe('dispatchRequest', () => {
  it('refuses unknown request names and bad arguments without calling the core', async () => {
    calls.length = 0;
    expect(await dispatchRequest(handlers, 'fs.readFile', {})).toEqual({ ok: false, error: { code: 'invalid-argument', message: 'unknown request' } });
    expect(await dispatchRequest(handlers, '__proto__', {})).toMatchObject({ ok: false });
    const bad = await dispatchRequest(handlers, 'message.send', { accountId: 'a', to: 'not a jid', body: 'x' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(await dispatchRequest(handlers, 'message.send', { accountId: 'a', to: 'b@c', body: 'x', extra: 1 })).toMatchObject({ ok: false });
    expect(await dispatchRequest(handlers, 'account.add', 'string')).toMatchObject({ ok: false });
    expect(calls).toEqual([]);
  });

  it('passes parsed input (normalised JID, defaults) and wraps the value', async () => {
    const r = await dispatchRequest(handlers, 'messages.page', { accountId: 'a', peer: ' Bob@Example.ORG ' });
    expect(r).toEqual({ ok: true, value: { echoed: { accountId: 'a', peer: 'bob@example.org', limit: 100 } } });
  });

  it('turns typed errors into results and hides unexpected ones', async () => {
    expect(await dispatchRequest(handlers, 'account.remove', { accountId: 'a' })).toEqual({
      ok: false,
      error: { code: 'not-found', message: 'no such account' },
    });
    expect(await dispatchRequest(handlers, 'account.connect', { accountId: 'a' })).toEqual({
      ok: false,
      error: { code: 'internal', message: 'internal error' },
    });
  });
});
