// The addresses an account blocks (XEP-0191, the server's list), in the account's panel in the sidebar
// (AccountHeader) when there are any: "Blocked addresses (N)" opens a dialog listing them, each with Unblock. The
// only way back for an address that is not a contact (a blocked message request).
import { useState } from 'react';
import { useApp, useAppState } from '../context';
import { plainWords } from '../errors';
import { Dialog } from '../ui/Dialog';
import { ErrorAlert } from '../ui/ErrorAlert';

const NONE: string[] = [];

export function BlockedList({ accountId, accountJid }: { accountId: string; accountJid: string }) {
  const { actions } = useApp();
  const blocked = useAppState((s) => s.blocked[accountId] ?? NONE);
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (blocked.length === 0 && !open) return null;
  const unblock = async (jid: string) => {
    setError(null);
    const r = await actions.unblock(accountId, jid);
    if (!r.ok) setError(plainWords(r.error));
  };
  return (
    <>
      <button type="button" className="link" onClick={() => setOpen(true)}>
        Blocked addresses ({blocked.length})
      </button>
      {open && (
        <Dialog closeButton title={`Blocked by ${accountJid}`} onClose={() => setOpen(false)}>
          {blocked.length === 0 ? (
            <p className="hint">Nobody is blocked.</p>
          ) : (
            <ul className="blocked-list">
              {blocked.map((jid) => (
                <li key={jid}>
                  <span>{jid}</span>
                  <button type="button" aria-label={`Unblock ${jid}`} onClick={() => void unblock(jid)}>
                    Unblock
                  </button>
                </li>
              ))}
            </ul>
          )}
          <ErrorAlert error={error} />
        </Dialog>
      )}
    </>
  );
}
