// The window's store for components: given once at the root, read with useApp(selector).
import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { AppState, AppStore } from './store.ts';

const AppContext = createContext<AppStore | null>(null);

export function AppProvider({ store, children }: { store: AppStore; children: ReactNode }) {
  return <AppContext.Provider value={store}>{children}</AppContext.Provider>;
}

/** The store itself, for actions and reads inside event handlers. */
export function useAppStore(): AppStore {
  const store = useContext(AppContext);
  if (!store) throw new Error('useAppStore outside AppProvider');
  return store;
}

/** The part of the window's state a component shows; it re-renders when that part changes. */
export function useApp<T>(selector: (s: AppState) => T): T {
  return useStore(useAppStore(), selector);
}
