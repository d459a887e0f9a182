// Per-account wake-up settings (issue 14 "A push account per XMPP account"): the push server's
// address (none by default: wake-ups are off), create or sign in to a push account (push name and
// password; the core keeps the password and login token in the OS keychain), the channel's state
// in plain words, and the wake-ups list.
import { useEffect, useId, useState } from 'react';
import { describePushStatus } from '../../src-shared/ipc/push-contract';
import { usePush, usePushState } from './context';
import { WakeUps } from './WakeUps';
import { WakeUpPrompts } from './WakeUpPrompt';
import { ErrorAlert } from '../ui/ErrorAlert';

export function PushSettings({ accountId, jid }: { accountId: string; jid: string }) {
  const { actions } = usePush();
  const settings = usePushState((s) => s.settings[accountId]);
  const notices = usePushState((s) => s.notices[accountId]);
  const [open, setOpen] = useState(false);
  const [endpoint, setEndpoint] = useState('');
  const [pushName, setPushName] = useState(jid.split('@')[0] ?? '');
  const [password, setPassword] = useState('');
  const [create, setCreate] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ids = { endpoint: useId(), name: useId(), password: useId(), create: useId() };
  useEffect(() => {
    if (open) void actions.load(accountId);
  }, [open, actions, accountId]);

  const save = async () => {
    setBusy(true);
    setError(null);
    const r = await actions.configure({ accountId, apiEndpoint: endpoint, pushName, password, create });
    setBusy(false);
    setPassword('');
    if (!r.ok) setError(r.error.message);
  };
  const off = async () => {
    const r = await actions.disable(accountId);
    if (!r.ok) setError(r.error.message);
  };
  const status = settings?.status ?? 'off';
  return (
    <details className="push-settings" onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>Wake-ups</summary>
      <WakeUpPrompts accountId={accountId} />
      <p role="status" data-status={status}>
        {status === 'off' && settings?.apiEndpoint
          ? 'Paused while the account is offline (choose "Put to sleep" to stay reachable by wake-ups)'
          : describePushStatus(status)}
        {settings?.apiEndpoint ? ` (${settings.pushName} at ${settings.apiEndpoint})` : ''}
        {settings?.detail ? `: ${settings.detail}` : ''}
      </p>
      {settings?.apiEndpoint ? (
        <button type="button" onClick={() => void off()}>
          Turn wake-ups off
        </button>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <p className="hint">
            A push server lets contacts you approve wake this computer while your account is offline. It can be your XMPP server&apos;s or any other; it never
            sees names or messages.
          </p>
          <label htmlFor={ids.endpoint}>Push server address</label>
          <input
            id={ids.endpoint}
            type="url"
            placeholder="https://push.example/api/v1/"
            value={endpoint}
            onChange={(e) => setEndpoint(e.target.value)}
            required
          />
          <label htmlFor={ids.name}>Push name</label>
          <input id={ids.name} value={pushName} onChange={(e) => setPushName(e.target.value)} required />
          <label htmlFor={ids.password}>Push password</label>
          <input id={ids.password} type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
          <label htmlFor={ids.create}>
            <input id={ids.create} type="checkbox" checked={create} onChange={(e) => setCreate(e.target.checked)} /> Create the push account if it does not
            exist
          </label>
          <button type="submit" disabled={busy}>
            {busy ? 'Signing in…' : 'Turn wake-ups on'}
          </button>
        </form>
      )}
      <ErrorAlert error={error} />
      {/* an h2 as the sidebar's other sections: the panel sits between the page's h1 and "Contacts" */}
      <h2>Who can wake whom</h2>
      <WakeUps accountId={accountId} />
      {notices && notices.length > 0 && (
        <ul className="push-notices" aria-label="Wake-up notices">
          {notices.map((n, i) => (
            <li key={i} data-kind={n.kind}>
              {n.message}
            </li>
          ))}
        </ul>
      )}
    </details>
  );
}
