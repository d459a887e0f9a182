// The contact's typing notification (XEP-0085), as the last line of the timeline (not in the
// header, which never grows): "<name> is typing…" while their state is 'composing'. Inside the
// history's log, a live region, so that it is read out once when it appears.
import { useAppState } from '../context';
import { contactKey } from '../store';

export function Typing({ accountId, peer }: { accountId: string; peer: string }) {
  const key = contactKey(accountId, peer);
  const composing = useAppState((s) => s.typing[key] === 'composing');
  const name = useAppState((s) => s.contacts[key]?.name ?? peer);
  if (!composing) return null;
  return (
    <p className="typing" data-testid="typing">
      {name} is typing…
    </p>
  );
}
