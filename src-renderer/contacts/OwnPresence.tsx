// The user's own presence under each online account (RFC 6121 §4.7): Available, Away or Do not
// disturb, and a status message, shown to every contact who sees the account's presence. The
// choice applies at once; the message when Enter is pressed or the field is left.
import { useId, useState } from 'react';
import type { OwnShow } from '../../src-shared/ipc/everyday-contract';
import { useApp, useAppState } from '../context';
import { plainWords } from '../errors';
import { ErrorAlert } from '../ui/ErrorAlert';

export const showWords: Record<OwnShow, string> = { online: 'Available', away: 'Away', dnd: 'Do not disturb' };

export function OwnPresence({ accountId }: { accountId: string }) {
  const { actions } = useApp();
  const own = useAppState((s) => s.ownPresence[accountId]) ?? { show: 'online' as OwnShow, status: '' };
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const ids = { show: useId(), status: useId() };
  const apply = async (show: OwnShow, text: string) => {
    setError(null);
    const r = await actions.setPresence(accountId, show, text);
    if (!r.ok) setError(plainWords(r.error));
    else setStatus(null);
  };
  const text = status ?? own.status;
  return (
    <div className="own-presence">
      <label htmlFor={ids.show}>Your status</label>
      <select id={ids.show} value={own.show} onChange={(e) => void apply(e.target.value as OwnShow, text.trim())}>
        {(Object.keys(showWords) as OwnShow[]).map((s) => (
          <option key={s} value={s}>
            {showWords[s]}
          </option>
        ))}
      </select>
      <label htmlFor={ids.status} className="sr-only">
        Status message
      </label>
      <input
        id={ids.status}
        type="text"
        maxLength={500}
        placeholder="Status message"
        value={text}
        onChange={(e) => setStatus(e.target.value)}
        onBlur={() => {
          if (status !== null && status.trim() !== own.status) void apply(own.show, status.trim());
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            void apply(own.show, text.trim());
          }
        }}
      />
      <ErrorAlert error={error} />
    </div>
  );
}
