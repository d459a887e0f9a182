// The two places where the account asks a contact's prekey server on its own (issue 13;
// docs/otr-in-the-app.md "No plaintext surprises" and "The contact's device went away"). Both
// fetch ensembles through OtrAccount.offlineDevices (the network outside the OTR order, the
// answer applied in it: otr/service.ts offlineDevices also records "has published prekeys").
import { bareKey } from '../../../src-shared/ipc/jid';
import type { OtrAccount } from './account';

/**
 * How long a message written to a contact nothing is known about waits for the answer of their
 * prekey server (the retrieval's own time-outs are 10 s and more: a silent server must not hold
 * every first message that long).
 */
export const PREKEY_ASK_WAIT_MS = 5_000;

/**
 * Whether a message written now to `peer` must not go in clear (otr/policy.ts mustBePrivate),
 * after asking the contact's prekey server when that alone could change the answer (the
 * opportunistic policy with nothing else known; once per contact, the answer kept:
 * prekey-signal.ts). A failed query is "unknown": the message goes as it would have.
 */
export async function wantsPrivateAsking(otr: OtrAccount, peer: string): Promise<boolean> {
  const decided = await otr.run((s) => (s.asksPrekeys(peer) ? undefined : s.wantsPrivate(peer)));
  if (decided !== undefined) return decided;
  // the lookup's answer is recorded whenever it comes (service.ts offlineDevices); the message
  // waits for it PREKEY_ASK_WAIT_MS at most, then it is "unknown" for now
  const lookup = otr.offlineDevices(peer).then(
    () => true,
    async () => {
      await otr.run((s) => s.prekeysUnknown(peer));
      return true;
    },
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), PREKEY_ASK_WAIT_MS);
    timer.unref?.();
  });
  const answered = await Promise.race([lookup, late]);
  clearTimeout(timer);
  if (!answered) await otr.run((s) => s.prekeysUnknown(peer));
  return otr.run((s) => s.wantsPrivate(peer));
}

/**
 * The contact went offline (the presence of their last device is unavailable; `peer` may be a
 * full JID). When messages to them are unconfirmed, their prekey ensembles are fetched and the
 * offline session is started with them by itself, the messages re-sent in it once (otr/recovery.ts
 * resumeOffline). Nothing published, or the lookup fails: nothing happens now; the interactive
 * path applies when they come back (recovery.ts contactReturned). Never in clear.
 */
export async function recoverWhileAway(otr: OtrAccount, peer: string): Promise<boolean> {
  const bare = bareKey(peer);
  if (!(await otr.run((s) => s.contactLeft(bare)))) return false;
  try {
    const found = await otr.offlineDevices(bare);
    if (found.devices.length === 0) return false;
  } catch {
    await otr.run((s) => s.prekeysUnknown(bare));
    return false;
  }
  return otr.run((s) => s.resumeOffline(bare));
}
