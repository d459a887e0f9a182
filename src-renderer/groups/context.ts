// How group components reach the groups store (src-renderer/groups/groups-store.ts).
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { GroupsState, GroupsStore } from './groups-store';

export const GroupsContext = createContext<GroupsStore | null>(null);

export function useGroups(): GroupsStore {
  const s = useContext(GroupsContext);
  if (!s) throw new Error('GroupsContext missing');
  return s;
}

export function useGroupsState<T>(selector: (s: GroupsState) => T): T {
  return useStore(useGroups().store, selector);
}
