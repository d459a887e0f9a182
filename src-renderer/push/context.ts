// How wake-up components reach the push store (src-renderer/push/push-store.ts).
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { PushState, PushStore } from './push-store';

export const PushContext = createContext<PushStore | null>(null);

export function usePush(): PushStore {
  const s = useContext(PushContext);
  if (!s) throw new Error('PushContext missing');
  return s;
}

export function usePushState<T>(selector: (s: PushState) => T): T {
  return useStore(usePush().store, selector);
}
