// The parts of one account's OTR service and how they are wired to each other (docs/architecture.md
// §5 and 6); service.ts holds them and keeps the conversation-wide operations. Each part is a file
// of its own with its dependencies passed in (see the list at the top of service.ts).
import { DEFAULT_OTR_POLICY, type OtrEventPayloads, type OtrPolicyName, type OtrStatus } from '../../../src-shared/ipc/otr-contract';
import { bareKey } from '../../../src-shared/ipc/jid';
import type { EngineOutput } from '../../../src-shared/otr/api';
import type { Clock, RandomSource } from '../../../src-shared/otr/common/random';
import type { Dh1536Engine } from '../../../src-shared/otr/v3/group';
import type { Dh3072Engine } from '../../../src-shared/otr/v4/dh3072';
import { nativeDh1536Engine, nativeDh3072Engine, systemRandom } from '../../../src-shared/node-crypto/dh-engines';
import { nativeV3Symmetric } from '../../../src-shared/node-crypto/symmetric-engine';
import { createDispatch, type Dispatch } from './dispatch';
import { ourFingerprints, type OtrAccountIdentity } from './identity';
import { createNotices, type Notices } from './notices';
import { createOfflineStart, type OfflineStart } from './offline-start';
import type { OtrStore } from './otr-store';
import { createPeers, type Peers, type PeerState } from './peers';
import { createPolicy, type Policy } from './policy';
import { createPrekeySignal, type PrekeySignal } from './prekey-signal';
import { createQueue, type Queue } from './queue';
import { createRecovery, type Outgoing, type Recovery } from './recovery';
import { createSmp, type Smp } from './smp';
import { createStartWatch, systemTimers, type StartTimers, type StartWatch } from './start-watch';
import { createStatus, type StatusReporter } from './status';
import type { InboundTlv, OtrWire } from './wire';

export interface OtrServiceDeps {
  accountId: string;
  /** our bare JID (part of OTRv4's phi, §"Shared Session State") */
  ownJid: string;
  identity: OtrAccountIdentity;
  store: OtrStore;
  /** hands one OTR stanza to XMPP (with the hints of stanza.ts) */
  transport(wire: OtrWire): void;
  emit<K extends keyof OtrEventPayloads>(name: K, payload: OtrEventPayloads[K]): void;
  /** a message that waited went out (encrypted, or in clear because the user chose so) */
  onQueuedSent(messageId: string, encrypted: boolean): void;
  /** the user discarded a message that waited */
  onQueuedDiscarded(messageId: string): void;
  /** a one-time prekey secret was used (and deleted from `identity`): persist the identity now */
  onPrekeyConsumed?: () => void;
  /** a TLV arrived that OTR does not act on itself (wire.ts InboundTlv) */
  onTlv?: (tlv: InboundTlv) => void;
  /** our encrypted messages to `peer` written but not confirmed by a receipt (otr/recovery.ts) */
  unconfirmed?: (peer: string) => Array<{ messageId: string; body: string; resent?: boolean; timestamp?: number }>;
  /** whether the contact's devices send receipts for our private messages (otr/recovery.ts contactReturned) */
  confirmsReceipts?: (peer: string) => boolean;
  /** both of the above from one read of the history (otr/recovery.ts); used when given */
  outgoing?: (peer: string) => Outgoing;
  /** a message goes out again in a new session (otr/recovery.ts) */
  onResent?: (messageId: string) => void;
  /** the policy when neither the account nor the contact has one */
  defaultPolicy?: OtrPolicyName;
  /** whether the account is connected at creation (default true); then setOnline() */
  online?: boolean;
  random?: RandomSource;
  clock?: Clock;
  dh3072?: Dh3072Engine;
  dh1536?: Dh1536Engine;
  /** timers of the start watch (otr/start-watch.ts); tests pass fake ones with the fake clock */
  timers?: StartTimers;
  /** the contact's full JIDs that are available now: what we write goes to those devices (otr/fanout.ts) */
  presentResources?(peer: string): string[];
}

export interface OtrParts {
  ours: { v3: string; v4: string };
  peers: Peers;
  notices: Notices;
  status: StatusReporter;
  dispatch: Dispatch;
  queue: Queue;
  smp: Smp;
  offline: OfflineStart;
  watch: StartWatch;
  policy: Policy;
  recovery: Recovery;
  prekeySignal: PrekeySignal;
}

/** what the parts need from the service that holds them */
export interface OtrServiceHooks {
  isOnline(): boolean;
  end(peer: string): OtrStatus;
}

export function composeOtrParts(deps: OtrServiceDeps, hooks: OtrServiceHooks): OtrParts {
  const clock = deps.clock ?? Date.now;
  const { accountId, store } = deps;
  const ours = ourFingerprints(deps.identity);
  const peers = createPeers({
    accountId,
    ownJid: deps.ownJid,
    identity: deps.identity,
    store,
    defaultPolicy: deps.defaultPolicy ?? DEFAULT_OTR_POLICY,
    random: deps.random ?? systemRandom,
    clock,
    dh3072: deps.dh3072 ?? nativeDh3072Engine(),
    dh1536: deps.dh1536 ?? nativeDh1536Engine(),
    v3Symmetric: nativeV3Symmetric(),
    onPrekeyUsed: () => {
      offline.prekeyUsed();
      deps.onPrekeyConsumed?.();
    },
    ...(deps.presentResources ? { presentResources: deps.presentResources } : {}),
  });
  const prekeySignal = createPrekeySignal(clock);
  const policy = createPolicy({
    accountId,
    store,
    peers,
    defaultPolicy: deps.defaultPolicy,
    emitStatus: (ps) => status.emit(ps),
    prekeysPublished: (p) => prekeySignal.published(p),
    prekeysWorthAsking: (p) => prekeySignal.worthAsking(p),
  });
  const notices = createNotices({ accountId, ownBare: bareKey(deps.ownJid), clock, emit: (n, p) => deps.emit(n, p) });
  const status = createStatus({
    accountId,
    store,
    peers,
    ours,
    emit: (n, p) => deps.emit(n, p),
    wantsPrivate: (ps) => policy.mustBePrivate(ps),
  });
  const common = { accountId, store, clock, peers, notices, status, isOnline: hooks.isOnline };
  const watch = createStartWatch({ accountId, store, clock, peers, notices, status, timers: deps.timers ?? systemTimers });
  const handle = (ps: PeerState, out: EngineOutput, to: string, messageId?: string, opts?: { announceFlush?: boolean }) =>
    dispatch.handle(ps, out, to, messageId, opts);
  const smp = createSmp({ ...common, handle });
  const queue = createQueue({
    ...common,
    transport: (w) => deps.transport(w),
    handle,
    end: (peer) => hooks.end(peer),
    onQueuedSent: (id, e) => deps.onQueuedSent(id, e),
    onQueuedDiscarded: (id) => deps.onQueuedDiscarded(id),
    onStartRequested: (ps) => watch.requested(ps),
  });
  const offline = createOfflineStart({ ...common, handle });
  const recovery = createRecovery({
    ...common,
    handle,
    outgoing: (peer) => deps.outgoing?.(peer) ?? { unconfirmed: deps.unconfirmed?.(peer) ?? [], confirmsReceipts: deps.confirmsReceipts?.(peer) ?? false },
    flush: (ps) => queue.flush(ps, false),
    onResent: (id) => deps.onResent?.(id),
    offline: { tags: (p) => offline.tags(p), send: (p, t) => offline.send(p, t) },
  });
  const dispatch = createDispatch({
    ...common,
    transport: (w) => deps.transport(w),
    onSmp: (ps, ev) => smp.onEvent(ps, ev),
    flushQueue: (ps, announce) => queue.flush(ps, announce),
    onOlderVersionRefused: (ps, by) => watch.olderVersionRefused(ps, by),
    ...(deps.onTlv ? { onTlv: deps.onTlv } : {}),
    onPeerError: (ps) => recovery.sessionLost(ps),
    // a new key of a known contact: recovery re-sends into it. Not for a 'new-device' (issue 13):
    // a second device joined while the known one is still there; the fan-out writes to both from
    // now on, and the known device can still confirm what it was sent. Re-sending its unconfirmed
    // messages would show the new device old messages out of their place, and the known device
    // (which deduplicates by id) nothing new.
    onKeyChanged: (ps) => recovery.keyChanged(ps),
    ...(deps.presentResources ? { presentResources: deps.presentResources } : {}),
  });
  return { ours, peers, notices, status, dispatch, queue, smp, offline, watch, policy, recovery, prekeySignal };
}
