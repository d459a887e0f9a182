// The wake-ups list of an account (issue 14 "Managing wake-ups"): who may wake us and whom we may
// wake, with revoke (the record and our whitelist token go; the contact is told over OTR when a
// private session is up) and re-ask (a new handshake, which the contact must approve again).
import { useState } from 'react';
import type { PushHandshakeStateName, WakeUpInfo } from '../../src-shared/ipc/push-contract';
import { usePush, usePushState } from './context';
import { ErrorAlert } from '../ui/ErrorAlert';

const stateWords: Record<PushHandshakeStateName, string> = {
  none: 'Not asked yet',
  asking: 'Waiting for your answer',
  offered: 'No wake-up possible yet: waiting for their answer',
  'their-offer': 'They asked: waiting for your answer',
  declined: 'No wake-ups (you said no)',
  done: 'You can wake each other',
  revoked: 'No wake-ups (revoked)',
};

const EMPTY: Record<string, WakeUpInfo> = {};

export function WakeUps({ accountId }: { accountId: string }) {
  const { actions } = usePush();
  const list = Object.values(usePushState((s) => s.wakeUps[accountId] ?? EMPTY));
  const [error, setError] = useState<string | null>(null);
  const run = async (p: Promise<{ ok: boolean; error?: { message: string } }>) => {
    setError(null);
    const r = await p;
    if (!r.ok) setError(r.error?.message ?? 'That did not work.');
  };
  if (list.length === 0) return <p className="hint">No wake-ups yet: you are asked in a private conversation with each contact.</p>;
  return (
    <>
      <ul className="push-wakeups" aria-label="Wake-ups">
        {list.map((w) => (
          <li key={w.peer} data-state={w.state}>
            <span>{w.peer}</span> <span className="hint">{stateWords[w.state]}</span>
            {w.canWake ? (
              <button type="button" onClick={() => void run(actions.revoke(accountId, w.peer))}>
                Revoke
              </button>
            ) : (
              (w.state === 'declined' || w.state === 'revoked' || w.state === 'none') && (
                <button type="button" onClick={() => void run(actions.approve(accountId, w.peer))}>
                  Ask again
                </button>
              )
            )}
          </li>
        ))}
      </ul>
      <ErrorAlert error={error} />
    </>
  );
}
