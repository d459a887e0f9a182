// The renderer's OTR state (docs/architecture.md §2: zustand stores that mirror what the core pushes): the
// status of each private conversation (header badge, SMP dialog, waiting messages) and the
// notices the core sent (fingerprint changed, unreadable message, …) by conversation, and the
// chooser of an offline contact's devices (OTRv4 non-interactive DAKE from their prekey
// ensembles). The core is the source of truth; this store only applies its answers and
// 'otr.status' / 'otr.notice' events.
import { createStore } from 'zustand/vanilla';
import type {
  OtrEventPayloads,
  OtrFingerprintInfo,
  OtrNotice,
  OtrOfflineDevice,
  OtrOfflineDevices,
  OtrRequestInput,
  OtrPolicyName,
  OtrRequestName,
  OtrRequestOutputs,
  OtrStatus,
} from '../../src-shared/ipc/otr-contract';
import type { IpcError, Result } from '../../src-shared/ipc/result';

/** The part of the messenger API the OTR UI uses (MessengerApi satisfies it once contract.ts spreads the OTR contract in). */
export interface OtrApi {
  request<K extends OtrRequestName>(name: K, input: OtrRequestInput<K>): Promise<Result<OtrRequestOutputs[K]>>;
  on<K extends keyof OtrEventPayloads>(name: K, listener: (payload: OtrEventPayloads[K]) => void): () => void;
}

export const otrKey = (accountId: string, peer: string) => `${accountId}\n${peer}`;

/** a notice as shown (the core gives each an id, to dismiss it and to merge fetched with pushed ones) */
export type ShownNotice = OtrNotice;

/**
 * The chooser of an offline contact's devices, while it is open. Every `otr.offline.devices`
 * fetches from the prekey server, which hands each ensemble out once
 * (otrv4-prekey-server.md §"Retrieving Prekey Ensembles"): the fetch runs once per user action
 * (never from a React effect, which StrictMode may run twice) and the answer is kept here for the
 * dialog until it sends or closes.
 */
export type OfflineChooser =
  | { phase: 'loading'; seq: number }
  | { phase: 'ready'; seq: number; devices: OtrOfflineDevice[]; unavailable?: OtrOfflineDevices['unavailable'] }
  | { phase: 'error'; seq: number; error: IpcError };

/** the conversation went from one state to another (a timeline event) */
export interface OtrStateEvent {
  id: string;
  at: number;
  from: OtrStatus['state'];
  to: OtrStatus['state'];
}

const MAX_EVENTS = 200;

export interface OtrState {
  status: Record<string, OtrStatus>;
  notices: Record<string, ShownNotice[]>;
  fingerprints: Record<string, { ours: { v3: string; v4: string }; theirs: OtrFingerprintInfo[] }>;
  /** by otrKey: the open chooser of the contact's devices (absent: closed) */
  offline: Record<string, OfflineChooser>;
  /**
   * by otrKey: changes of the conversation's state seen by this window (private conversation
   * started, verified, ended…), shown as events in the conversation's timeline; the core keeps
   * no history of them, so they live as long as the window
   */
  events: Record<string, OtrStateEvent[]>;
}

/** at most this many notices are kept per conversation */
const MAX_NOTICES = 20;

export type OtrStore = ReturnType<typeof createOtrStore>;

export function createOtrStore(api: OtrApi) {
  const store = createStore<OtrState>(() => ({ status: {}, notices: {}, fingerprints: {}, offline: {}, events: {} }));
  const set = store.setState;
  /** every notice id seen, dismissed ones included: fetching again never brings one back */
  const seenNotices = new Set<string>();
  let nextSeq = 1;

  /** sets the chooser of `key` unless it was closed or reopened since `seq` began */
  const putChooser = (key: string, seq: number, c: OfflineChooser) => set((s) => (s.offline[key]?.seq === seq ? { offline: { ...s.offline, [key]: c } } : s));
  const closeChooser = (key: string) =>
    set((s) => {
      if (!(key in s.offline)) return s;
      const offline = { ...s.offline };
      delete offline[key];
      return { offline };
    });

  let nextEvent = 1;
  const putStatus = (st: OtrStatus) =>
    set((s) => {
      const key = otrKey(st.accountId, st.peer);
      const before = s.status[key];
      // the first status of a conversation is where it stands, not a change
      if (!before || before.state === st.state) return { status: { ...s.status, [key]: st } };
      const ev: OtrStateEvent = { id: `state-${nextEvent++}`, at: Date.now(), from: before.state, to: st.state };
      return { status: { ...s.status, [key]: st }, events: { ...s.events, [key]: [...(s.events[key] ?? []), ev].slice(-MAX_EVENTS) } };
    });
  api.on('otr.status', putStatus);
  /** adds notices not seen before to their conversations, in the order they were raised */
  const addNotices = (incoming: OtrNotice[]) => {
    const fresh = incoming.filter((n) => !seenNotices.has(n.id));
    if (fresh.length === 0) return;
    for (const n of fresh) seenNotices.add(n.id);
    set((s) => {
      const notices = { ...s.notices };
      for (const n of fresh) {
        const key = otrKey(n.accountId, n.peer);
        notices[key] = [...(notices[key] ?? []), n].sort((a, b) => a.at - b.at).slice(-MAX_NOTICES);
      }
      return { notices };
    });
  };
  api.on('otr.notice', (n) => addNotices([n]));

  /** runs a request that answers with a status and applies it */
  const withStatus = async <K extends OtrRequestName>(name: K, input: OtrRequestInput<K>): Promise<Result<OtrRequestOutputs[K]>> => {
    const r = await api.request(name, input);
    if (r.ok && r.value && typeof r.value === 'object' && 'state' in r.value) putStatus(r.value as OtrStatus);
    return r;
  };

  const actions = {
    load: (accountId: string, peer: string) => withStatus('otr.status', { accountId, peer }),
    start: (accountId: string, peer: string) => withStatus('otr.start', { accountId, peer }),
    end: (accountId: string, peer: string) => withStatus('otr.end', { accountId, peer }),
    askQuestion: (accountId: string, peer: string, question: string, answer: string) =>
      withStatus('otr.smp.start', { accountId, peer, question, secret: answer }),
    sharedSecret: (accountId: string, peer: string, secret: string) => withStatus('otr.smp.start', { accountId, peer, secret }),
    answer: (accountId: string, peer: string, secret: string) => withStatus('otr.smp.answer', { accountId, peer, secret }),
    abortSmp: (accountId: string, peer: string) => withStatus('otr.smp.abort', { accountId, peer }),
    setTrust: async (accountId: string, peer: string, fingerprint: string, verified: boolean) => {
      const r = await withStatus('otr.trust.set', { accountId, peer, fingerprint, verified });
      if (r.ok) await actions.loadFingerprints(accountId, peer);
      return r;
    },
    resolveQueue: (accountId: string, peer: string, action: 'send-in-clear' | 'discard') => withStatus('otr.queue.resolve', { accountId, peer, action }),
    setPolicy: async (accountId: string, peer: string | undefined, policy: OtrPolicyName | null) => {
      const r = await api.request('otr.policy.set', peer === undefined ? { accountId, policy } : { accountId, peer, policy });
      if (r.ok && peer !== undefined) await actions.load(accountId, peer);
      return r;
    },
    /** OTRv3 §"Policies" ALLOW_V2 for the account (the account keeps its policy); `peer` is reloaded */
    setAllowV2: async (accountId: string, peer: string, allowV2: boolean) => {
      const r = await api.request('otr.policy.set', { accountId, policy: null, allowV2 });
      if (r.ok) await actions.load(accountId, peer);
      return r;
    },
    loadFingerprints: async (accountId: string, peer: string) => {
      const r = await api.request('otr.fingerprints', { accountId, peer });
      if (r.ok) set((s) => ({ fingerprints: { ...s.fingerprints, [otrKey(accountId, peer)]: r.value } }));
      return r;
    },
    /**
     * opens the chooser of the offline contact's devices and fetches them (one retrieval from the
     * contact's prekey server); again when called while it is open ("Try again")
     */
    offlineDevices: async (accountId: string, peer: string) => {
      const key = otrKey(accountId, peer);
      const seq = nextSeq++;
      set((s) => ({ offline: { ...s.offline, [key]: { phase: 'loading', seq } } }));
      const r = await api.request('otr.offline.devices', { accountId, peer });
      if (r.ok) {
        putChooser(key, seq, {
          phase: 'ready',
          seq,
          devices: r.value.devices,
          ...(r.value.unavailable !== undefined ? { unavailable: r.value.unavailable } : {}),
        });
      } else {
        putChooser(key, seq, { phase: 'error', seq, error: r.error });
      }
      return r;
    },
    /**
     * starts the private conversation with the chosen devices (non-interactive DAKE) and sends the
     * waiting messages to each; the chooser closes once the core has done it
     */
    offlineSend: async (accountId: string, peer: string, instanceTags: number[]) => {
      const r = await withStatus('otr.offline.send', { accountId, peer, instanceTags });
      if (r.ok) closeChooser(otrKey(accountId, peer));
      return r;
    },
    closeOffline: (accountId: string, peer: string) => closeChooser(otrKey(accountId, peer)),
    /**
     * the user accepts the key a prekey server presents now (named by a 'prekey-server-changed'
     * notice); on success that notice goes, and the core publishes again
     */
    trustPrekeyServer: async (notice: OtrNotice) => {
      const r = await api.request('otr.prekeyServer.trust', {
        accountId: notice.accountId,
        server: notice.server ?? '',
        fingerprint: notice.fingerprint ?? '',
      });
      if (r.ok) actions.dismiss(notice.accountId, notice.peer, notice.id);
      return r;
    },
    /** the devices page (issue 15): a contact's devices, or one's own (peer undefined) */
    devices: (accountId: string, peer: string | undefined) => api.request('otr.devices', peer === undefined ? { accountId } : { accountId, peer }),
    /** forgets a device and its key's trust; the contact's status is reloaded (it may no longer be verified) */
    forgetDevice: async (accountId: string, peer: string | undefined, instanceTag: number) => {
      const r = await api.request('otr.devices.forget', peer === undefined ? { accountId, instanceTag } : { accountId, peer, instanceTag });
      if (r.ok && peer !== undefined) await actions.load(accountId, peer);
      return r;
    },
    /** issue 13: which of the contact's devices get what we write (null: all of them) */
    chooseDevices: (accountId: string, peer: string, instanceTags: number[] | null) => withStatus('otr.devices.choose', { accountId, peer, instanceTags }),
    /** the account's recent notices kept by the core (raised before this window was listening) */
    loadNotices: async (accountId: string) => {
      const r = await api.request('otr.notices', { accountId });
      if (r.ok) addNotices(r.value);
      return r;
    },
    dismiss: (accountId: string, peer: string, id: string) => {
      const key = otrKey(accountId, peer);
      set((s) => ({ notices: { ...s.notices, [key]: (s.notices[key] ?? []).filter((n) => n.id !== id) } }));
    },
  };
  return { store, actions };
}
