// The key a prekey server presents now, after it changed from the one pinned on first use
// (a 'prekey-server-changed' notice: our own server's, or a contact's), and the choice to accept
// it. Accepting replaces the pin (otr.prekeyServer.trust); it should follow a check with the
// server's administrator, since a changed key is also what someone in between would present.
import { useState } from 'react';
import type { OtrNotice } from '../../src-shared/ipc/otr-contract';
import { plainWords } from '../errors';
import { useOtr } from './context';
import { Fingerprint } from './Fingerprint';

export function PrekeyServerKeyChoice({ notice }: { notice: OtrNotice }) {
  const { actions } = useOtr();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!notice.server || !notice.fingerprint) return null;
  const accept = async () => {
    setBusy(true);
    setError(null);
    const r = await actions.trustPrekeyServer(notice);
    setBusy(false);
    if (!r.ok) setError(plainWords(r.error));
  };
  return (
    <>
      <p>
        The key {notice.server} presents now: <Fingerprint hex={notice.fingerprint} label={`New key of ${notice.server}`} />
      </p>
      <div className="row">
        <button type="button" disabled={busy} onClick={() => void accept()}>
          Accept the new key
        </button>
      </div>
      <p className="hint">Accept it only if the server's administrator confirms this key.</p>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </>
  );
}
