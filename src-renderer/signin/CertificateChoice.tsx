// An untrusted server certificate at sign-in (issue 15, "Certificates"; core:
// src-main/core/xmpp/starttls/certificate.ts), as Gajim does it: the certificate's details, a clear
// warning, and the choice to trust exactly this certificate for this server only. The choice
// needs a tick first ("I have checked…"), so it is never one click away; it is pinned for the
// account, and a different certificate later is refused with a warning.
import { useId, useState } from 'react';
import type { ServerCertificate } from '../../src-shared/ipc/contract';
import './signin.css';

const when = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** common OpenSSL verification codes in plain words; others are shown as they are */
const problems: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'No authority your system trusts has signed it.',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'No authority your system trusts has signed it.',
  SELF_SIGNED_CERT_IN_CHAIN: 'It is signed by an authority your system does not trust.',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'It is self-signed: nobody vouches for it.',
  CERT_HAS_EXPIRED: 'It has expired.',
  CERT_NOT_YET_VALID: 'It is not valid yet.',
  ERR_TLS_CERT_ALTNAME_INVALID: 'It is made out for another name than this server.',
};

/** subject, issuer, SHA-256 fingerprint and validity of a certificate (also the changed-certificate dialog's) */
export function CertificateDetailsList({ cert }: { cert: ServerCertificate }) {
  const expired = Date.parse(cert.validTo) < Date.now();
  return (
    <dl>
      <dt>Issued to</dt>
      <dd data-testid="certificate-subject">{cert.subject || '(no name)'}</dd>
      <dt>Issued by</dt>
      <dd data-testid="certificate-issuer">{cert.issuer || '(no name)'}</dd>
      <dt>SHA-256 fingerprint</dt>
      <dd>
        <code className="certificate-fingerprint" data-testid="certificate-sha256">
          {cert.sha256}
        </code>
      </dd>
      <dt>Valid</dt>
      <dd data-testid="certificate-validity">
        from {when(cert.validFrom)} until {when(cert.validTo)}
        {expired && ' (expired)'}
      </dd>
    </dl>
  );
}

/** why the system does not trust it, in plain words */
export const problemWords = (problem: string): string => problems[problem] ?? `Your system does not trust it (${problem}).`;

/** `creating`: the user pressed "Create account" (registration), so trusting goes on with that */
export function CertificateChoice({
  cert,
  busy,
  creating = false,
  onTrust,
}: {
  cert: ServerCertificate;
  busy: boolean;
  creating?: boolean;
  onTrust: () => void;
}) {
  const [checked, setChecked] = useState(false);
  const ids = { title: useId(), check: useId() };
  return (
    <section className="certificate" aria-labelledby={ids.title}>
      <h2 id={ids.title}>Certificate of {cert.server}</h2>
      {cert.problem && <p>{problemWords(cert.problem)}</p>}
      <CertificateDetailsList cert={cert} />
      <p className="certificate-warning" role="note">
        Trust it only if you know this server uses exactly this certificate, for example because its administrator gave you this fingerprint. If someone is
        intercepting the connection, trusting it hands them your password and your messages.
      </p>
      <label htmlFor={ids.check} className="check">
        <input id={ids.check} type="checkbox" checked={checked} onChange={(e) => setChecked(e.target.checked)} /> I have checked this fingerprint with the
        server's administrator
      </label>
      <div className="actions">
        <button type="button" className="danger" disabled={!checked || busy} onClick={onTrust}>
          Trust this certificate for {cert.server} and {creating ? 'create the account' : 'sign in'}
        </button>
      </div>
      <p className="hint">
        Only this certificate is trusted, only for this account. If the server later shows another one, the messenger refuses it and warns you.
      </p>
    </section>
  );
}
