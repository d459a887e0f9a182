// Account header, contact requests, contact list (presence, unread counts) and "add a contact".
import { useId, useState, type FormEvent } from 'react';
import type { AccountInfo, Contact, PresenceShow } from '../src-shared/ipc/contract';
import { useApp, useAppState } from './context';
import { plainWords } from './errors';
import { contactKey } from './store';
import { AccountOtrWarnings } from './otr';

export const presenceWords: Record<PresenceShow, string> = {
  online: 'Online',
  chat: 'Free to chat',
  away: 'Away',
  xa: 'Away for a while',
  dnd: 'Busy',
  offline: 'Offline',
};

const statusWords = { online: 'Online', connecting: 'Connecting…', offline: 'Offline', error: 'Not connected' } as const;

/** The account the window shows: the first one by address (several accounts come later). */
export function useActiveAccount(): AccountInfo | undefined {
  return useAppState((s) => Object.values(s.accounts).sort((a, b) => a.jid.localeCompare(b.jid))[0]);
}

function AccountHeader({ account }: { account: AccountInfo }) {
  const { actions } = useApp();
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
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
  const statusText = account.status === 'error' && account.error ? `${statusWords.error}: ${plainWords({ code: account.error.code as never, message: account.error.message })}` : statusWords[account.status];
  return (
    <header className="account" aria-label="Account">
      <div className="account-jid" title={account.jid}>
        {account.jid}
      </div>
      <div className={`account-status status-${account.status}`} role="status" aria-label="Connection">
        <span className="dot" aria-hidden="true" />
        {statusText}
      </div>
      <div className="row">
        <button type="button" className="link" onClick={() => void toggle()}>
          {account.status === 'online' || account.status === 'connecting' ? 'Go offline' : 'Connect'}
        </button>
        {!confirming && (
          <button type="button" className="link" onClick={() => setConfirming(true)}>
            Remove account
          </button>
        )}
      </div>
      {confirming && (
        <div className="confirm" role="group" aria-label="Remove account">
          <p>Remove {account.jid} and its messages from this computer? The account stays on the server.</p>
          <div className="row">
            <button type="button" className="danger" onClick={() => void remove()}>
              Remove
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <AccountOtrWarnings accountId={account.id} jid={account.jid} />
    </header>
  );
}

function AddContact({ accountId }: { accountId: string }) {
  const { actions } = useApp();
  const [jid, setJid] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy || !jid.trim()) return;
    setBusy(true);
    setError(null);
    const r = await actions.addContact(accountId, jid.trim());
    setBusy(false);
    if (r.ok) setJid('');
    else setError(plainWords(r.error));
  };
  return (
    <form className="add-contact" aria-label="Add a contact" onSubmit={(e) => void submit(e)} noValidate>
      <label htmlFor={id}>Contact address</label>
      <div className="row">
        <input id={id} type="text" inputMode="email" placeholder="friend@example.org" value={jid} onChange={(e) => setJid(e.target.value)} />
        <button type="submit" disabled={busy}>
          Add
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function Requests({ requests }: { requests: Contact[] }) {
  const { actions } = useApp();
  const [error, setError] = useState<string | null>(null);
  if (requests.length === 0) return null;
  const answer = async (c: Contact, yes: boolean) => {
    setError(null);
    const r = yes ? await actions.approve(c.accountId, c.jid) : await actions.deny(c.accountId, c.jid);
    if (!r.ok) setError(plainWords(r.error));
  };
  return (
    <section className="requests" aria-labelledby="requests-title">
      <h2 id="requests-title">Contact requests</h2>
      <ul>
        {requests.map((c) => (
          <li key={c.jid} aria-label={`Request from ${c.jid}`}>
            <p>
              <strong>{c.name ?? c.jid}</strong> wants to see when you are online.
            </p>
            <div className="row">
              <button type="button" className="primary" aria-label={`Approve ${c.jid}`} onClick={() => void answer(c, true)}>
                Approve
              </button>
              <button type="button" aria-label={`Deny ${c.jid}`} onClick={() => void answer(c, false)}>
                Deny
              </button>
            </div>
          </li>
        ))}
      </ul>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

function subscriptionNote(c: Contact): string | null {
  if (c.pendingOut) return 'Waiting for approval';
  if (c.subscription === 'none' || c.subscription === 'from') return 'Not sharing presence';
  return null;
}

export function Sidebar() {
  const account = useActiveAccount();
  const { actions } = useApp();
  const contacts = useAppState((s) => s.contacts);
  const selected = useAppState((s) => s.selected);
  if (!account) return null;
  const mine = Object.values(contacts)
    .filter((c) => c.accountId === account.id)
    .sort((a, b) => (a.name ?? a.jid).localeCompare(b.name ?? b.jid));
  const requests = mine.filter((c) => c.pendingIn);
  // Someone who only asked, and whom we never added, is a request, not yet a contact.
  const listed = mine.filter((c) => !(c.pendingIn && c.subscription === 'none' && !c.pendingOut));
  return (
    <aside className="sidebar">
      <AccountHeader account={account} />
      <Requests requests={requests} />
      <nav aria-labelledby="contacts-title" className="contacts">
        <h2 id="contacts-title">Contacts</h2>
        {listed.length === 0 ? (
          <p className="hint">No contacts yet. Add one below with their address.</p>
        ) : (
          <ul>
            {listed.map((c) => {
              const isSelected = selected?.accountId === c.accountId && selected.peer === c.jid;
              const note = subscriptionNote(c);
              return (
                <li key={contactKey(c.accountId, c.jid)}>
                  <button
                    type="button"
                    className={`contact${isSelected ? ' selected' : ''}`}
                    aria-current={isSelected ? 'true' : undefined}
                    onClick={() => void actions.open(c.accountId, c.jid)}
                  >
                    <span className={`dot presence-${c.presence}`} aria-hidden="true" />
                    <span className="contact-text">
                      <span className="contact-name">{c.name ?? c.jid}</span>
                      <span className="contact-presence">
                        {presenceWords[c.presence]}
                        {note ? ` · ${note}` : ''}
                      </span>
                    </span>
                    {c.unread > 0 && (
                      <span className="badge">
                        {c.unread}
                        <span className="sr-only"> unread</span>
                      </span>
                    )}
                  </button>
                </li>
              );
            })}
          </ul>
        )}
      </nav>
      <AddContact accountId={account.id} />
    </aside>
  );
}
