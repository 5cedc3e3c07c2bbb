// What every slice of the window's store shares: the engine's client, the URL history,
// and the two facts that read across slices (the view a URL keeps, what the shell is told).
import type { StateCreator } from 'zustand/vanilla';
import type { Client } from '../../../shared/contract.ts';
import type { Query } from '../../../shared/ledger.ts';
import type { AppState } from '../store.ts';
import type { Panel } from './ui.ts';

/** The view state a URL keeps: the ledger, the filter, the selected offset, the panel and replay step. */
export interface ViewState {
  q: Query;
  o?: number;
  /** The ledger's path. */
  p?: string;
  panel?: Panel;
  /** The run replayed and its step. */
  r?: string;
  s?: number;
}

export interface ViewHistory {
  push(v: ViewState): void;
  replace(v: ViewState): void;
}

export interface StoreContext {
  client: Client;
  history?: ViewHistory;
  /** The view as a URL keeps it, with `extra` over it. */
  view(extra?: Partial<ViewState>): ViewState;
  /** Tells the shell which ledger, replay step and jobs the window has. */
  reportUi(): void;
}

/** A slice of the one store: its own fields and actions, reading the others through `get`. */
export type Slice<T> = StateCreator<AppState, [], [], T>;

export const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
/** A query as the contract takes it: none rather than an empty one. */
export const q = (query: Query) => (Object.keys(query).length ? query : undefined);
