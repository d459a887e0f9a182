// The renderer's OTR state (DESIGN.md 2: zustand stores that mirror what the core pushes): the
// status of each private conversation (header badge, SMP dialog, waiting messages) and the
// notices the core sent (fingerprint changed, unreadable message, …) by conversation. The core is
// the source of truth; this store only applies its answers and 'otr.status' / 'otr.notice' events.
import { createStore } from 'zustand/vanilla';
import type { OtrEventPayloads, OtrFingerprintInfo, OtrNotice, OtrRequestInput, OtrPolicyName, OtrRequestName, OtrRequestOutputs, OtrStatus } from '../../src-shared/ipc/otr-contract';
import type { Result } from '../../src-shared/ipc/result';

/** The part of the messenger API the OTR UI uses (MessengerApi satisfies it once contract.ts spreads the OTR contract in). */
export interface OtrApi {
  request<K extends OtrRequestName>(name: K, input: OtrRequestInput<K>): Promise<Result<OtrRequestOutputs[K]>>;
  on<K extends keyof OtrEventPayloads>(name: K, listener: (payload: OtrEventPayloads[K]) => void): () => void;
}

export const otrKey = (accountId: string, peer: string) => `${accountId}\n${peer}`;

/** a notice as shown: with an id (to dismiss it) and when it arrived */
export interface ShownNotice extends OtrNotice {
  id: number;
  at: number;
}

export interface OtrState {
  status: Record<string, OtrStatus>;
  notices: Record<string, ShownNotice[]>;
  fingerprints: Record<string, { ours: { v3: string; v4: string }; theirs: OtrFingerprintInfo[] }>;
}

/** at most this many notices are kept per conversation */
const MAX_NOTICES = 20;

export type OtrStore = ReturnType<typeof createOtrStore>;

export function createOtrStore(api: OtrApi) {
  const store = createStore<OtrState>(() => ({ status: {}, notices: {}, fingerprints: {} }));
  const set = store.setState;
  let nextId = 1;

  const putStatus = (st: OtrStatus) => set((s) => ({ status: { ...s.status, [otrKey(st.accountId, st.peer)]: st } }));
  api.on('otr.status', putStatus);
  api.on('otr.notice', (n) => {
    const key = otrKey(n.accountId, n.peer);
    set((s) => {
      const list = [...(s.notices[key] ?? []), { ...n, id: nextId++, at: Date.now() }].slice(-MAX_NOTICES);
      return { notices: { ...s.notices, [key]: list } };
    });
  });

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
    askQuestion: (accountId: string, peer: string, question: string, answer: string) => withStatus('otr.smp.start', { accountId, peer, question, secret: answer }),
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
    loadFingerprints: async (accountId: string, peer: string) => {
      const r = await api.request('otr.fingerprints', { accountId, peer });
      if (r.ok) set((s) => ({ fingerprints: { ...s.fingerprints, [otrKey(accountId, peer)]: r.value } }));
      return r;
    },
    dismiss: (accountId: string, peer: string, id: number) => {
      const key = otrKey(accountId, peer);
      set((s) => ({ notices: { ...s.notices, [key]: (s.notices[key] ?? []).filter((n) => n.id !== id) } }));
    },
  };
  return { store, actions };
}
