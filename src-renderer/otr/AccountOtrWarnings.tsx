// Warnings about the account itself rather than one conversation: the prekey server of our own
// XMPP server presented a key other than the one pinned on first use ('prekey-server-changed' with
// peer = our own bare JID). Then nothing is published there, so contacts cannot start a private
// conversation with us while we are offline (otrv4-prekey-server.md §"Publishing Prekey
// Ensembles": the client checks the server's identity before it publishes). Shown under the
// account in the sidebar, because it concerns every contact. The warning shows the key the server
// presents now; the user may accept it (otr.prekeyServer.trust) once their server's administrator
// confirms it, and this device publishes again.
// OwnDevicesButton: the account's "Your devices…" (the devices page for oneself, issue 15), in the
// account's panel of the sidebar.
import { useState } from 'react';
import { DevicesDialog } from '../devices/DevicesDialog';
import { bareKey } from '../../src-shared/ipc/jid';
import { PrekeyServerKeyChoice } from './PrekeyServerKeyChoice';
import { useOtr, useOtrState } from './context';
import { noticeWords } from './notice-words';
import { otrKey } from './otr-store';

const EMPTY: never[] = [];

export function AccountOtrWarnings({ accountId, jid }: { accountId: string; jid: string }) {
  const { actions } = useOtr();
  const own = bareKey(jid);
  const notices = useOtrState((s) => s.notices[otrKey(accountId, own)] ?? EMPTY);
  const shown = notices.filter((n) => n.kind === 'prekey-server-changed');
  return (
    <>
      {shown.map((n) => (
        <div key={n.id} className="otr-notice otr-prekey-server-changed" role="alert" aria-label="Offline messages warning" data-notice={n.kind}>
          <p>{noticeWords(n)}</p>
          <p className="hint">Until this is sorted out, your contacts cannot start a private conversation with you while you are offline.</p>
          <PrekeyServerKeyChoice notice={n} />
          <div className="row">
            <button type="button" onClick={() => actions.dismiss(accountId, own, n.id)}>
              Dismiss
            </button>
          </div>
        </div>
      ))}
    </>
  );
}

export function OwnDevicesButton({ accountId, jid }: { accountId: string; jid: string }) {
  const [devices, setDevices] = useState(false);
  return (
    <>
      <button type="button" className="link" onClick={() => setDevices(true)}>
        Your devices…
      </button>
      {devices && <DevicesDialog accountId={accountId} accountJid={jid} onClose={() => setDevices(false)} />}
    </>
  );
}
