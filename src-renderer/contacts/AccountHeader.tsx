// One account's header in the sidebar, kept to two lines so that the conversation list stays the
// dominant element of the sidebar (issue 15, "everyday use": at 800x600 the account's own controls
// crowded the list out). The address and its connection state are always shown, with one's own
// status when it is not plain "Available", and whatever needs the user's attention (an error, the
// prekey server's changed key, a server certificate that changed: signin/CertificateChange.tsx).
// Everything else about the account — own status, Go offline / Connect, Put to sleep, wake-ups,
// own devices, blocked addresses, Remove account — sits behind one "Account" disclosure button (WAI-ARIA Authoring Practices §"Disclosure Pattern"): a person
// opens it when they mean to change the account, not on every glance at their contacts.
import { useId, useState } from 'react';
import type { AccountInfo } from '../../src-shared/ipc/contract';
import { useApp, useAppState } from '../context';
import { plainWords } from '../errors';
import { AccountOtrWarnings, OwnDevicesButton } from '../otr';
import { ASLEEP_WORDS, PushSettings, SleepControl } from '../push';
import { Dialog } from '../ui/Dialog';
import { OwnPresence, showWords } from './OwnPresence';
import { BlockedList } from './BlockedList';
import { CertificateChange } from '../signin/CertificateChange';
import { ErrorAlert } from '../ui/ErrorAlert';

const statusWords = { online: 'Online', connecting: 'Connecting…', offline: 'Offline', error: 'Not connected' } as const;

/** one's own status in words, or null when it is the default (available, no message) */
function OwnStatusLine({ accountId }: { accountId: string }) {
  const own = useAppState((s) => s.ownPresence[accountId]);
  if (!own || (own.show === 'online' && own.status === '')) return null;
  return (
    <p className="account-own hint">
      You appear {showWords[own.show].toLowerCase()}
      {own.status ? `: ${own.status}` : ''}
    </p>
  );
}

export function AccountHeader({ account }: { account: AccountInfo }) {
  const { actions } = useApp();
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [open, setOpen] = useState(false);
  const [checkingCert, setCheckingCert] = useState(false);
  const panelId = useId();
  // the server presented a certificate the account does not trust (a changed pin, or one the
  // system stopped vouching for): its details and the choice, one click from the status line
  const certProblem = account.status === 'error' && account.error?.code === 'certificate-untrusted';
  const remove = async () => {
    setError(null);
    const r = await actions.removeAccount(account.id);
    if (!r.ok) setError(plainWords(r.error));
    setConfirming(false);
  };
  const toggle = async () => {
    setError(null);
    const r = account.status === 'online' || account.status === 'connecting' ? await actions.disconnect(account.id) : await actions.connect(account.id);
    if (!r.ok) setError(plainWords(r.error));
  };
  const statusText =
    account.status === 'error' && account.error
      ? `${statusWords.error}: ${plainWords({ code: account.error.code as never, message: account.error.message })}`
      : account.asleep
        ? ASLEEP_WORDS
        : statusWords[account.status];
  return (
    <div className="account">
      <div className="account-top">
        <div className="account-id">
          <div className="account-jid" title={account.jid}>
            {account.jid}
          </div>
          <div className={`account-status status-${account.asleep ? 'asleep' : account.status}`} role="status" aria-label="Connection">
            <span className="dot" aria-hidden="true" />
            {statusText}
          </div>
        </div>
        <button type="button" className="account-toggle" aria-expanded={open} aria-controls={panelId} onClick={() => setOpen((o) => !o)}>
          Account
          <span aria-hidden="true" className="chevron">
            {open ? '▴' : '▾'}
          </span>
        </button>
      </div>
      <OwnStatusLine accountId={account.id} />
      {certProblem && (
        <button type="button" className="link" onClick={() => setCheckingCert(true)}>
          Check the server&apos;s certificate…
        </button>
      )}
      {checkingCert && <CertificateChange accountId={account.id} jid={account.jid} onClose={() => setCheckingCert(false)} />}
      <ErrorAlert error={error} />
      <AccountOtrWarnings accountId={account.id} jid={account.jid} />
      <div id={panelId} className="account-panel" role="group" aria-label={`Settings of ${account.jid}`} hidden={!open}>
        {account.status === 'online' && <OwnPresence accountId={account.id} />}
        <div className="row wrap">
          <button type="button" className="link" onClick={() => void toggle()}>
            {account.status === 'online' || account.status === 'connecting' ? 'Go offline' : 'Connect'}
          </button>
          <SleepControl account={account} />
          <OwnDevicesButton accountId={account.id} jid={account.jid} />
          <BlockedList accountId={account.id} accountJid={account.jid} />
          <button type="button" className="link danger-link" onClick={() => setConfirming(true)}>
            Remove account
          </button>
        </div>
        <PushSettings accountId={account.id} jid={account.jid} />
      </div>
      {confirming && (
        // Cancel has the focus first: the destructive choice is never one Enter away
        <Dialog title="Remove account" onClose={() => setConfirming(false)} className="confirm">
          <p>Remove {account.jid} and its messages from this computer? The account stays on the server.</p>
          <div className="row">
            <button type="button" className="danger" onClick={() => void remove()}>
              Remove
            </button>
            <button type="button" data-autofocus onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </Dialog>
      )}
    </div>
  );
}
