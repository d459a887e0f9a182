// The encryption state of the conversation, for the header. A session in the older OTR version 2
// (the contact's client, e.g. Profanity, speaks nothing newer) is marked as such.
import type { OtrStatus, OtrTrustState } from '../../src-shared/ipc/otr-contract';
import { stateExplanations, stateWords } from './words';

export const olderVersionWords = 'older OTR version 2';
export const olderVersionExplanation =
  "Your contact's client only speaks the older OTR version 2: messages are encrypted as with version 3, but with one device of the contact at a time (no instance tags).";

export function OtrBadge({ state, version }: { state: OtrTrustState; version?: OtrStatus['version'] }) {
  const older = version === 2 && state !== 'not-private';
  const words = older ? `${stateWords[state]} · ${olderVersionWords}` : stateWords[state];
  const title = older ? `${stateExplanations[state]} ${olderVersionExplanation}` : stateExplanations[state];
  return (
    <span
      className={`otr-badge otr-${state}`}
      data-otr-state={state}
      data-otr-version={version}
      role="status"
      aria-label={`Encryption: ${words}`}
      title={title}
    >
      {words}
    </span>
  );
}
