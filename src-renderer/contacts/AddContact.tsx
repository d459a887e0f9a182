// "Add a contact" at the foot of the sidebar: the address, to which account (a select when there
// are several), *Add* (roster add and subscription request) or *Write* (a conversation with the
// address without adding it, issue 15).
import { useId, useState, type FormEvent } from 'react';
import type { AccountInfo } from '../../src-shared/ipc/contract';
import { useApp, useAppState } from '../context';
import { plainWords } from '../errors';
import { NEW_CONTACT_ID } from '../ui/shortcuts';
import { ErrorAlert } from '../ui/ErrorAlert';

export function AddContact({ accounts }: { accounts: AccountInfo[] }) {
  const { actions } = useApp();
  const selectedAccount = useAppState((s) => s.selected?.accountId);
  const [jid, setJid] = useState('');
  // the account chosen in the select; until then the open conversation's account, else the first
  const [chosen, setChosen] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { account: useId() };
  /** a conversation with the address, without adding it to the contact list (conversation.start) */
  const write = async () => {
    if (busy || !jid.trim() || !account) return;
    setBusy(true);
    setError(null);
    const r = await actions.startConversation(account.id, jid.trim().toLowerCase());
    setBusy(false);
    if (!r.ok) return setError(plainWords(r.error));
    setJid('');
    await actions.open(r.value.accountId, r.value.jid);
    document.getElementById('composer-text')?.focus();
  };
  const account = accounts.find((a) => a.id === chosen) ?? accounts.find((a) => a.id === selectedAccount) ?? accounts[0];
  if (!account) return null;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy || !jid.trim()) return;
    setBusy(true);
    setError(null);
    const r = await actions.addContact(account.id, jid.trim());
    setBusy(false);
    if (r.ok) setJid('');
    else setError(plainWords(r.error));
  };
  return (
    <form className="add-contact" aria-label="Add a contact" onSubmit={(e) => void submit(e)} noValidate>
      {accounts.length > 1 ? (
        <>
          <label htmlFor={ids.account}>Add to account</label>
          <select
            id={ids.account}
            value={account.id}
            onChange={(e) => {
              setChosen(e.target.value);
              setError(null);
            }}
          >
            {accounts.map((a) => (
              <option key={a.id} value={a.id}>
                {a.jid}
              </option>
            ))}
          </select>
        </>
      ) : null}
      <label htmlFor={NEW_CONTACT_ID}>Contact address</label>
      <div className="row">
        <input id={NEW_CONTACT_ID} type="text" inputMode="email" placeholder="friend@example.org" value={jid} onChange={(e) => setJid(e.target.value)} />
        <button type="submit" disabled={busy}>
          Add
        </button>
        <button type="button" disabled={busy} onClick={() => void write()} title="Write to this address without adding it to your contacts">
          Write
        </button>
      </div>
      <ErrorAlert error={error} />
    </form>
  );
}
