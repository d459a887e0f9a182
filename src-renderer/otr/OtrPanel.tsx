// The OTR part of a conversation's header: the state badge, the actions (start / refresh / end a
// private conversation, verify), the verification dialog (opened by itself when the contact
// asks us to verify), the notices, and — after a private conversation was started with an
// offline contact's devices (issue 5) — which devices what we write goes to, with the chooser of
// those devices (OfflineDialog).
import { useEffect, useState } from 'react';
import { useOtr, useOtrStatus } from './context';
import { OfflineDialog } from './OfflineDialog';
import { OtrBadge } from './OtrBadge';
import { OtrNotices } from './OtrNotices';
import { OtrSettings } from './OtrSettings';
import { StartProgress } from './StartProgress';
import { VerifyDialog } from './VerifyDialog';

/**
 * `contactOffline`: the contact has no online presence (and our account is online), so the
 * waiting messages can be sent to the devices the contact published prekeys for.
 * `accountJid`: our account's address, given when the window has several accounts (the settings
 * then say which account's keys and policy they show).
 */
export function OtrPanel({ accountId, peer, contactOffline = false, accountJid }: { accountId: string; peer: string; contactOffline?: boolean; accountJid?: string }) {
  const { actions } = useOtr();
  const status = useOtrStatus(accountId, peer);
  const [dialog, setDialog] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    void actions.load(accountId, peer);
  }, [actions, accountId, peer]);
  // the contact asked us to verify: open the dialog so the question is seen
  const asked = status?.smp.phase === 'asked';
  useEffect(() => {
    if (asked) setDialog(true);
  }, [asked]);

  if (!status) return null;
  const isPrivate = status.state === 'private-unverified' || status.state === 'private-verified';
  const act = async (p: Promise<{ ok: boolean; error?: { message: string } }>) => {
    setError(null);
    const r = await p;
    if (!r.ok) setError(r.error?.message ?? 'That did not work.');
  };
  return (
    <div className="otr-panel">
      <div className="row">
        <OtrBadge state={status.state} version={status.version} />
        {status.state === 'not-private' && (
          <button type="button" onClick={() => void act(actions.start(accountId, peer))}>
            Start private conversation
          </button>
        )}
        {status.state === 'finished' && (
          <button type="button" className="primary" onClick={() => void act(actions.start(accountId, peer))}>
            Restart private conversation
          </button>
        )}
        {isPrivate && (
          <button type="button" onClick={() => void act(actions.start(accountId, peer))}>
            Refresh private conversation
          </button>
        )}
        {status.state !== 'not-private' && (
          <button type="button" onClick={() => void act(actions.end(accountId, peer))}>
            End private conversation
          </button>
        )}
        {isPrivate && (
          <button type="button" className={status.state === 'private-unverified' ? 'primary' : ''} onClick={() => setDialog(true)}>
            {status.state === 'private-verified' ? 'Verification…' : 'Verify contact'}
          </button>
        )}
      </div>
      {status.offlineDevices && status.offlineDevices.length > 0 && (
        <p className="otr-offline-sent" data-testid="otr-offline-devices" title="Started from the keys their devices left on their server (OTRv4 non-interactive start)">
          Sent privately to {status.offlineDevices.length === 1 ? 'one device' : `${status.offlineDevices.length} devices`} of {peer} while they are offline. What you write
          next goes to the same {status.offlineDevices.length === 1 ? 'device' : 'devices'} until they answer.
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <StartProgress status={status} />
      <OtrSettings status={status} accountJid={accountJid} />
      <OtrNotices status={status} onVerify={() => setDialog(true)} contactOffline={contactOffline} />
      {dialog && <VerifyDialog status={status} onClose={() => setDialog(false)} />}
      <OfflineDialog status={status} />
    </div>
  );
}
