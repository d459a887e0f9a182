// Our request for a private conversation while nothing answered it (issue 11 item 6): how long
// ago it went, and once the core gave up waiting (status.starting.gaveUp; a 'start-unanswered' or
// 'older-version-refused' notice says why) the choices: ask again and keep waiting, send the
// waiting messages unencrypted (only on this click), or start through the contact's prekeys
// (OfflineDialog opens with their devices).
import { useEffect, useState } from 'react';
import type { OtrStatus } from '../../src-shared/ipc/otr-contract';
import { useOtr } from './context';
import { ErrorAlert } from '../ui/ErrorAlert';

/** the seconds since `since`, refreshed every second while shown */
function useSecondsSince(since: number, running: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [running, since]);
  return Math.max(0, Math.round((now - since) / 1000));
}

export function StartProgress({ status }: { status: OtrStatus }) {
  const { actions } = useOtr();
  const { accountId, peer, starting } = status;
  const [error, setError] = useState<string | null>(null);
  const seconds = useSecondsSince(starting?.sentAt ?? 0, !!starting && !starting.gaveUp);
  if (!starting || status.state === 'private-unverified' || status.state === 'private-verified') return null;
  const act = async (p: Promise<{ ok: boolean; error?: { message: string } }>) => {
    setError(null);
    const r = await p;
    if (!r.ok) setError(r.error?.message ?? 'That did not work.');
  };
  if (!starting.gaveUp) {
    return (
      <p className="otr-starting" role="status" data-testid="otr-starting">
        Starting a private conversation… (sent the request {seconds} s ago)
      </p>
    );
  }
  const canSendInClear = status.queued > 0 && status.policy !== 'always';
  return (
    <div className="otr-notice otr-start-unanswered" role="alert" data-testid="otr-start-unanswered">
      <p>
        No private conversation with {peer}: their client did not answer.
        {status.queued > 0 ? ` ${status.queued === 1 ? 'One message waits' : `${status.queued} messages wait`}; nothing is sent until you choose.` : ''}
      </p>
      <div className="row">
        <button type="button" onClick={() => void act(actions.start(accountId, peer))}>
          Keep waiting (ask again)
        </button>
        {canSendInClear && (
          <button type="button" onClick={() => void act(actions.resolveQueue(accountId, peer, 'send-in-clear'))}>
            Send {status.queued === 1 ? 'it' : `these ${status.queued}`} unencrypted
          </button>
        )}
        <button type="button" onClick={() => void act(actions.offlineDevices(accountId, peer))}>
          Start through their prekeys
        </button>
      </div>
      <ErrorAlert error={error} />
    </div>
  );
}
