// The renderer's wake-up state (docs/architecture.md §2: zustand stores that mirror what the core pushes):
// each account's push settings and channel state, the approval prompts waiting for the user, the
// wake-ups list, and recent notices. The core is the source of truth; this store applies its
// answers and the 'push.status' / 'push.prompt' / 'push.wakeup' / 'push.notice' events.
import { createStore } from 'zustand/vanilla';
import type { PushEventPayloads, PushNotice, PushPrompt, PushRequestOutputs, PushSettingsInfo, WakeUpInfo } from '../../src-shared/ipc/push-contract';
import type { pushRequestSchemas } from '../../src-shared/ipc/push-contract';
import type { Result } from '../../src-shared/ipc/result';
import type { z } from 'zod';

type Name = keyof typeof pushRequestSchemas;
/** The part of the messenger API the wake-up UI uses (MessengerApi satisfies it). */
export interface PushApi {
  request<K extends Name>(name: K, input: z.input<(typeof pushRequestSchemas)[K]>): Promise<Result<PushRequestOutputs[K]>>;
  on<K extends keyof PushEventPayloads>(name: K, listener: (payload: PushEventPayloads[K]) => void): () => void;
}

export const pushKey = (accountId: string, peer: string) => `${accountId}\n${peer}`;

export interface PushState {
  settings: Record<string, PushSettingsInfo>;
  /** by pushKey: prompts the user has not answered yet */
  prompts: Record<string, PushPrompt>;
  /** by account: who may wake us and whom we may wake */
  wakeUps: Record<string, Record<string, WakeUpInfo>>;
  /** by account: the last few notices (newest last) */
  notices: Record<string, PushNotice[]>;
}

const MAX_NOTICES = 10;

export type PushStore = ReturnType<typeof createPushStore>;

export function createPushStore(api: PushApi) {
  const store = createStore<PushState>(() => ({ settings: {}, prompts: {}, wakeUps: {}, notices: {} }));
  const set = store.setState;
  const putSettings = (s: PushSettingsInfo) => set((st) => ({ settings: { ...st.settings, [s.accountId]: s } }));
  const putWakeUp = (w: WakeUpInfo) => set((st) => ({ wakeUps: { ...st.wakeUps, [w.accountId]: { ...(st.wakeUps[w.accountId] ?? {}), [w.peer]: w } } }));
  const dropPrompt = (accountId: string, peer: string) =>
    set((st) => {
      const prompts = { ...st.prompts };
      delete prompts[pushKey(accountId, peer)];
      return { prompts };
    });

  api.on('push.status', putSettings);
  api.on('push.prompt', (p) => set((st) => ({ prompts: { ...st.prompts, [pushKey(p.accountId, p.peer)]: p } })));
  api.on('push.wakeup', (w) => {
    putWakeUp(w);
    // a settled handshake needs no prompt any more (answered here or on another window)
    if (w.state !== 'asking' && w.state !== 'their-offer') dropPrompt(w.accountId, w.peer);
  });
  api.on('push.notice', (n) => set((st) => ({ notices: { ...st.notices, [n.accountId]: [...(st.notices[n.accountId] ?? []), n].slice(-MAX_NOTICES) } })));

  const actions = {
    async load(accountId: string) {
      const [s, w] = await Promise.all([api.request('push.settings.get', { accountId }), api.request('push.wakeups.list', { accountId })]);
      if (s.ok) putSettings(s.value);
      if (w.ok) set((st) => ({ wakeUps: { ...st.wakeUps, [accountId]: Object.fromEntries(w.value.map((x) => [x.peer, x])) } }));
      return s.ok ? w : s;
    },
    async loadSettings(accountId: string) {
      const s = await api.request('push.settings.get', { accountId });
      if (s.ok) putSettings(s.value);
      return s;
    },
    /** offline on XMPP, reachable by wake-ups only; the account's state comes back as account.updated */
    async sleep(accountId: string) {
      return api.request('push.sleep', { accountId });
    },
    async configure(input: { accountId: string; apiEndpoint: string; pushName: string; password: string; create: boolean }) {
      const r = await api.request('push.settings.set', input);
      if (r.ok) putSettings(r.value);
      return r;
    },
    async disable(accountId: string) {
      const r = await api.request('push.settings.disable', { accountId });
      if (r.ok) {
        putSettings(r.value);
        set((st) => ({ wakeUps: { ...st.wakeUps, [accountId]: {} } }));
      }
      return r;
    },
    async approve(accountId: string, peer: string) {
      const r = await api.request('push.handshake.approve', { accountId, peer });
      if (r.ok) {
        putWakeUp(r.value);
        dropPrompt(accountId, peer);
      }
      return r;
    },
    async decline(accountId: string, peer: string) {
      const r = await api.request('push.handshake.decline', { accountId, peer });
      if (r.ok) putWakeUp(r.value);
      dropPrompt(accountId, peer);
      return r;
    },
    async revoke(accountId: string, peer: string) {
      const r = await api.request('push.wakeups.revoke', { accountId, peer });
      if (r.ok) putWakeUp(r.value);
      return r;
    },
  };
  return { store, actions };
}
