// The renderer's group state (docs/architecture.md §2: zustand mirrors what the core pushes): each group's
// info (phase, status sentence, members with verification state and hello_i_am names), its
// timeline, and notices; plus which group is open. Applied from answers and the 'group.updated'
// / 'group.message' / 'group.notice' events only.
import { createStore } from 'zustand/vanilla';
import type { GroupInfo, GroupMessageInfo, GroupsEventPayloads, GroupsRequestOutputs, groupsRequestSchemas } from '../../src-shared/ipc/groups-contract';
import type { Result } from '../../src-shared/ipc/result';
import type { z } from 'zod';

type Names = keyof typeof groupsRequestSchemas;
/** the part of the messenger API the groups UI uses */
export interface GroupsApi {
  request<K extends Names>(name: K, input: z.input<(typeof groupsRequestSchemas)[K]>): Promise<Result<GroupsRequestOutputs[K]>>;
  on<K extends keyof GroupsEventPayloads>(name: K, listener: (payload: GroupsEventPayloads[K]) => void): () => void;
}

export const groupKey = (accountId: string, address: string) => `${accountId}\n${address}`;

export interface GroupsState {
  groups: Record<string, GroupInfo>;
  timelines: Record<string, GroupMessageInfo[]>;
  notices: Record<string, string[]>;
  open: { accountId: string; address: string } | null;
}

function upsert(list: GroupMessageInfo[] | undefined, m: GroupMessageInfo): GroupMessageInfo[] {
  const out = (list ?? []).filter((x) => x.id !== m.id);
  out.push(m);
  return out.sort((a, b) => a.id - b.id);
}

export function createGroupsStore(api: GroupsApi) {
  const store = createStore<GroupsState>(() => ({ groups: {}, timelines: {}, notices: {}, open: null }));
  const set = store.setState;
  const putGroup = (g: GroupInfo) => set((s) => ({ groups: { ...s.groups, [groupKey(g.accountId, g.address)]: g } }));
  api.on('group.updated', putGroup);
  api.on('group.message', (m) =>
    set((s) => ({ timelines: { ...s.timelines, [groupKey(m.accountId, m.address)]: upsert(s.timelines[groupKey(m.accountId, m.address)], m) } })),
  );
  api.on('group.notice', (n) =>
    set((s) => ({ notices: { ...s.notices, [groupKey(n.accountId, n.address)]: [...(s.notices[groupKey(n.accountId, n.address)] ?? []), n.text].slice(-5) } })),
  );

  const actions = {
    async load(accountId: string) {
      const r = await api.request('group.list', { accountId });
      if (r.ok) for (const g of r.value) putGroup(g);
      return r;
    },
    async create(accountId: string, service?: string) {
      const r = await api.request('group.create', { accountId, ...(service ? { service } : {}) });
      if (r.ok) {
        putGroup(r.value);
        set({ open: { accountId, address: r.value.address } });
      }
      return r;
    },
    async join(accountId: string, address: string) {
      const r = await api.request('group.join', { accountId, address });
      if (r.ok) {
        putGroup(r.value);
        set({ open: { accountId, address: r.value.address } });
      }
      return r;
    },
    async openGroup(accountId: string, address: string) {
      set({ open: { accountId, address } });
      const r = await api.request('group.timeline', { accountId, address, limit: 200 });
      if (r.ok)
        set((s) => ({
          timelines: {
            ...s.timelines,
            [groupKey(accountId, address)]: r.value.reduce((l, m) => upsert(l, m), s.timelines[groupKey(accountId, address)] ?? []),
          },
        }));
      return r;
    },
    close() {
      set({ open: null });
    },
    async send(accountId: string, address: string, body: string) {
      const r = await api.request('group.send', { accountId, address, body });
      if (r.ok) set((s) => ({ timelines: { ...s.timelines, [groupKey(accountId, address)]: upsert(s.timelines[groupKey(accountId, address)], r.value) } }));
      return r;
    },
    async leave(accountId: string, address: string) {
      const r = await api.request('group.leave', { accountId, address });
      if (r.ok) putGroup(r.value);
      return r;
    },
    async remove(accountId: string, address: string, member: string) {
      const r = await api.request('group.remove', { accountId, address, member });
      if (r.ok) putGroup(r.value);
      return r;
    },
    /** the creator makes a member an admin, or takes the right back */
    async setAdmin(accountId: string, address: string, member: string, admin: boolean) {
      const r = await api.request('group.admin', { accountId, address, member, admin });
      if (r.ok) putGroup(r.value);
      return r;
    },
  };
  return { store, actions };
}

export type GroupsStore = ReturnType<typeof createGroupsStore>;
