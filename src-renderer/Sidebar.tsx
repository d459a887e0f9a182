// Every account of the profile, sorted by address, each with its header (contacts/AccountHeader:
// address, connection state, warnings, and the account's controls behind one "Account" button),
// its contact requests and its contacts (presence, unread counts), which scroll on their own; at
// the foot "add a contact" (to which account: a select when there are several), "add another
// account" and the notification settings. A contact is always an (account, address) pair: the same
// address may be a contact of two accounts, and each has its own conversation.
import { useEffect, useId, useRef, useState } from 'react';
import type { AccountInfo, Contact, PresenceShow } from '../src-shared/ipc/contract';
import { useApp, useAppState } from './context';
import { plainWords } from './errors';
import { contactKey, sortedAccounts } from './store';
import { GroupsSection } from './groups';
import { MessageRequests } from './MessageRequests';
import { NotifySettings } from './notify/NotifySettings';
import { FILTER_ID } from './ui/shortcuts';
import { AccountHeader } from './contacts/AccountHeader';
import { AddContact } from './contacts/AddContact';
import { ErrorAlert } from './ui/ErrorAlert';

export const presenceWords: Record<PresenceShow, string> = {
  online: 'Online',
  chat: 'Free to chat',
  away: 'Away',
  xa: 'Away for a while',
  dnd: 'Busy',
  offline: 'Offline',
};

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
      <ErrorAlert error={error} />
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
      <div className="sidebar-foot">
        <AddContact accounts={accounts} />
        <div className="sidebar-footer">
          <button ref={addButton} type="button" className="link" onClick={() => actions.setAddingAccount(true)}>
            Add another account
          </button>
          <button type="button" className="link" onClick={() => setNotifyOpen(true)}>
            Notifications…
          </button>
        </div>
      </div>
      {notifyOpen && <NotifySettings onClose={() => setNotifyOpen(false)} />}
    </aside>
  );
}
