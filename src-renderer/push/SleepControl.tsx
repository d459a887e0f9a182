// "Put to sleep" next to an account's Connect / Go offline (issue 14; docs/push-in-the-app.md
// "Asleep, offline, online"): asleep is offline on XMPP but reachable by the contacts the user
// approved for wake-ups. Offered only while wake-ups are on for the account; "Connect" (beside
// it) and a contact's knock bring the account back online.
import { useEffect, useState } from 'react';
import type { AccountInfo } from '../../src-shared/ipc/contract';
import { usePush, usePushState } from './context';
import { ErrorAlert } from '../ui/ErrorAlert';

/** the account's state in plain words when it is asleep */
export const ASLEEP_WORDS = 'Asleep: offline, but contacts you approved can wake it';

export function SleepControl({ account }: { account: AccountInfo }) {
  const { actions } = usePush();
  const wakeUpsOn = usePushState((s) => !!s.settings[account.id]?.apiEndpoint);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    void actions.loadSettings(account.id);
  }, [actions, account.id]);
  if (!wakeUpsOn || account.asleep) return null;
  const sleep = async () => {
    setError(null);
    const r = await actions.sleep(account.id);
    if (!r.ok) setError(r.error.message);
  };
  return (
    <>
      <button type="button" className="link" title="Go offline, but let contacts you approved wake this computer" onClick={() => void sleep()}>
        Put to sleep
      </button>
      <ErrorAlert error={error} inline />
    </>
  );
}
