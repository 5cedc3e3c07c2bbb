// The open ledger's projection rules, compiled once per ledger, so that the list and
// the detail colour a kind the way the engine folds it (PaymentFailed under Emmett's).
import { useMemo } from 'react';
import { useStore } from 'zustand';
import { compileRules, DEFAULT_RULES, type Rules } from '../../shared/projection.ts';
import type { AppStore } from './store.ts';

export function useLedgerRules(store: AppStore): Rules {
  const spec = useStore(store, (s) => s.info?.rules.rules ?? null);
  return useMemo(() => {
    try {
      return compileRules(spec);
    } catch {
      // The engine refused such rules before the ledger opened; this cannot be reached with them.
      return DEFAULT_RULES;
    }
  }, [spec]);
}
