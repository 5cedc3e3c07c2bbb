// The open ledger's projection rules, compiled once per ledger, so that the list and
// the detail colour a kind the way the engine folds it (PaymentFailed under Emmett's).
import { useMemo } from 'react';
import { useApp } from './use-app.tsx';
import { compileRules, DEFAULT_RULES, type Rules } from '../../shared/projection.ts';

export function useLedgerRules(): Rules {
  const spec = useApp((s) => s.info?.rules.rules ?? null);
  return useMemo(() => {
    try {
      return compileRules(spec);
    } catch {
      // The engine refused such rules before the ledger opened; this cannot be reached with them.
      return DEFAULT_RULES;
    }
  }, [spec]);
}
