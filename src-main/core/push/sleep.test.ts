// The three account states of push/sleep.ts with a fake push service and session: what each
// transition asks of them, in order (the real ones: wake.integration.test.ts).
import { describe, expect, it } from 'vitest';
import type { AccountSession } from '../account/session';
import type { PushService } from './service';
import { goOffline, putToSleep, wakeUpsTurnedOff, wokeUp, type SleepDeps } from './sleep';

function fakes(opts: { wakeUpsOn: boolean; asleep?: boolean }) {
  const calls: string[] = [];
  let asleep = opts.asleep ?? false;
  const push = {
    settings: () => ({ apiEndpoint: opts.wakeUpsOn ? 'https://push.a.test/api/v1/' : null }),
    store: { setStartState: (_a: string, state: string) => calls.push(`start ${state}`) },
    resumeAccount: async () => void calls.push('channel open'),
    suspend: async () => void calls.push('channel closed'),
  } as unknown as PushService;
  const session = {
    info: () => ({ id: 'acc', jid: 'bob@b.test', status: 'offline', ...(asleep ? { asleep } : {}) }),
    sleep: async () => {
      calls.push('xmpp closed (asleep)');
      asleep = true;
      return session.info();
    },
    disconnect: async () => {
      calls.push('xmpp closed');
      asleep = false;
      return session.info();
    },
  } as unknown as AccountSession;
  const d: SleepDeps = { push, session: () => session, cancelRetry: () => calls.push('retry cancelled') };
  return { calls, d, push };
}

describe('asleep, offline, online', () => {
  it('asleep: no reconnection, the choice kept, XMPP closed, the desktop channel open', async () => {
    const f = fakes({ wakeUpsOn: true });
    expect(await putToSleep(f.d, 'acc')).toMatchObject({ status: 'offline', asleep: true });
    expect(f.calls).toEqual(['retry cancelled', 'start asleep', 'xmpp closed (asleep)', 'channel open']);
  });

  it('asleep needs wake-ups on: a plain-words error, nothing changed', async () => {
    const f = fakes({ wakeUpsOn: false });
    await expect(putToSleep(f.d, 'acc')).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringContaining('Wake-ups are off') });
    expect(f.calls).toEqual([]);
  });

  it('offline closes the channel; online (and a wake-up) keeps the choice and reopens it', async () => {
    const f = fakes({ wakeUpsOn: true });
    await goOffline(f.push, 'acc');
    wokeUp(f.push, 'acc');
    await Promise.resolve();
    expect(f.calls).toEqual(['channel closed', 'start online', 'channel open']);
  });

  it('wake-ups turned off while asleep: the account is plainly offline; an online one is left alone', async () => {
    const f = fakes({ wakeUpsOn: false, asleep: true });
    await wakeUpsTurnedOff(f.d, 'acc');
    expect(f.calls).toEqual(['start offline', 'xmpp closed']);
    const g = fakes({ wakeUpsOn: false });
    await wakeUpsTurnedOff(g.d, 'acc');
    expect(g.calls).toEqual([]);
  });
});
