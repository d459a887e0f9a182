// Sign in with an existing account (account.add) or create one by in-band registration
// (account.register, XEP-0077). Host and port are optional overrides of the DNS lookup.
import { useId, useState, type FormEvent } from 'react';
import { useApp } from './context';
import { plainWords } from './errors';

export function SignIn() {
  const { actions } = useApp();
  const [jid, setJid] = useState('');
  const [password, setPassword] = useState('');
  const [host, setHost] = useState('');
  const [port, setPort] = useState('');
  const [busy, setBusy] = useState<null | 'add' | 'register'>(null);
  const [error, setError] = useState<string | null>(null);
  const ids = { jid: useId(), password: useId(), host: useId(), port: useId(), error: useId() };

  const submit = async (mode: 'add' | 'register', e?: FormEvent) => {
    e?.preventDefault();
    if (busy) return;
    setError(null);
    const portNumber = port.trim() === '' ? undefined : Number(port.trim());
    if (portNumber !== undefined && (!Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535)) {
      setError('The port must be a number between 1 and 65535.');
      return;
    }
    setBusy(mode);
    const r = await actions.signIn(mode, {
      jid: jid.trim(),
      password,
      ...(host.trim() ? { host: host.trim() } : {}),
      ...(portNumber !== undefined ? { port: portNumber } : {}),
    });
    setBusy(null);
    if (!r.ok) setError(plainWords(r.error));
  };

  return (
    <main className="centered">
      <form className="card signin" aria-labelledby="signin-title" onSubmit={(e) => void submit('add', e)} noValidate>
        <h1 id="signin-title">Sign in to Messenger</h1>
        <p className="hint">Use your XMPP account, or create a new one on a server that allows it.</p>
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
        <div className="actions">
          <button type="submit" className="primary" disabled={busy !== null}>
            {busy === 'add' ? 'Signing in…' : 'Sign in'}
          </button>
          <button type="button" disabled={busy !== null} onClick={() => void submit('register')}>
            {busy === 'register' ? 'Creating account…' : 'Create account'}
          </button>
        </div>
      </form>
    </main>
  );
}
