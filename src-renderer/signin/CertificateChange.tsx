// A changed server certificate of an existing account (issue 15, "Certificates"): the account
// trusted exactly one certificate (pinned by its SHA-256, src-main/core/xmpp/starttls/
// certificate.ts), and its server now presents another, so the connection was refused. This
// dialog shows the fingerprint trusted until now beside the new certificate's details, with the
// same warning and the same tick-first choice as at sign-in (CertificateChoice.tsx): a new
// certificate is usually a renewal, but it is also exactly what someone intercepting the
// connection would present. Trusting it replaces the pin and connects.
import { useEffect, useId, useState } from 'react';
import type { AccountCertificate } from '../../src-shared/ipc/everyday-contract';
import { useApp } from '../context';
import { plainWords } from '../errors';
import { Dialog } from '../ui/Dialog';
import { ErrorAlert } from '../ui/ErrorAlert';
import { CertificateDetailsList, problemWords } from './CertificateChoice';
import './signin.css';

export function CertificateChange({ accountId, jid, onClose }: { accountId: string; jid: string; onClose: () => void }) {
  const { actions } = useApp();
  const [seen, setSeen] = useState<AccountCertificate | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [checked, setChecked] = useState(false);
  const [busy, setBusy] = useState(false);
  const ids = { check: useId(), desc: useId() };
  useEffect(() => {
    let gone = false;
    void actions.serverCertificate(accountId).then((r) => {
      if (gone) return;
      if (r.ok) setSeen(r.value);
      else setError(plainWords(r.error));
    });
    return () => {
      gone = true;
    };
  }, [actions, accountId]);

  const trust = async () => {
    if (!seen) return;
    setBusy(true);
    setError(null);
    const r = await actions.trustCertificate(accountId, seen.current.sha256);
    setBusy(false);
    if (r.ok) onClose();
    else setError(plainWords(r.error));
  };
  const cert = seen?.current;
  const same = seen !== null && seen.pinned === cert?.sha256;
  return (
    <Dialog title={`Server certificate of ${jid}`} onClose={onClose} busy={busy} className="certificate-dialog" describedBy={ids.desc} closeButton>
      <div className="certificate">
        {!seen ? (
          <p id={ids.desc} role="status">
            {error ? 'The certificate could not be fetched.' : 'Fetching the certificate the server presents now…'}
          </p>
        ) : (
          <>
            <p id={ids.desc}>
              {seen.pinned === null
                ? `You have not trusted a certificate of ${cert!.server} by hand.`
                : same
                  ? `${cert!.server} presents the certificate you trusted.`
                  : `${cert!.server} presents a different certificate from the one you trusted, so the messenger did not connect.`}
            </p>
            {seen.pinned !== null && (
              <>
                <h3>Trusted until now</h3>
                <p className="certificate-old">
                  <code className="certificate-fingerprint" data-testid="certificate-pinned">
                    {seen.pinned}
                  </code>
                </p>
              </>
            )}
            <h3>Presented now</h3>
            {cert!.problem && <p>{problemWords(cert!.problem)}</p>}
            <CertificateDetailsList cert={cert!} />
            {!same && (
              <>
                <p className="certificate-warning" role="note">
                  A server gets a new certificate when the old one expires or is replaced. But a different certificate is also what someone intercepting the
                  connection would show. Trust it only if the server&apos;s administrator confirms this fingerprint.
                </p>
                <label htmlFor={ids.check} className="check">
                  <input id={ids.check} type="checkbox" checked={checked} onChange={(e) => setChecked(e.target.checked)} /> I have checked the new fingerprint
                  with the server&apos;s administrator
                </label>
                <div className="actions">
                  <button type="button" className="danger" disabled={!checked || busy} onClick={() => void trust()}>
                    {busy ? 'Connecting…' : 'Trust the new certificate and connect'}
                  </button>
                </div>
              </>
            )}
          </>
        )}
      </div>
      <ErrorAlert error={error} />
    </Dialog>
  );
}
