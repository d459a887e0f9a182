// The end of the timeline: what waits for an answer now. Messages that must not go out in clear
// wait for a private conversation (send them unencrypted, discard them, or — the contact being
// offline — send them privately to the devices the contact published prekeys for, issue 5); and,
// after such an offline start, which devices what we write goes to.
import { useState } from 'react';
import type { OtrStatus } from '../../src-shared/ipc/otr-contract';
import { useOtr } from '../otr/context';
import { StartProgress } from '../otr/StartProgress';

export function Waiting({ status, contactOffline }: { status: OtrStatus; contactOffline: boolean }) {
  const { actions } = useOtr();
  const { accountId, peer } = status;
  const [error, setError] = useState<string | null>(null);
  const resolve = async (action: 'send-in-clear' | 'discard') => {
    setError(null);
    const r = await actions.resolveQueue(accountId, peer, action);
    if (!r.ok) setError(r.error.message);
  };
  const devices = status.offlineDevices?.length ?? 0;
  if (status.queued === 0 && devices === 0 && !status.starting) return null;
  return (
    <div className="timeline-end">
      {/* our request for a private conversation: progress, then the choices once nothing answered (issue 11 item 6) */}
      <StartProgress status={status} />
      {devices > 0 && (
        <p
          className="event otr-offline-sent"
          data-testid="otr-offline-devices"
          title="Started from the keys their devices left on their server (OTRv4 non-interactive start)"
        >
          Sent privately to {devices === 1 ? 'one device' : `${devices} devices`} of {peer} while they are offline. What you write next goes to the same{' '}
          {devices === 1 ? 'device' : 'devices'} until they answer.
        </p>
      )}
      {status.queued > 0 && (
        <section className="event otr-notice otr-queued warning" role="alert" aria-label="Waiting messages" data-testid="otr-queued">
          <p>
            {status.queued === 1 ? 'One message waits' : `${status.queued} messages wait`} for a private conversation with {peer};{' '}
            {status.queued === 1 ? 'it was' : 'they were'} not sent unencrypted.{' '}
            {status.state === 'finished'
              ? `${peer} ended the private conversation: start a new one to send ${status.queued === 1 ? 'it' : 'them'}.`
              : status.starting && !status.starting.gaveUp
                ? 'They go out as soon as the private conversation is up; the messenger is starting it.'
                : 'No private conversation is being started now: they go out only when one is up, or when you choose below.'}
          </p>
          <div className="row">
            {status.policy !== 'always' && (
              <button type="button" onClick={() => void resolve('send-in-clear')}>
                Send unencrypted
              </button>
            )}
            <button type="button" onClick={() => void resolve('discard')}>
              Discard
            </button>
            {contactOffline && (
              // the fetch runs here, once per click: each prekey ensemble is handed out only once
              <button type="button" className="primary" onClick={() => void actions.offlineDevices(accountId, peer)}>
                Send privately to their devices
              </button>
            )}
          </div>
          {contactOffline && (
            <p className="hint">{peer} is offline. Their devices may have left keys on their server so that a private conversation can start now.</p>
          )}
          {error && <p className="error">{error}</p>}
        </section>
      )}
    </div>
  );
}
