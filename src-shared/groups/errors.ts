// Typed errors of the group protocol (docs/groups.md §"Errors"). Every refusal names the rule it
// enforces, so that callers (service, core, UI) can tell a malformed message from an out-of-order
// one, a forgery or a replay, and show the user a sentence rather than a stack.

export type GroupErrorCode =
  /** the body is not one of the protocol's messages, or a field has the wrong shape */
  | 'malformed'
  /** a message that is valid on its own but not expected in this state (notes: step order) */
  | 'out-of-order'
  /** a signature or an AEAD tag does not verify */
  | 'bad-signature'
  | 'undecryptable'
  /** a key bundle whose fingerprint or binding signature does not match (identity step) */
  | 'bad-identity'
  /** step 5: the response does not carry the nonce of our challenge */
  | 'wrong-nonce'
  /** step 3: a vouch for an identity the member has not verified, or by a non-member */
  | 'not-vouched'
  /** a service message (user_added, …) that did not come from the group's service address */
  | 'forged-service-message'
  /** a group message whose counter was already seen */
  | 'replay'
  /** the sender is not a member, or lacks the right (remove: creator and admins only) */
  | 'not-allowed'
  | 'no-such-group'
  /** add_user vouches with the key of an epoch a removal or leave has ended (vouch again) */
  | 'stale-epoch'
  /** the state the operation needs is missing (e.g. a rekey is still pending) */
  | 'not-ready';

export class GroupProtocolError extends Error {
  override readonly name = 'GroupProtocolError';
  constructor(
    readonly code: GroupErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const groupError = (code: GroupErrorCode, message: string): GroupProtocolError => new GroupProtocolError(code, message);

export const isGroupError = (e: unknown): e is GroupProtocolError => e instanceof GroupProtocolError;
