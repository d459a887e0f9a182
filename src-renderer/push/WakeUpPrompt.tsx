// The approval prompt of the push handshake (issue 14; ChatSecure Push Protocol v3.1, "Initial
// Exchange over OTR TLV" step 1: "Ask user to initiate Push handshake"). Asked once per contact,
// inside a private conversation. Yes sends our wake-up details over OTR (or answers the
// contact's); No sends nothing: the contact only ever learns that no wake-up is possible.
import { useState } from 'react';
import type { PushPrompt } from '../../src-shared/ipc/push-contract';
import { usePush, usePushState } from './context';
import { ErrorAlert } from '../ui/ErrorAlert';

function OnePrompt({ prompt }: { prompt: PushPrompt }) {
  const { actions } = usePush();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { accountId, peer, reason } = prompt;
  const answer = async (yes: boolean) => {
    setBusy(true);
    setError(null);
    const r = yes ? await actions.approve(accountId, peer) : await actions.decline(accountId, peer);
    setBusy(false);
    if (!r.ok) setError(r.error.message);
  };
  return (
    <div className="push-prompt" role="dialog" aria-label={`Wake-ups with ${peer}`} data-reason={reason}>
      <p>
        <strong>Let {peer} wake this computer when you are offline?</strong>
      </p>
      <p className="hint">
        {reason === 'their-offer' ? `${peer} already said yes and sent theirs. ` : ''}
        When you are offline, {peer}&apos;s messenger can then tap this computer on the shoulder, so it signs in and the message arrives privately right away
        instead of waiting until you come back. The tap carries no message and no names: only a sealed note that this computer alone can open. You can revoke it
        at any time in the account&apos;s wake-up settings.
      </p>
      <div className="row">
        <button type="button" disabled={busy} onClick={() => void answer(true)}>
          {reason === 'their-offer' ? 'Yes, and send mine back' : 'Yes'}
        </button>
        <button type="button" disabled={busy} onClick={() => void answer(false)}>
          No
        </button>
      </div>
      <ErrorAlert error={error} />
    </div>
  );
}

/** The prompts waiting for the user, for one conversation (peer given) or all of an account's. */
export function WakeUpPrompts({ accountId, peer }: { accountId: string; peer?: string }) {
  const prompts = usePushState((s) => s.prompts);
  const shown = Object.values(prompts).filter((p) => p.accountId === accountId && (peer === undefined || p.peer === peer));
  if (shown.length === 0) return null;
  return (
    <>
      {shown.map((p) => (
        <OnePrompt key={`${p.accountId}\n${p.peer}`} prompt={p} />
      ))}
    </>
  );
}
