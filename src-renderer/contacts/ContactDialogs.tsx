// Managing a contact from its conversation (issue 15), through the items the conversation's one
// menu gains (Conversation.tsx): rename (the roster name, RFC 6121 §2.3, so every device of the
// account shows it), remove (roster remove after a confirmation whose Cancel has the focus), block
// and unblock (XEP-0191, the server's list). A blocked contact's conversation says so at its end,
// with Unblock.
import { useState, type FormEvent } from 'react';
import { useApp, useAppState } from '../context';
import { plainWords } from '../errors';
import { contactKey } from '../store';
import { Dialog } from '../ui/Dialog';
import { ErrorAlert } from '../ui/ErrorAlert';

/** the conversation's menu button: a dialog opened from one of its items gives the focus back to it */
const focusMenuButton = () =>
  requestAnimationFrame(() => document.querySelector<HTMLButtonElement>('.conversation-header button[aria-haspopup="menu"]')?.focus());

export function RenameDialog({ accountId, jid, onClose }: { accountId: string; jid: string; onClose: () => void }) {
  const { actions } = useApp();
  const current = useAppState((s) => s.contacts[contactKey(accountId, jid)]?.name ?? '');
  const [name, setName] = useState(current);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const close = () => {
    onClose();
    focusMenuButton();
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const r = await actions.rename(accountId, jid, name.trim());
    setBusy(false);
    if (r.ok) close();
    else setError(plainWords(r.error));
  };
  return (
    <Dialog title={`Rename ${jid}`} onClose={close} busy={busy}>
      <form onSubmit={(e) => void submit(e)}>
        <label htmlFor="contact-rename">Name</label>
        <input id="contact-rename" type="text" maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
        <p className="hint">Saved in your contact list on the server, so your other devices show it too. Leave it empty to show the address.</p>
        <ErrorAlert error={error} />
        <div className="row">
          <button type="submit" className="primary" disabled={busy}>
            Save
          </button>
          <button type="button" onClick={close} disabled={busy}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function RemoveContactDialog({ accountId, jid, onClose }: { accountId: string; jid: string; onClose: () => void }) {
  const { actions } = useApp();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const close = () => {
    onClose();
    focusMenuButton();
  };
  const remove = async () => {
    setBusy(true);
    const r = await actions.removeContact(accountId, jid);
    setBusy(false);
    // removed: the conversation closes with it (store.ts), the focus goes to the page
    if (r.ok) onClose();
    else setError(plainWords(r.error));
  };
  return (
    <Dialog title="Remove contact" onClose={close} busy={busy} className="confirm">
      <p>
        Remove {jid} from your contacts? You stop seeing each other&apos;s presence. The messages stay on this computer; {jid} can still write to you (as a
        message request).
      </p>
      <ErrorAlert error={error} />
      <div className="row">
        <button type="button" className="danger" disabled={busy} onClick={() => void remove()}>
          Remove
        </button>
        <button type="button" data-autofocus disabled={busy} onClick={close}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}

/** at the end of a blocked contact's conversation: what blocking means, and the way back */
export function BlockedNote({ accountId, jid }: { accountId: string; jid: string }) {
  const { actions } = useApp();
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="blocked-note" role="note" aria-label="Blocked">
      <p>You blocked {jid}. Nothing they send reaches you, and they do not see when you are online.</p>
      <ErrorAlert error={error} />
      <button
        type="button"
        onClick={() =>
          void actions.unblock(accountId, jid).then((r) => {
            if (!r.ok) setError(plainWords(r.error));
          })
        }
      >
        Unblock
      </button>
    </div>
  );
}
