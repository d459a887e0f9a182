// The encryption state of the conversation, for the header.
import type { OtrTrustState } from '../../src-shared/ipc/otr-contract';
import { stateExplanations, stateWords } from './words';

export function OtrBadge({ state }: { state: OtrTrustState }) {
  return (
    <span className={`otr-badge otr-${state}`} data-otr-state={state} role="status" aria-label={`Encryption: ${stateWords[state]}`} title={stateExplanations[state]}>
      {stateWords[state]}
    </span>
  );
}
