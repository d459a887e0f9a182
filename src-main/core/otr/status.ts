// The state the conversation header shows (otr.status): private or not, verified or not, the
// session's version, fingerprint and device, the policy, what waits, the SMP phase. Emitted only
// when it changed.
import type { OtrEventPayloads, OtrSmpStatus, OtrStatus } from '../../../src-shared/ipc/otr-contract';
import type { OtrStore } from './otr-store';
import type { Peers, PeerState } from './peers';

export interface StatusDeps {
  accountId: string;
  store: OtrStore;
  peers: Peers;
  ours: { v3: string; v4: string };
  emit(name: 'otr.status', payload: OtrEventPayloads['otr.status']): void;
  /** whether what is written now must not go out in clear (otr/service.ts wantsPrivate) */
  wantsPrivate(ps: PeerState): boolean;
}

export interface StatusReporter {
  compute(ps: PeerState): OtrStatus;
  /** computes the status and emits it when it differs from the last one emitted */
  emit(ps: PeerState): OtrStatus;
}

export function createStatus(deps: StatusDeps): StatusReporter {
  const { accountId, store, peers } = deps;
  const compute = (ps: PeerState): OtrStatus => {
    const { policy, overridden } = peers.policyFor(ps.peer);
    const enc = peers.encryptedSession(ps);
    const finished = ps.conv.sessions().find((s) => s.state === 'finished');
    const live = [...new Set(ps.conv.sessions().flatMap((x) => (x.state === 'encrypted' ? [x.instanceTag] : [])))];
    // a choice none of whose devices has a session any more is no choice (otr/fanout.ts)
    const chosen = ps.chosenDevices?.some((t) => live.includes(t)) ? ps.chosenDevices : undefined;
    const s = enc ?? finished;
    const verified = enc?.theirFingerprint ? store.isVerified(accountId, ps.peer, enc.theirFingerprint) : false;
    const resource = s ? ps.tagJid.get(s.instanceTag)?.split('/').slice(1).join('/') : undefined;
    const smp: OtrSmpStatus = {
      phase: ps.smp.phase,
      initiatedByUs: ps.smp.initiatedByUs,
      ...(ps.smp.question !== undefined ? { question: ps.smp.question } : {}),
      ...(ps.smp.cheated ? { cheated: true } : {}),
    };
    return {
      accountId,
      peer: ps.peer,
      state: enc ? (verified ? 'private-verified' : 'private-unverified') : finished ? 'finished' : 'not-private',
      ...(s?.version ? { version: s.version } : {}),
      ...(s?.theirFingerprint ? { theirFingerprint: s.theirFingerprint } : {}),
      ...(s ? { theirInstanceTag: s.instanceTag } : {}),
      ...(resource ? { resource } : {}),
      ourFingerprints: deps.ours,
      policy,
      policyOverridden: overridden,
      queued: store.queuedCount(accountId, ps.peer),
      ...(ps.offlineFanout && enc ? { offlineDevices: [...ps.offlineFanout] } : {}),
      privateIntent: store.isPrivate(accountId, ps.peer),
      smp,
      sendsInClear: !deps.wantsPrivate(ps),
      receivedInClear: ps.receivedInClear === true,
      // otr/start-watch.ts: our request that nothing answered yet (never while private)
      ...(ps.starting && !enc ? { starting: { sentAt: ps.starting.sentAt, gaveUp: ps.starting.gaveUp } } : {}),
      allowV2: ps.convAllowV2,
      // issue 13: the devices the user can choose among, once there are several (otr.devices.choose)
      ...(live.length > 1 ? { sessionDevices: live.map((t) => ({ instanceTag: t, receives: !chosen || chosen.includes(t) })) } : {}),
      ...(ps.chosenDevices ? { chosenDevices: [...ps.chosenDevices] } : {}),
    };
  };
  return {
    compute,
    emit(ps) {
      const st = compute(ps);
      const key = JSON.stringify(st);
      if (key !== ps.lastStatus) {
        ps.lastStatus = key;
        deps.emit('otr.status', st);
      }
      return st;
    },
  };
}
