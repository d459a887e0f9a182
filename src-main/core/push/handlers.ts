// The core's answers to the push requests of the IPC contract (src-shared/ipc/push-contract.ts),
// and the mapping of the push service's events to the contract's events. Inputs arrive parsed by
// their zod schemas; errors of the handshake become MessengerErrors in plain words.
import type { PushEventPayloads, PushParsedRequest, PushRequestName, PushRequestOutputs, WakeUpInfo } from '../../../src-shared/ipc/push-contract';
import { MessengerError } from '../../../src-shared/ipc/result';
import type { EventPayloads } from '../../../src-shared/ipc/contract';
import { PushHandshakeError } from './errors';
import type { PushEvent, PushService } from './service';
import { putToSleep, wakeUpsTurnedOff, type SleepDeps } from './sleep';

export type PushRequestHandlers = { [K in PushRequestName]: (input: PushParsedRequest<K>) => Promise<PushRequestOutputs[K]> };

function plain(e: unknown): never {
  if (e instanceof PushHandshakeError) {
    const code = e.code === 'no-private-session' ? 'not-connected' : e.code === 'no-push-account' ? 'not-found' : 'invalid-argument';
    throw new MessengerError(
      code,
      e.code === 'no-private-session' ? 'Wake-ups are agreed inside a private conversation: start one with this contact first.' : e.message,
    );
  }
  throw e;
}

/** a push server's answers and network failures, in plain words (never the server's body) */
function plainServer(e: unknown): never {
  if (e instanceof MessengerError) throw e;
  const status = (e as { status?: unknown }).status;
  if (typeof status === 'number' && status === 401) throw new MessengerError('auth-failed', 'The push server refused this push name and password.');
  if (typeof status === 'number' && status === 429)
    throw new MessengerError('server-unreachable', 'The push server asks to wait a moment (too many attempts).');
  if (typeof status === 'number' && status >= 400) throw new MessengerError('registration-refused', `The push server refused the request (HTTP ${status}).`);
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && /CERT|SELF_SIGNED|ALTNAME/.test(code))
    throw new MessengerError('certificate-untrusted', "The push server's certificate is not trusted.");
  throw new MessengerError('server-unreachable', 'The push server cannot be reached.');
}

export function pushRequestHandlers(push: PushService, known: (accountId: string) => void, sleep: SleepDeps): PushRequestHandlers {
  const entry = (accountId: string, peer: string): WakeUpInfo => {
    const e = push.wakeUps(accountId).find((w) => w.peer === peer);
    return {
      accountId,
      peer,
      state: e?.state ?? 'none',
      canWake: e?.canWake ?? false,
      ...(e?.rotatedAt ? { rotatedAt: e.rotatedAt } : {}),
      ...(e?.otrVersion ? { otrVersion: e.otrVersion } : {}),
    };
  };
  return {
    'push.settings.get': async ({ accountId }) => (known(accountId), push.settings(accountId)),
    'push.settings.set': async ({ accountId, apiEndpoint, pushName, password, create }) => {
      known(accountId);
      return push.configure(accountId, { apiEndpoint, pushName, password, create }).catch(plainServer);
    },
    'push.settings.disable': async ({ accountId }) => {
      known(accountId);
      const off = await push.disable(accountId);
      await wakeUpsTurnedOff(sleep, accountId);
      return off;
    },
    'push.handshake.approve': async ({ accountId, peer }) => {
      known(accountId);
      await push.approve(accountId, peer).catch(plain);
      return entry(accountId, peer);
    },
    'push.handshake.decline': async ({ accountId, peer }) => {
      known(accountId);
      push.decline(accountId, peer);
      return entry(accountId, peer);
    },
    'push.wakeups.list': async ({ accountId }) => (known(accountId), push.wakeUps(accountId).map((w) => entry(accountId, w.peer))),
    'push.wakeups.revoke': async ({ accountId, peer }) => {
      known(accountId);
      await push.revoke(accountId, peer).catch(plain);
      return entry(accountId, peer);
    },
    'push.sleep': async ({ accountId }) => putToSleep(sleep, accountId),
  };
}

type Emit = <K extends keyof PushEventPayloads>(name: K, payload: EventPayloads[K]) => void;

const RECORD_TEXT = {
  stored: ['record-stored', 'You and this contact can now wake each other.'],
  rotated: ['record-rotated', 'The wake-up key with this contact was renewed.'],
  revoked: ['record-revoked', 'Wake-ups with this contact are revoked.'],
  'revoked-by-contact': ['record-revoked-by-contact', 'This contact revoked wake-ups: no wake-up is possible.'],
} as const;

/** PushEvent -> the contract's events (push.status, push.prompt, push.notice, push.wakeup). */
export function forwardPushEvent(push: PushService, emit: Emit, e: PushEvent): void {
  switch (e.type) {
    case 'channel':
      emit('push.status', { ...push.settings(e.accountId), status: e.status, ...(e.detail ? { detail: e.detail } : {}) });
      return;
    case 'prompt':
      emit('push.prompt', { accountId: e.accountId, peer: e.peer, reason: e.reason });
      return;
    case 'state': {
      const w = push.wakeUps(e.accountId).find((x) => x.peer === e.peer);
      emit('push.wakeup', {
        accountId: e.accountId,
        peer: e.peer,
        state: e.state,
        canWake: w?.canWake ?? false,
        ...(w?.rotatedAt ? { rotatedAt: w.rotatedAt } : {}),
        ...(w?.otrVersion ? { otrVersion: w.otrVersion } : {}),
      });
      return;
    }
    case 'record': {
      const [kind, message] = RECORD_TEXT[e.change];
      emit('push.notice', { accountId: e.accountId, peer: e.peer, kind, message });
      return;
    }
    case 'refused':
      emit('push.notice', {
        accountId: e.accountId,
        peer: e.peer,
        kind: 'handshake-refused',
        message: `A wake-up request from this contact was refused and nothing was stored (${e.code}).`,
      });
      return;
    case 'wake-requested':
      return; // app-wiring.ts says "woken by" once it knows the account is woken (not offline by choice)
    case 'knock-sent':
      emit('push.notice', { accountId: e.accountId, peer: e.peer, kind: 'knock-sent', message: `Woke ${e.peer}'s devices.` });
      return;
    case 'knock-dropped':
      return; // logged by the service; nothing for the user
  }
}
