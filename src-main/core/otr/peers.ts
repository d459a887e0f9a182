// The conversations of one account, one per contact bare JID (docs/architecture.md §5): each a
// NegotiatingConversation (OTRv4 with OTRv3 fallback, src-shared/otr/conversation.ts) holding one
// session per instance tag of the contact (OTRv4 §"Instance Tags", OTRv3 §"Instance Tags"), plus
// what we remember about the contact's devices: which full JID each instance tag wrote from, the
// session the header shows, the SMP exchange, and whether the contact still tags its plaintext.
import type { OtrPolicyName, OtrSmpStatus } from '../../../src-shared/ipc/otr-contract';
import { MessengerError } from '../../../src-shared/ipc/result';
import type { OtrPolicy } from '../../../src-shared/otr/api';
import type { Clock, RandomSource } from '../../../src-shared/otr/common/random';
import { addWhitespaceTag } from '../../../src-shared/otr/common/whitespace';
import { NegotiatingConversation } from '../../../src-shared/otr/conversation';
import type { Dh1536Engine } from '../../../src-shared/otr/v3/group';
import type { V3Symmetric } from '../../../src-shared/otr/v3/symmetric';
import type { Dh3072Engine } from '../../../src-shared/otr/v4/dh3072';
import { dakeIdentity, prekeyOwner } from '../../../src-shared/otr/v4/identity';
import { devicesToAsk, fanoutTargets } from './fanout';
import type { OtrAccountIdentity } from './identity';
import type { OtrStore } from './otr-store';

/** The library policy for a user-facing policy name and ALLOW_V2 (OTRv3 §"Policies"). */
export function libraryPolicy(name: OtrPolicyName, allowV2 = true): OtrPolicy {
  const auto = name !== 'manual';
  return {
    allowV2,
    allowV3: true,
    allowV4: true,
    // queueing is the service's job (persisted, otr/queue.ts); the library never queues
    requireEncryption: false,
    // whitespace tags are added by plaintextWire below, on the plaintext the service lets through
    sendWhitespaceTag: false,
    whitespaceStartAke: auto,
    errorStartAke: auto,
  };
}

export interface PeerState {
  peer: string;
  conv: NegotiatingConversation;
  convPolicy: OtrPolicyName;
  /** OTRv3 §"Policies" ALLOW_V2 the conversation was built with */
  convAllowV2: boolean;
  /** instance tag -> full JID it last wrote from */
  tagJid: Map<number, string>;
  /** the full JID of the last OTR message from this contact (before its instance tag is known) */
  lastFrom?: string;
  /** the session shown in the header: the one that became encrypted last */
  current?: number | undefined;
  smp: OtrSmpStatus & { fingerprint?: string };
  /** OTRv3 §"Whitespace tag": stop tagging once the contact sent plaintext without a tag */
  peerSentUntagged: boolean;
  /** the contact's devices started offline (otr/offline-start.ts): what we write goes to each */
  offlineFanout?: number[] | undefined;
  /** the devices the user chose to write to (otr/fanout.ts); unset: every device that is online */
  chosenDevices?: number[] | undefined;
  /** full JIDs of the contact's other devices asked for a session of their own (otr/dispatch.ts), once each */
  askedDevices?: Set<string>;
  lastStatus?: string;
  /** the contact speaks OTR: a whitespace tag or an OTR message came from them (issue 13, no plaintext surprises) */
  speaksOtr?: boolean;
  /** the user ended the private conversation: the opportunistic policy no longer insists */
  endedByUser?: boolean;
  /** plaintext arrived while the conversation was private (cleared by the next private message) */
  receivedInClear?: boolean;
  /** our request for a private conversation that nothing answered yet (otr/start-watch.ts) */
  starting?: { sentAt: number; gaveUp: boolean; timer?: unknown } | undefined;
}

export type OtrSession = ReturnType<NegotiatingConversation['sessions']>[number];

export const NO_SMP: OtrSmpStatus = { phase: 'none', initiatedByUs: false };

export interface PeersDeps {
  accountId: string;
  /** our bare JID (part of OTRv4's phi, §"Shared Session State") */
  ownJid: string;
  identity: OtrAccountIdentity;
  store: OtrStore;
  defaultPolicy: OtrPolicyName;
  random: RandomSource;
  clock: Clock;
  dh3072: Dh3072Engine;
  dh1536: Dh1536Engine;
  /** OTRv3 hashes, HMAC and AES (native in the app) */
  v3Symmetric: V3Symmetric;
  /** one of our one-time prekey secrets was used by a conversation (an offline start) */
  onPrekeyUsed(): void;
  /** the contact's full JIDs that are available now (RFC 6121 §4); absent: presence is not known */
  presentResources?(peer: string): string[];
}

export interface Peers {
  policyFor(peer: string): { policy: OtrPolicyName; overridden: boolean };
  /** the contact's state, made on first use; rebuilt when the policy changed and nothing runs */
  state(peer: string): PeerState;
  /** the state if the contact was ever talked to */
  known(peer: string): PeerState | undefined;
  all(): PeerState[];
  /** the encrypted session the header shows (the current one, else any encrypted one) */
  encryptedSession(ps: PeerState): OtrSession | undefined;
  /** the address for a session's traffic: its device's full JID when known */
  addressOf(ps: PeerState, tag: number | undefined): string;
  /**
   * the sessions what we write goes to (otr/fanout.ts): the offline start's devices, else the
   * devices the user chose, else every device with an encrypted session that is online
   */
  targets(ps: PeerState): number[];
  /**
   * Issue 13, several devices (otr.devices.choose): the devices what we write goes to from now on
   * (fanout.ts step 2); null: every one that is online. Each must have an encrypted session now,
   * else a 'not-found' error and the choice stays as it was: a choice of devices we cannot write
   * to privately would be empty, and the fan-out would fall back to all of them without saying
   * so. Kept in memory for this run of the app; ending the conversation clears it (service.ts end).
   */
  choose(ps: PeerState, instanceTags: readonly number[] | null): void;
  /** the contact's online devices without a session to ask for one (otr/fanout.ts devicesToAsk); marked asked */
  takeDevicesToAsk(ps: PeerState): string[];
  /** the text to send in clear (with our whitespace tag when the policy advertises OTR) */
  plaintextWire(ps: PeerState, text: string): string;
}

export function createPeers(deps: PeersDeps): Peers {
  const peers = new Map<string, PeerState>();

  const policyFor = (peer: string) => deps.store.policy(deps.accountId, peer, deps.defaultPolicy);

  const newConversation = (peer: string, policy: OtrPolicyName, allowV2: boolean): NegotiatingConversation => {
    const id = deps.identity;
    return new NegotiatingConversation({
      policy: libraryPolicy(policy, allowV2),
      v3: { identity: id.v3, rng: deps.random, clock: deps.clock, engine: deps.dh1536, symmetric: deps.v3Symmetric },
      v4: {
        identity: dakeIdentity(id.v4),
        random: deps.random,
        clock: deps.clock,
        dh: deps.dh3072,
        ourId: deps.ownJid,
        theirId: peer,
        prekeyOwner: prekeyOwner(id.v4, deps.clock, () => deps.onPrekeyUsed()),
      },
    });
  };

  const encryptedSession = (ps: PeerState): OtrSession | undefined => {
    const enc = ps.conv.sessions().filter((s) => s.state === 'encrypted');
    return enc.find((s) => s.instanceTag === ps.current) ?? enc[0];
  };

  return {
    policyFor,
    state(peer) {
      let ps = peers.get(peer);
      const { policy } = policyFor(peer);
      const allowV2 = deps.store.allowV2(deps.accountId, peer);
      if (!ps) {
        ps = {
          peer,
          conv: newConversation(peer, policy, allowV2),
          convPolicy: policy,
          convAllowV2: allowV2,
          tagJid: new Map(),
          smp: { ...NO_SMP },
          peerSentUntagged: false,
        };
        peers.set(peer, ps);
      } else if ((ps.convPolicy !== policy || ps.convAllowV2 !== allowV2) && ps.conv.sessions().every((s) => s.state === 'plaintext')) {
        // a changed policy applies from the next conversation on; nothing runs now, so rebuild
        ps.conv = newConversation(peer, policy, allowV2);
        ps.convPolicy = policy;
        ps.convAllowV2 = allowV2;
        ps.current = undefined;
      }
      return ps;
    },
    known: (peer) => peers.get(peer),
    all: () => [...peers.values()],
    encryptedSession,
    addressOf: (ps, tag) => (tag !== undefined ? ps.tagJid.get(tag) : undefined) ?? ps.peer,
    targets: (ps) =>
      fanoutTargets({
        sessions: ps.conv.sessions(),
        tagJid: ps.tagJid,
        present: deps.presentResources?.(ps.peer),
        chosen: ps.chosenDevices,
        offlineFanout: ps.offlineFanout,
        current: ps.current,
      }),
    choose(ps, instanceTags) {
      if (instanceTags === null) {
        ps.chosenDevices = undefined;
        return;
      }
      const live = new Set(ps.conv.sessions().flatMap((s) => (s.state === 'encrypted' ? [s.instanceTag] : [])));
      const unknown = instanceTags.filter((t) => !live.has(t));
      if (unknown.length > 0) {
        const words = unknown.map((t) => t.toString(16).toUpperCase().padStart(8, '0')).join(', ');
        throw new MessengerError('not-found', `No private session with ${ps.peer}'s device ${words}.`);
      }
      ps.chosenDevices = [...new Set(instanceTags)];
    },
    takeDevicesToAsk(ps) {
      if (ps.convPolicy === 'manual') return [];
      const asked = (ps.askedDevices ??= new Set());
      const ask = devicesToAsk({ sessions: ps.conv.sessions(), tagJid: ps.tagJid, present: deps.presentResources?.(ps.peer) }, asked);
      for (const j of ask) asked.add(j);
      return ask;
    },
    plaintextWire(ps, text) {
      if (ps.convPolicy === 'manual' || ps.peerSentUntagged) return text;
      // OTRv3 §"Tagged plaintext messages": offer every version we would speak; clients that
      // speak only version 2 (Profanity) ignore a tag without it
      return addWhitespaceTag(text, ps.convAllowV2 ? [4, 3, 2] : [4, 3]);
    },
  };
}
