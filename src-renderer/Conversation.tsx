// One conversation: history with delivery state (pending / sent / delivered / failed, XEP-0184)
// and an "encrypted" marker per message, then the composer.
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { ChatMessage, DeliveryState } from '../src-shared/ipc/contract';
import { useApp, useAppState } from './context';
import { plainWords } from './errors';
import { contactKey } from './store';
import { presenceWords } from './Sidebar';
import { EncryptedMarker, OtrPanel, useOtrStatus } from './otr';
import { WakeUpPrompts } from './push';

const deliveryWords: Record<DeliveryState, string> = {
  pending: 'Sending…',
  sent: 'Sent',
  delivered: 'Delivered',
  failed: 'Not delivered',
};

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

function Message({ m, waiting }: { m: ChatMessage; waiting: boolean }) {
  const when = new Date(m.timestamp);
  return (
    <li className={`message ${m.direction}`} data-delivery={m.direction === 'out' ? m.delivery : undefined}>
      <p className="body">{m.body}</p>
      <p className="meta">
        <time dateTime={when.toISOString()} title={`${dayFormat.format(when)} ${timeFormat.format(when)}`}>
          {timeFormat.format(when)}
        </time>
        {/* OTR (docs/architecture.md §6): every message says whether it was encrypted, or waits for a private conversation. */}
        <EncryptedMarker encrypted={m.encrypted} waiting={waiting} />
        {m.direction === 'out' && m.resent && (
          <span className="resent" title="Their device could not read the first copy; sent again in a new private conversation">
            Re-sent
          </span>
        )}
        {m.direction === 'out' && <span className={`delivery ${m.delivery}`}>{deliveryWords[m.delivery]}</span>}
      </p>
    </li>
  );
}

function Composer({ accountId, peer }: { accountId: string; peer: string }) {
  const { actions } = useApp();
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  const otr = useOtrStatus(accountId, peer);
  const send = async (e?: FormEvent) => {
    e?.preventDefault();
    const body = text;
    if (!body.trim()) return;
    setError(null);
    setText('');
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
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="row">
        <label htmlFor={id} className="sr-only">
          Message
        </label>
        <textarea id={id} rows={2} placeholder={`Message ${peer}`} value={text} onChange={(e) => setText(e.target.value)} onKeyDown={onKey} />
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
  const messages = useAppState((s) => (s.selected ? s.messages[contactKey(s.selected.accountId, s.selected.peer)] : undefined));
  // the conversation belongs to the selected contact's account, never simply "the first account"
  const accountOnline = useAppState((s) => (s.selected ? s.accounts[s.selected.accountId]?.status === 'online' : false));
  const accountJid = useAppState((s) => (s.selected ? s.accounts[s.selected.accountId]?.jid : undefined));
  const severalAccounts = useAppState((s) => Object.keys(s.accounts).length > 1);
  const otrStatus = useOtrStatus(selected?.accountId ?? '', selected?.peer ?? '');
  const queued = otrStatus?.queued ?? 0;
  const endRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    endRef.current?.scrollIntoView({ block: 'end' });
  }, [messages?.length, selected?.peer]);

  if (!selected) {
    return (
      <main className="conversation empty">
        <p className="hint">Choose a contact to start talking.</p>
      </main>
    );
  }
  const title = contact?.name ?? selected.peer;
  return (
    <main className="conversation" aria-label={`Conversation with ${selected.peer}`}>
      <header className="conversation-header">
        <div className="conversation-title">
          <h2>{title}</h2>
          <p>
            {contact && <span className="hint">{presenceWords[contact.presence]}</span>}
            {/* with several accounts: whose conversation this is */}
            {severalAccounts && accountJid && (
              <span className="hint conversation-account" data-testid="conversation-account">
                as {accountJid}
              </span>
            )}
          </p>
        </div>
        {/* offline: no presence from any of the contact's devices (a non-contact has none either);
            only while we are online, since fetching their devices needs our server (issue 5) */}
        <OtrPanel
          key={contactKey(selected.accountId, selected.peer)}
          accountId={selected.accountId}
          peer={selected.peer}
          contactOffline={accountOnline && (contact?.presence ?? 'offline') === 'offline'}
          accountJid={severalAccounts ? accountJid : undefined}
        />
      </header>
      <WakeUpPrompts accountId={selected.accountId} peer={selected.peer} />
      <div className="history" role="log" aria-label="Messages" aria-live="polite">
        {!messages || messages.length === 0 ? (
          <p className="hint">No messages yet.</p>
        ) : (
          <ol>
            {messages.map((m) => (
              <Message key={m.id} m={m} waiting={queued > 0 && m.direction === 'out' && m.encrypted && m.delivery === 'pending'} />
            ))}
          </ol>
        )}
        <div ref={endRef} />
      </div>
      <Composer key={contactKey(selected.accountId, selected.peer)} accountId={selected.accountId} peer={selected.peer} />
    </main>
  );
}
