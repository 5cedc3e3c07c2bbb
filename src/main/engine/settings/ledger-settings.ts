// What a user chose for a ledger file (its column mapping, its own projection rules),
// saved per file in the app's data folder and reused by the app and the CLI alike.
import envPaths from 'env-paths';
import fs from 'node:fs';
import path from 'node:path';
import { describeIssues, LedgerError } from '../../../shared/errors.ts';
import { MappingSchema, type Mapping } from '../../../shared/ledger.ts';
import type { LedgerRules } from '../../../shared/projection.ts';
import { RulesSchema } from '../../../shared/rules-schema.ts';
import { writeTextWhole } from '../base/atomic-write.ts';

export interface LedgerSettings {
  mapping?: Mapping;
  rules?: LedgerRules;
}

/**
 * `$LEDGER_INSPECTOR_DATA`, else the platform's config folder for the app (on Linux
 * the same folder Electron uses for its user data; the Electron shell sets the variable).
 */
export function defaultDataDir(): string {
  return process.env.LEDGER_INSPECTOR_DATA || envPaths('ledger-inspector', { suffix: '' }).config;
}

const fileOf = (dataDir: string) => path.join(dataDir, 'ledgers.json');

function realPath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function readAll(dataDir: string): Record<string, LedgerSettings> {
  try {
    const v = JSON.parse(fs.readFileSync(fileOf(dataDir), 'utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
  } catch {
    // No file yet, or one a crash cut short: nothing saved.
    return {};
  }
}

/** The saved settings of a ledger; a saved entry that no longer passes its schema is ignored. */
export function loadLedgerSettings(ledgerPath: string, dataDir = defaultDataDir()): LedgerSettings {
  const raw = readAll(dataDir)[realPath(ledgerPath)] ?? {};
  const mapping = MappingSchema.safeParse(raw.mapping);
  const rules = RulesSchema.safeParse(raw.rules);
  return { ...(mapping.success && { mapping: raw.mapping }), ...(rules.success && { rules: raw.rules }) };
}

/** Saves (or, with neither, forgets) a ledger's mapping and rules. */
export function saveLedgerSettings(ledgerPath: string, settings: LedgerSettings, dataDir = defaultDataDir()): void {
  if (settings.mapping) {
    const m = MappingSchema.safeParse(settings.mapping);
    if (!m.success) throw new LedgerError('invalid_argument', `bad column mapping: ${describeIssues(m.error.issues)}`, ledgerPath);
  }
  if (settings.rules) {
    const r = RulesSchema.safeParse(settings.rules);
    if (!r.success) throw new LedgerError('invalid_argument', `bad rules: ${describeIssues(r.error.issues)}`, ledgerPath);
  }
  const all = readAll(dataDir);
  const key = realPath(ledgerPath);
  if (settings.mapping || settings.rules) all[key] = { ...(settings.mapping && { mapping: settings.mapping }), ...(settings.rules && { rules: settings.rules }) };
  else delete all[key];
  writeTextWhole(fileOf(dataDir), `${JSON.stringify(all, null, 2)}\n`);
}
