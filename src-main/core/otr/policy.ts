// The account's and each contact's OTR policy (OTRv3 §"Policies"; docs/otr-in-the-app.md), and the
// one question every message written asks: may this go out in clear? Stored in the OTR tables
// (otr-store.ts); a running session keeps going when the policy changes, the conversations pick
// the new policy up when they are next idle.
import { DEFAULT_OTR_POLICY, type OtrPolicyName } from '../../../src-shared/ipc/otr-contract';
import { MessengerError } from '../../../src-shared/ipc/result';
import type { OtrStore } from './otr-store';
import type { Peers, PeerState } from './peers';

export interface PolicyDeps {
  accountId: string;
  store: OtrStore;
  peers: Peers;
  /** the policy when neither the account nor the contact has one */
  defaultPolicy?: OtrPolicyName | undefined;
  /** the status of a conversation whose policy changed goes to the renderer */
  emitStatus(ps: PeerState): void;
  /** whether the contact has published prekeys (otr/prekey-signal.ts): undefined is unknown */
  prekeysPublished?(peer: string): boolean | undefined;
  /** whether asking their prekey server now would tell something (otr/prekey-signal.ts) */
  prekeysWorthAsking?(peer: string): boolean;
}

export interface Policy {
  /**
   * `allowV2` (OTRv3 §"Policies" ALLOW_V2), when given, is stored with the account's policy (no
   * peer; policy null then keeps the account's policy) or with the contact's own policy.
   */
  set(peer: string | undefined, policy: OtrPolicyName | null, allowV2?: boolean): OtrPolicyName;
  /**
   * 'always', a private intent or a running session; and under 'opportunistic' (issue 13, no
   * plaintext surprises) a contact known to speak OTR: a key of theirs seen before, or a
   * whitespace tag / OTR message from them, or prekeys they published on their prekey server.
   * Then the first message waits for the session (a round trip) instead of going in clear, unless
   * the user ended the private conversation.
   */
  mustBePrivate(ps: PeerState): boolean;
  /**
   * Whether the answer of mustBePrivate could still change by asking the contact's prekey server
   * (opportunistic, nothing else known, no fresh answer): then the account asks before a message
   * is written (otr/prekey-ask.ts).
   */
  asksPrekeys(ps: PeerState): boolean;
}

export function createPolicy(deps: PolicyDeps): Policy {
  const { accountId, store, peers } = deps;
  const fallback = deps.defaultPolicy ?? DEFAULT_OTR_POLICY;
  const accountPolicy = () => store.policy(accountId, undefined, fallback).policy;
  /** the opportunistic policy's own signals, prekeys aside */
  const speaks = (ps: PeerState) => ps.speaksOtr === true || store.fingerprints(accountId, ps.peer).length > 0;
  const decidedWithoutPrekeys = (ps: PeerState): boolean | undefined => {
    const policy = peers.policyFor(ps.peer).policy;
    if (policy === 'always' || store.isPrivate(accountId, ps.peer) || peers.encryptedSession(ps) !== undefined) return true;
    if (policy !== 'opportunistic' || ps.endedByUser) return false;
    return speaks(ps) ? true : undefined;
  };

  return {
    set(peer, policy, allowV2) {
      if (peer === undefined && policy === null && allowV2 === undefined)
        throw new MessengerError('invalid-argument', 'An account always has a policy; pick manual, opportunistic or always.');
      if (policy !== null || peer !== undefined) store.setPolicy(accountId, peer, policy);
      if (allowV2 !== undefined && !store.setAllowV2(accountId, peer, allowV2, accountPolicy())) {
        throw new MessengerError(
          'invalid-argument',
          `${peer ?? 'The contact'} has no policy of its own: set the account's "older OTR version 2" setting, or give the contact a policy first.`,
        );
      }
      const affected = peer === undefined ? peers.all() : [peers.known(peer)].filter((p): p is PeerState => !!p);
      for (const ps of affected) deps.emitStatus(ps);
      return peer === undefined ? (policy ?? accountPolicy()) : peers.policyFor(peer).policy;
    },

    mustBePrivate(ps) {
      // unknown (a failed query, nothing asked yet) is not "yes": the composer says it goes in clear
      return decidedWithoutPrekeys(ps) ?? deps.prekeysPublished?.(ps.peer) === true;
    },

    asksPrekeys(ps) {
      return decidedWithoutPrekeys(ps) === undefined && (deps.prekeysWorthAsking?.(ps.peer) ?? false);
    },
  };
}
