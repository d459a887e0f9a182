// Sign in with an existing account (account.add) or create one by in-band registration
// (account.register, XEP-0077). Host and port are optional overrides of the DNS lookup.
// The same form adds another account from the signed-in window (`onCancel` given): then it takes
// the conversation's place, says so in its title, and Cancel (or Escape) goes back.
// A server certificate the system does not trust shows its details and the choice to trust it
// for that server (signin/CertificateChoice.tsx, issue 15), after "Sign in" and "Create account"
// alike: trusting it goes on with the button that was pressed.
import { useId, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { ServerCertificate } from '../src-shared/ipc/contract';
import { CertificateChoice } from './signin/CertificateChoice';
import { useApp } from './context';
import { plainWords } from './errors';

export function SignIn({ onCancel }: { onCancel?: () => void } = {}) {
  const { actions } = useApp();
  const [jid, setJid] = useState('');
  const [password, setPassword] = useState('');
  const [host, setHost] = useState('');
  const [port, setPort] = useState('');
  const [busy, setBusy] = useState<null | 'add' | 'register'>(null);
  const [error, setError] = useState<string | null>(null);
  const [cert, setCert] = useState<ServerCertificate | null>(null);
  // which button met the untrusted certificate: trusting it goes on with the same (sign in or create)
  const [certMode, setCertMode] = useState<'add' | 'register'>('add');
  const ids = { title: useId(), jid: useId(), password: useId(), host: useId(), port: useId(), error: useId() };

  const submit = async (mode: 'add' | 'register', e?: FormEvent, trustCertificate?: string) => {
    e?.preventDefault();
    if (busy) return;
    setError(null);
    setCert(null);
    const portNumber = port.trim() === '' ? undefined : Number(port.trim());
    if (portNumber !== undefined && (!Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535)) {
      setError('The port must be a number between 1 and 65535.');
      return;
    }
    setBusy(mode);
    const server = {
      jid: jid.trim(),
      ...(host.trim() ? { host: host.trim() } : {}),
      ...(portNumber !== undefined ? { port: portNumber } : {}),
    };
    const r = await actions.signIn(mode, { ...server, password, ...(trustCertificate ? { trustCertificate } : {}) });
    if (!r.ok && r.error.code === 'certificate-untrusted') {
      // a changed pinned certificate says so in the core's words; an untrusted one shows its details
      const c = await actions.certificate(server);
      if (c.ok && !c.value.trusted) {
        setCert(c.value);
        setCertMode(mode);
      }
    }
    setBusy(null);
    if (!r.ok) setError(plainWords(r.error));
  };

  const another = onCancel !== undefined;
  const onKeyDown = (e: KeyboardEvent<HTMLFormElement>) => {
    // a sign-in under way cannot be called back; Cancel waits for its answer
    if (e.key === 'Escape' && onCancel && busy === null) {
      e.preventDefault();
      onCancel();
    }
  };

  return (
    <main className={another ? 'centered add-account' : 'centered'}>
      <form className="card signin" aria-labelledby={ids.title} onSubmit={(e) => void submit('add', e)} onKeyDown={onKeyDown} noValidate>
        <h1 id={ids.title}>{another ? 'Add another account' : 'Sign in to Messenger'}</h1>
        <p className="hint">
          {another
            ? 'Sign in with another XMPP account, or create one. Your other accounts stay signed in.'
            : 'Use your XMPP account, or create a new one on a server that allows it.'}
        </p>
        <label htmlFor={ids.jid}>Address</label>
        <input
          id={ids.jid}
          name="jid"
          type="text"
          inputMode="email"
          autoComplete="username"
          placeholder="name@example.org"
          value={jid}
          onChange={(e) => setJid(e.target.value)}
          required
          // opened on purpose from the signed-in window: start typing right away
          autoFocus={another}
          aria-describedby={error ? ids.error : undefined}
        />
        <label htmlFor={ids.password}>Password</label>
        <input
          id={ids.password}
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
        />
        <details className="advanced">
          <summary>Server settings (optional)</summary>
          <label htmlFor={ids.host}>Server host</label>
          <input id={ids.host} name="host" type="text" placeholder="found from the address" value={host} onChange={(e) => setHost(e.target.value)} />
          <label htmlFor={ids.port}>Server port</label>
          <input id={ids.port} name="port" type="text" inputMode="numeric" placeholder="5222" value={port} onChange={(e) => setPort(e.target.value)} />
        </details>
        {error && (
          <p id={ids.error} className="error" role="alert">
            {error}
          </p>
        )}
        {cert && (
          <CertificateChoice
            cert={cert}
            busy={busy !== null}
            creating={certMode === 'register'}
            onTrust={() => void submit(certMode, undefined, cert.sha256)}
          />
        )}
        <div className="actions">
          <button type="submit" className="primary" disabled={busy !== null}>
            {busy === 'add' ? 'Signing in…' : 'Sign in'}
          </button>
          <button type="button" disabled={busy !== null} onClick={() => void submit('register')}>
            {busy === 'register' ? 'Creating account…' : 'Create account'}
          </button>
          {onCancel && (
            <button type="button" className="cancel" disabled={busy !== null} onClick={onCancel}>
              Cancel
            </button>
          )}
        </div>
      </form>
    </main>
  );
}
