// What the core told us about this private conversation, in plain words: a changed key (a warning),
// a message that could not be decrypted and what to do about it, the contact ending the private
// conversation, and messages that wait because they must not go out unencrypted — with the
// user's choices for those: send them unencrypted, discard them, or, when the contact is offline,
// send them privately to the devices the contact published prekeys for (issue 5; the chooser is
// OfflineDialog). Also the notices of that offline start: 'offline-sent' on our side,
// 'offline-start' on the contact's, and 'prekey-server-changed' for the contact's prekey server.
import { useState } from 'react';
import type { OtrNoticeKind, OtrStatus } from '../../src-shared/ipc/otr-contract';
import { useOtr, useOtrState } from './context';
import { Fingerprint } from './Fingerprint';
import { PrekeyServerKeyChoice } from './PrekeyServerKeyChoice';
import { noticeWords } from './notice-words';
import { otrKey } from './otr-store';

const EMPTY: never[] = [];

/** notices that warn (role alert, red): something the user should look at */
const WARNINGS: ReadonlySet<OtrNoticeKind> = new Set(['fingerprint-changed', 'prekey-server-changed']);

export function OtrNotices({ status, onVerify, contactOffline = false }: { status: OtrStatus; onVerify: () => void; contactOffline?: boolean }) {
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
            sent unencrypted. {status.state === 'finished' ? `${peer} ended the private conversation: start a new one to send ${status.queued === 1 ? 'it' : 'them'}.` : status.starting && !status.starting.gaveUp
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
          {contactOffline && <p className="hint">{peer} is offline. Their devices may have left keys on their server so that a private conversation can start now.</p>}
          {error && <p className="error">{error}</p>}
        </div>
      )}
      {shown.map((n) => (
        <div key={n.id} className={`otr-notice otr-${n.kind}`} role={WARNINGS.has(n.kind) ? 'alert' : 'status'} data-notice={n.kind}>
          <p>{noticeWords(n)}</p>
          {n.kind === 'prekey-server-changed' ? (
            <PrekeyServerKeyChoice notice={n} />
          ) : (
            n.fingerprint && (
              <p>
                New fingerprint: <Fingerprint hex={n.fingerprint} />
              </p>
            )
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
