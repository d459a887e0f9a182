// The client's view of one group (docs/groups.md §"The client"): plain data, serialisable, so
// the core can persist it (encrypted) and the state machine (client.ts) can be a pure function
// of (state, input) → (state, messages to send, events).
import type { Clock, RandomSource } from '../otr/common/random';
import type { KeyBundle, LocalGroupIdentity } from './keys';
import type { MessageOf } from './wire';

export type Phase =
  /** identity sent, no Ack yet */
  | 'joining'
  /** notes step 1–2: waiting for a member who knows our key */
  | 'pending'
  /** steps 3–5 running with one member */
  | 'admitting'
  | 'member'
  /** disconnected by the service (nobody vouched, …) or we refused the member who answered */
  | 'refused'
  | 'left'
  | 'removed';

export interface MemberView {
  key: KeyBundle;
  /** the hello_i_am name, when one was received */
  name?: string;
  /** the epoch of the user_added that admitted it (absent: came in a voucher's roster) */
  since?: number;
}

export interface ClientGroupState {
  /** group id (local part of the group's address) */
  group: string;
  /** the group's address, e.g. g-1234@groups.example.org: service messages come from it only */
  address: string;
  me: string;
  myName: string;
  phase: Phase;
  creator: string | null;
  /** the creator and the admins it named (set_admins), as this client verified them */
  admins: string[];
  /** version of the last set_admins applied (replays of older lists are refused); absent = 0 */
  adminVer?: number;
  /** the member list WE can verify: each entry came from a voucher or a signed statement */
  members: Record<string, MemberView>;
  epoch: number;
  /** session keys by epoch (the current one and recent ones, for messages still in flight) */
  keys: Record<number, Uint8Array>;
  /** our next group-message counter in the current epoch */
  ctr: number;
  /** highest counter seen per "fp:epoch" (replay refusal) */
  seen: Record<string, number>;
  /** the highest service sequence number received (the catch-up cursor) */
  since: number;
  /** newcomer side: the member answering us and our challenge nonce */
  admission: { voucher: string; key: KeyBundle; nonce: Uint8Array } | null;
  /** member side: newcomers we identified and wait a challenge from */
  vouching: Record<string, KeyBundle>;
  /** a member left or was removed and the new key has not arrived: sending would leak to them */
  rekeyPending: boolean;
  /** who must hand out that key: the remover, or the rule's member after a leave (admins.ts) */
  rekeyFrom?: string;
  /**
   * the epoch the latest removal or leave calls for (rekey.ts): one above the previous target per
   * change; equal to `epoch` when no rekey is pending (absent in states saved before: `epoch`)
   */
  target?: number;
  /** the member who must hand out each recent target epoch's key */
  rekeyers?: Record<number, string>;
  /**
   * member side: newcomers whose challenge we answered (epoch of the key we gave) or must answer
   * once the pending new key is here (epoch null), until their user_added comes back
   */
  answered?: Record<string, { key: KeyBundle; nonce: Uint8Array; epoch: number | null }>;
  /**
   * group messages under the key of a change we applied whose key has not reached us yet (the
   * sender's copy came first): opened once it does (client.ts releaseEarly), bounded
   */
  early?: MessageOf<'group'>[];
  refusal: { reason: string; text: string } | null;
  /** identity sent, Ack not yet received */
  awaitingAck: boolean;
  /** create the group on first identity */
  create: boolean;
}

export interface ClientDeps {
  me: LocalGroupIdentity;
  /** "trusted identities" (notes step 3–4): the fingerprints our user has verified */
  isTrusted(fp: string): boolean;
  random: RandomSource;
  clock: Clock;
}

export type ClientEvent =
  | { type: 'admission-pending' }
  | { type: 'admitted' }
  | { type: 'connected' }
  | { type: 'refused'; reason: string; text: string }
  | { type: 'untrusted-voucher'; fp: string }
  | { type: 'vouch-declined'; fp: string }
  | { type: 'vouched'; fp: string }
  | { type: 'member-added'; fp: string; by: string }
  | { type: 'member-removed'; fp: string; by: string }
  | { type: 'member-left'; fp: string }
  | { type: 'admins-changed'; admins: string[] }
  | { type: 'removed'; by: string }
  | { type: 'hello'; fp: string; name: string }
  | { type: 'message'; from: string; text: string; ts: number; epoch: number; ctr: number; seq: number | null }
  | { type: 'rekeyed'; epoch: number }
  /** the key of an epoch a later change overtook: kept to read, never to send under */
  | { type: 'late-key'; epoch: number }
  | { type: 'service-error'; code: string; text: string };

export function newGroupState(o: {
  group: string;
  address: string;
  me: LocalGroupIdentity;
  name: string;
  create: boolean;
  random: RandomSource;
}): ClientGroupState {
  const s: ClientGroupState = {
    group: o.group,
    address: o.address,
    me: o.me.fingerprint,
    myName: o.name,
    phase: 'joining',
    creator: null,
    admins: [],
    members: {},
    epoch: 0,
    keys: {},
    ctr: 0,
    seen: {},
    since: 0,
    admission: null,
    vouching: {},
    rekeyPending: false,
    refusal: null,
    awaitingAck: false,
    create: o.create,
  };
  if (o.create) {
    s.creator = o.me.fingerprint;
    s.admins = [o.me.fingerprint];
    s.members[o.me.fingerprint] = { key: o.me.bundle, name: o.name };
    s.epoch = 1;
    s.target = 1;
    s.keys[1] = o.random(32);
  }
  return s;
}
