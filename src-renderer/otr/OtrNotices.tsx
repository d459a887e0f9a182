// What the core told us about this private conversation, in plain words: a changed key (a warning),
// a message that could not be decrypted and what to do about it, the contact ending the private
// conversation, and messages that wait because they must not go out unencrypted — with the
// user's choices for those.
import { useState } from 'react';
import type { OtrStatus } from '../../src-shared/ipc/otr-contract';
import { useOtr, useOtrState } from './context';
import { Fingerprint } from './Fingerprint';
import { otrKey } from './otr-store';

const EMPTY: never[] = [];

export function OtrNotices({ status, onVerify }: { status: OtrStatus; onVerify: () => void }) {
  const { actions } = useOtr();
  const { accountId, peer } = status;
  const notices = useOtrState((s) => s.notices[otrKey(accountId, peer)] ?? EMPTY);
  const [error, setError] = useState<string | null>(null);
  const resolve = async (action: 'send-in-clear' | 'discard') => {
    setError(null);
    const r = await actions.resolveQueue(accountId, peer, action);
    if (!r.ok) setError(r.error.message);
  };
  // transient notices the header already shows as state are not repeated
  const shown = notices.filter((n) => n.kind !== 'queued' && n.kind !== 'smp-succeeded' && n.kind !== 'smp-failed');
  return (
    <div className="otr-notices">
      {status.queued > 0 && (
        <div className="otr-notice otr-queued" role="alert" data-testid="otr-queued">
          <p>
            {status.queued === 1 ? 'One message waits' : `${status.queued} messages wait`} for a private conversation with {peer}; {status.queued === 1 ? 'it was' : 'they were'} not
            sent unencrypted. {status.state === 'finished' ? `${peer} ended the private conversation: start a new one to send ${status.queued === 1 ? 'it' : 'them'}.` : 'They go out as soon as the private conversation is up.'}
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
          </div>
          {error && <p className="error">{error}</p>}
        </div>
      )}
      {shown.map((n) => (
        <div key={n.id} className={`otr-notice otr-${n.kind}`} role={n.kind === 'fingerprint-changed' ? 'alert' : 'status'} data-notice={n.kind}>
          <p>{n.message}</p>
          {n.fingerprint && (
            <p>
              New fingerprint: <Fingerprint hex={n.fingerprint} />
            </p>
          )}
          <div className="row">
            {n.kind === 'fingerprint-changed' && (
              <button type="button" className="primary" onClick={onVerify}>
                Verify now
              </button>
            )}
            <button type="button" onClick={() => actions.dismiss(accountId, peer, n.id)}>
              Dismiss
            </button>
          </div>
        </div>
      ))}
    </div>
  );
}
