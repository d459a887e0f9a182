// One conversation: a header (the contact, its state, one privacy menu), the timeline (messages
// with their delivery state and encrypted marker, and the conversation's events: timeline/), then
// the composer. The contact's own items (rename, block, remove) are in that same menu.
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { BlockedNote, RemoveContactDialog, RenameDialog } from './contacts/ContactDialogs';
import { useApp, useAppState } from './context';
import { plainWords } from './errors';
import { useNotifyPrefs } from './notify/prefs';
import { contactKey } from './store';
import { presenceWords } from './Sidebar';
import { OtrPanel, useOtrStatus } from './otr';
import { WakeUpPrompts } from './push';
import { Timeline } from './timeline/Timeline';
import { ErrorAlert } from './ui/ErrorAlert';

/** the composer's text field (the skip link and the shortcuts go there) */
export const COMPOSER_ID = 'composer-text';
/** while the user types, 'composing' goes to the core at most this often (the core pauses after 5 s without one) */
const COMPOSING_EVERY_MS = 2_000;

function Composer({ accountId, peer }: { accountId: string; peer: string }) {
  const { actions } = useApp();
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const otr = useOtrStatus(accountId, peer);
  // typing notifications (XEP-0085): the core decides whether the contact hears of them
  const lastComposing = useRef(0);
  useEffect(() => () => void actions.chatState(accountId, peer, 'gone'), [actions, accountId, peer]);
  const onText = (value: string) => {
    setText(value);
    if (value.trim().length === 0) {
      lastComposing.current = 0;
      void actions.chatState(accountId, peer, 'active');
    } else if (Date.now() - lastComposing.current > COMPOSING_EVERY_MS) {
      lastComposing.current = Date.now();
      void actions.chatState(accountId, peer, 'composing');
    }
  };
  const send = async (e?: FormEvent) => {
    e?.preventDefault();
    const body = text;
    if (!body.trim()) return;
    setError(null);
    setText('');
    lastComposing.current = 0;
    const r = await actions.send(accountId, peer, body);
    if (!r.ok) {
      // Give the text back so nothing the user wrote is lost.
      setText((now) => (now ? now : body));
      setError(plainWords(r.error));
    }
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void send();
    }
  };
  return (
    <form className="composer" aria-label="Write a message" onSubmit={(e) => void send(e)}>
      {otr?.receivedInClear && (
        <p className="warning" role="alert" data-testid="received-in-clear">
          The last message from {peer} arrived unencrypted, although this conversation is private.
        </p>
      )}
      {otr?.sendsInClear && (
        <p className="hint" data-testid="sends-in-clear">
          What you write now will be sent unencrypted.
        </p>
      )}
      <ErrorAlert error={error} />
      <div className="row">
        <label htmlFor={COMPOSER_ID} className="sr-only">
          Message
        </label>
        <textarea id={COMPOSER_ID} rows={2} placeholder={`Message ${peer}`} value={text} onChange={(e) => onText(e.target.value)} onKeyDown={onKey} />
        <button type="submit" className="primary">
          Send
        </button>
      </div>
    </form>
  );
}

export function Conversation() {
  const selected = useAppState((s) => s.selected);
  const contact = useAppState((s) => (s.selected ? s.contacts[contactKey(s.selected.accountId, s.selected.peer)] : undefined));
  // the conversation belongs to the selected contact's account, never simply "the first account"
  const accountOnline = useAppState((s) => (s.selected ? s.accounts[s.selected.accountId]?.status === 'online' : false));
  const accountJid = useAppState((s) => (s.selected ? s.accounts[s.selected.accountId]?.jid : undefined));
  const severalAccounts = useAppState((s) => Object.keys(s.accounts).length > 1);
  const otrStatus = useOtrStatus(selected?.accountId ?? '', selected?.peer ?? '');
  const key = selected ? contactKey(selected.accountId, selected.peer) : '';
  const muted = useNotifyPrefs((s) => !!s.muted[key]);
  const setMuted = useNotifyPrefs((s) => s.setMuted);
  const titleId = useId();
  const focusSeq = useAppState((s) => (s.focus && s.focus.key === key ? s.focus.seq : 0));
  const blocked = useAppState((s) => (s.selected ? (s.blocked[s.selected.accountId]?.includes(s.selected.peer) ?? false) : false));
  const { actions } = useApp();
  const [dialog, setDialog] = useState<'rename' | 'remove' | null>(null);
  const [menuError, setMenuError] = useState<string | null>(null);

  if (!selected) {
    return (
      <main className="conversation empty" id="conversation">
        <p className="hint">Choose a contact to start talking.</p>
      </main>
    );
  }
  const title = contact?.name ?? selected.peer;
  return (
    <main className="conversation" id="conversation" aria-label={`Conversation with ${selected.peer}`}>
      <header className="conversation-header">
        <div className="conversation-title">
          <h2 id={titleId}>{title}</h2>
          <p>
            {contact && (
              <span className="hint" data-testid="contact-presence">
                {presenceWords[contact.presence]}
                {contact.status && contact.presence !== 'offline' ? `: ${contact.status}` : ''}
              </span>
            )}
            {/* with several accounts: whose conversation this is */}
            {severalAccounts && accountJid && (
              <span className="hint conversation-account" data-testid="conversation-account">
                as {accountJid}
              </span>
            )}
          </p>
        </div>
        <OtrPanel
          key={key}
          accountId={selected.accountId}
          peer={selected.peer}
          accountJid={severalAccounts ? accountJid : undefined}
          extraItems={[
            { label: 'Mute notifications', checked: muted, onSelect: () => setMuted(key, !muted) },
            { label: 'Rename contact…', onSelect: () => setDialog('rename') },
            {
              label: blocked ? 'Unblock contact' : 'Block contact',
              onSelect: () => {
                setMenuError(null);
                void (blocked ? actions.unblock : actions.block)(selected.accountId, selected.peer).then((r) => {
                  if (!r.ok) setMenuError(plainWords(r.error));
                });
              },
            },
            { label: 'Remove contact…', onSelect: () => setDialog('remove'), className: 'danger' },
          ]}
        />
      </header>
      <ErrorAlert error={menuError} />
      {dialog === 'rename' && <RenameDialog accountId={selected.accountId} jid={selected.peer} onClose={() => setDialog(null)} />}
      {dialog === 'remove' && <RemoveContactDialog accountId={selected.accountId} jid={selected.peer} onClose={() => setDialog(null)} />}
      {/* offline: no presence from any of the contact's devices (a non-contact has none either);
          only while we are online, since fetching their devices needs our server (issue 5) */}
      <Timeline
        key={`${key}:${focusSeq}`}
        accountId={selected.accountId}
        peer={selected.peer}
        status={otrStatus}
        contactOffline={accountOnline && (contact?.presence ?? 'offline') === 'offline'}
      />
      <WakeUpPrompts accountId={selected.accountId} peer={selected.peer} />
      {blocked ? (
        <BlockedNote accountId={selected.accountId} jid={selected.peer} />
      ) : (
        <Composer key={key} accountId={selected.accountId} peer={selected.peer} />
      )}
    </main>
  );
}
