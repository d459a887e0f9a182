// Plain words for the OTR states (issue 6: the header shows not private / private (unverified) /
// private (verified) / finished), as Pidgin-OTR and CoyIM users know them.
import type { OtrTrustState } from '../../src-shared/ipc/otr-contract';

export const stateWords: Record<OtrTrustState, string> = {
  'not-private': 'Not private',
  'private-unverified': 'Private (unverified)',
  'private-verified': 'Private (verified)',
  finished: 'Private conversation ended',
};

export const stateExplanations: Record<OtrTrustState, string> = {
  'not-private': 'Messages are not encrypted. Anyone who can see the traffic (for example the servers) can read them.',
  'private-unverified': 'Messages are encrypted, but you have not verified that the key belongs to this contact. Verify them to be sure no one is in between.',
  'private-verified': 'Messages are encrypted and you verified this contact.',
  finished:
    'Your contact ended the private conversation. What you write now is not sent: it waits until you start a new private conversation, or you end it too.',
};
