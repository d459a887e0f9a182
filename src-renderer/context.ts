import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { AppStore, State } from './store';

export const StoreContext = createContext<AppStore | null>(null);

export function useApp(): AppStore {
  const app = useContext(StoreContext);
  if (!app) throw new Error('StoreContext missing');
  return app;
}

export function useAppState<T>(selector: (s: State) => T): T {
  return useStore(useApp().store, selector);
}
