// Messages from strangers (someone not in the contact list), one row each with what they wrote
// and three choices: accept (they become a contact and the messages join a conversation), block,
// ignore. Nothing of theirs is a contact or a conversation before the user accepts, and no
// private-conversation key exchange starts with them (docs/otr-in-the-app.md "Strangers").
import { useState } from 'react';
import type { MessageRequest } from '../src-shared/ipc/contract';
import { useApp, useAppState } from './context';
import { plainWords } from './errors';
import { contactKey } from './store';
import { ErrorAlert } from './ui/ErrorAlert';

function RequestRow({ request }: { request: MessageRequest }) {
  const { actions } = useApp();
  const [error, setError] = useState<string | null>(null);
  const decide = async (decision: 'accept' | 'block' | 'ignore') => {
    setError(null);
    const r = await actions.decideRequest(request.accountId, request.peer, decision);
    if (!r.ok) setError(plainWords(r.error));
  };
  const last = request.messages[request.messages.length - 1];
  return (
    <li className="message-request" aria-label={`Message request from ${request.peer}`}>
      <div className="request-from">{request.peer} is not in your contacts</div>
      {last && (
        <div className="request-text">
          “{last.body}”{request.messages.length > 1 ? ` and ${request.messages.length - 1} more` : ''}
        </div>
      )}
      {request.askedPrivate && <div className="hint">They also asked for a private conversation; it starts only if you accept.</div>}
      <div className="row">
        <button type="button" onClick={() => void decide('accept')}>
          Accept
        </button>
        <button type="button" className="link" onClick={() => void decide('block')}>
          Block
        </button>
        <button type="button" className="link" onClick={() => void decide('ignore')}>
          Ignore
        </button>
      </div>
      <ErrorAlert error={error} />
    </li>
  );
}

export function MessageRequests({ accountId }: { accountId: string }) {
  const all = useAppState((s) => s.messageRequests);
  const mine = Object.values(all).filter((r) => r.accountId === accountId);
  if (mine.length === 0) return null;
  return (
    <section className="message-requests" aria-label="Message requests">
      <h2>Message requests</h2>
      <ul>
        {mine.map((r) => (
          <RequestRow key={contactKey(r.accountId, r.peer)} request={r} />
        ))}
      </ul>
    </section>
  );
}
