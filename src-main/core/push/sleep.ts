// The "asleep" account state (issue 14 "Handling a knock"; docs/push-in-the-app.md "Asleep,
// offline, online"): the XMPP stream is closed but the desktop channel to the push server stays
// open, so a contact the user approved can wake the account with a knock. What a user expects of
// the three choices:
//   - Online: connected; knocks also arrive (a wake-up then only rotates the key).
//   - Asleep: not on XMPP (contacts see it offline), reachable by wake-ups only. A knock logs it
//     in and it stays online until the user puts it to sleep again.
//   - Offline ("Go offline"): not reachable at all: the desktop channel closes too, and a knock
//     that still arrives (a channel opened by the settings) wakes nothing.
// The choice outlives a restart (accounts.connect_at_start, push-store.ts ASLEEP_AT_START).
import type { AccountInfo } from '../../../src-shared/ipc/contract';
import { MessengerError } from '../../../src-shared/ipc/result';
import type { AccountSession } from '../account/session';
import type { PushService } from './service';

export interface SleepDeps {
  push: PushService;
  /** the account's session, or a typed error (not-found, keychain-unavailable) */
  session(accountId: string): AccountSession;
  /** stops the background reconnection of the account, if one is waiting */
  cancelRetry(accountId: string): void;
}

/** push.sleep: offline on XMPP, the desktop channel kept (opened if it was closed) */
export async function putToSleep(d: SleepDeps, accountId: string): Promise<AccountInfo> {
  const s = d.session(accountId);
  if (!d.push.settings(accountId).apiEndpoint)
    throw new MessengerError(
      'invalid-argument',
      'Wake-ups are off for this account: turn them on in its Wake-ups section first. Until then, "Go offline" is the only way to be offline.',
    );
  d.cancelRetry(accountId);
  d.push.store.setStartState(accountId, 'asleep');
  const info = await s.sleep();
  // a channel that cannot open shows its own state (push.status); the account is asleep anyway
  await d.push.resumeAccount(accountId).catch(() => {});
  return info;
}

/** account.disconnect ("Go offline"): not reachable at all, so the desktop channel closes too */
export async function goOffline(push: PushService, accountId: string): Promise<void> {
  await push.suspend(accountId);
}

/** account.connect, and a wake-up: the account is online again and stays so across restarts */
export function wokeUp(push: PushService, accountId: string): void {
  push.store.setStartState(accountId, 'online');
  void push.resumeAccount(accountId).catch(() => {});
}

/** wake-ups turned off: an asleep account could no longer be woken, so it is plainly offline */
export async function wakeUpsTurnedOff(d: SleepDeps, accountId: string): Promise<void> {
  const s = d.session(accountId);
  if (!s.info().asleep) return;
  d.push.store.setStartState(accountId, 'offline');
  await s.disconnect();
}
