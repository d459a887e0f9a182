// Every account of the profile, sorted by address, each with its header (connection state,
// connect / disconnect, remove, account-level warnings), its contact requests and its contacts
// (presence, unread counts); then "add a contact" (to which account: a select when there are
// several) and "add another account". A contact is always an (account, address) pair: the same
// address may be a contact of two accounts, and each has its own conversation.
import { useEffect, useId, useRef, useState } from 'react';
import type { AccountInfo, Contact, PresenceShow } from '../src-shared/ipc/contract';
import { useApp, useAppState } from './context';
import { plainWords } from './errors';
import { contactKey, sortedAccounts } from './store';
import { AccountOtrWarnings } from './otr';
import { ASLEEP_WORDS, PushSettings, SleepControl } from './push';
import { GroupsSection } from './groups';
import { MessageRequests } from './MessageRequests';
import { NotifySettings } from './notify/NotifySettings';
import { Dialog } from './ui/Dialog';
import { FILTER_ID } from './ui/shortcuts';
import { OwnPresence } from './contacts/OwnPresence';
import { AddContact } from './contacts/AddContact';
import { BlockedList } from './contacts/BlockedList';

export const presenceWords: Record<PresenceShow, string> = {
  online: 'Online',
  chat: 'Free to chat',
  away: 'Away',
  xa: 'Away for a while',
  dnd: 'Busy',
  offline: 'Offline',
};

const statusWords = { online: 'Online', connecting: 'Connecting…', offline: 'Offline', error: 'Not connected' } as const;

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
  const statusText =
    account.status === 'error' && account.error
      ? `${statusWords.error}: ${plainWords({ code: account.error.code as never, message: account.error.message })}`
      : account.asleep
        ? ASLEEP_WORDS
        : statusWords[account.status];
  return (
    <div className="account">
      <div className="account-jid" title={account.jid}>
        {account.jid}
      </div>
      <div className={`account-status status-${account.asleep ? 'asleep' : account.status}`} role="status" aria-label="Connection">
        <span className="dot" aria-hidden="true" />
        {statusText}
      </div>
      <div className="row">
        <button type="button" className="link" onClick={() => void toggle()}>
          {account.status === 'online' || account.status === 'connecting' ? 'Go offline' : 'Connect'}
        </button>
        <SleepControl account={account} />
        <button type="button" className="link" onClick={() => setConfirming(true)}>
          Remove account
        </button>
      </div>
      <BlockedList accountId={account.id} accountJid={account.jid} />
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
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {account.status === 'online' && <OwnPresence accountId={account.id} />}
      <AccountOtrWarnings accountId={account.id} jid={account.jid} />
      <PushSettings accountId={account.id} jid={account.jid} />
    </div>
  );
}

/** `label`: the region's name when it must say whose requests these are (several accounts) */
function Requests({ requests, label }: { requests: Contact[]; label?: string }) {
  const { actions } = useApp();
  const [error, setError] = useState<string | null>(null);
  const titleId = useId();
  if (requests.length === 0) return null;
  const answer = async (c: Contact, yes: boolean) => {
    setError(null);
    const r = yes ? await actions.approve(c.accountId, c.jid) : await actions.deny(c.accountId, c.jid);
    if (!r.ok) setError(plainWords(r.error));
  };
  return (
    <section className="requests" aria-labelledby={label ? undefined : titleId} aria-label={label}>
      <h2 id={titleId}>Contact requests</h2>
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

function subscriptionNote(c: Contact, blocked: boolean): string | null {
  if (blocked) return 'Blocked';
  if (c.pendingOut) return 'Waiting for approval';
  if (c.subscription === 'none' || c.subscription === 'from') return 'Not sharing presence';
  return null;
}

/** one account: its header, its requests and its contacts */
function AccountSection({ account, contacts, several, filter }: { account: AccountInfo; contacts: Contact[]; several: boolean; filter: string }) {
  const { actions } = useApp();
  const selected = useAppState((s) => s.selected);
  const blocked = useAppState((s) => s.blocked[account.id]);
  const titleId = useId();
  const mine = [...contacts].sort((a, b) => (a.name ?? a.jid).localeCompare(b.name ?? b.jid));
  const requests = mine.filter((c) => c.pendingIn);
  // Someone who only asked, and whom we never added, is a request, not yet a contact.
  const f = filter.trim().toLowerCase();
  const listed = mine.filter(
    (c) => !(c.pendingIn && c.subscription === 'none' && !c.pendingOut) && (!f || c.jid.toLowerCase().includes(f) || (c.name ?? '').toLowerCase().includes(f)),
  );
  // With several accounts each list is its own landmark: their names must tell them apart.
  return (
    <section className="account-block" aria-label={`Account ${account.jid}`}>
      <AccountHeader account={account} />
      <Requests requests={requests} label={several ? `Contact requests of ${account.jid}` : undefined} />
      <MessageRequests accountId={account.id} />
      <nav aria-labelledby={several ? undefined : titleId} aria-label={several ? `Contacts of ${account.jid}` : undefined} className="contacts">
        <h2 id={titleId}>Contacts</h2>
        {listed.length === 0 ? (
          <p className="hint">{f ? 'No contact matches.' : 'No contacts yet. Add one below with their address.'}</p>
        ) : (
          <ul>
            {listed.map((c) => {
              const isSelected = selected?.accountId === c.accountId && selected.peer === c.jid;
              const note = subscriptionNote(c, blocked?.includes(c.jid) ?? false);
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
                        {c.status && c.presence !== 'offline' ? `: ${c.status}` : ''}
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
      <GroupsSection account={account} />
    </section>
  );
}

const NO_CONTACTS: Contact[] = [];

export function Sidebar({ hidden = false, onHide, onSearch }: { hidden?: boolean; onHide?: () => void; onSearch?: () => void }) {
  const { actions } = useApp();
  const [filter, setFilter] = useState('');
  const [notifyOpen, setNotifyOpen] = useState(false);
  // the records themselves (stable references) are selected; sorting and grouping happen here
  const accountMap = useAppState((s) => s.accounts);
  const contacts = useAppState((s) => s.contacts);
  const adding = useAppState((s) => s.addingAccount);
  const addButton = useRef<HTMLButtonElement>(null);
  // back from the add-account form (Cancel or done): focus returns to the button that opened it
  const wasAdding = useRef(adding);
  useEffect(() => {
    if (wasAdding.current && !adding) addButton.current?.focus();
    wasAdding.current = adding;
  }, [adding]);

  const accounts = sortedAccounts(accountMap);
  if (accounts.length === 0) return null;
  const byAccount = new Map<string, Contact[]>();
  for (const c of Object.values(contacts)) {
    const list = byAccount.get(c.accountId);
    if (list) list.push(c);
    else byAccount.set(c.accountId, [c]);
  }
  const several = accounts.length > 1;
  return (
    <aside className="sidebar" id="sidebar" aria-label="Accounts and contacts" hidden={hidden}>
      <div className="sidebar-head">
        <h1>Messenger</h1>
        {onHide && (
          <button type="button" className="icon" aria-expanded="true" aria-controls="sidebar" onClick={onHide} title="Hide contacts">
            <span aria-hidden="true">«</span>
            <span className="sr-only">Hide contacts</span>
          </button>
        )}
      </div>
      <div className="filter">
        <label htmlFor={FILTER_ID} className="sr-only">
          Find a contact
        </label>
        <input id={FILTER_ID} type="search" placeholder="Find a contact (Alt+K)" value={filter} onChange={(e) => setFilter(e.target.value)} />
        {onSearch && (
          <button type="button" className="link search-open" onClick={onSearch} aria-keyshortcuts="Control+K">
            Search messages (Ctrl+K)
          </button>
        )}
      </div>
      <div className="accounts">
        {accounts.map((a) => (
          <AccountSection key={a.id} account={a} contacts={byAccount.get(a.id) ?? NO_CONTACTS} several={several} filter={filter} />
        ))}
      </div>
      <AddContact accounts={accounts} />
      <div className="sidebar-footer">
        <button ref={addButton} type="button" className="link" onClick={() => actions.setAddingAccount(true)}>
          Add another account
        </button>
        <button type="button" className="link" onClick={() => setNotifyOpen(true)}>
          Notifications…
        </button>
      </div>
      {notifyOpen && <NotifySettings onClose={() => setNotifyOpen(false)} />}
    </aside>
  );
}
