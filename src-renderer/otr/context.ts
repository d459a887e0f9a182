// How OTR components reach the OTR store (src-renderer/otr/otr-store.ts).
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import { otrKey, type OtrState, type OtrStore } from './otr-store';

export const OtrContext = createContext<OtrStore | null>(null);

export function useOtr(): OtrStore {
  const s = useContext(OtrContext);
  if (!s) throw new Error('OtrContext missing');
  return s;
}

export function useOtrState<T>(selector: (s: OtrState) => T): T {
  return useStore(useOtr().store, selector);
}

export function useOtrStatus(accountId: string, peer: string) {
  return useOtrState((s) => s.status[otrKey(accountId, peer)]);
}
