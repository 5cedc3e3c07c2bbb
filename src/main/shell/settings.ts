// What persists between launches: window bounds, recent files, theme, panels.
import fs from 'node:fs';
import path from 'node:path';

export interface Settings {
  bounds?: { x?: number; y?: number; width: number; height: number };
  maximized?: boolean;
  recent: string[];
  theme: 'light' | 'dark' | 'system';
  detailPane: boolean;
  /** Passwords of database connections, sealed by the OS keychain (Electron safeStorage), by server and database. */
  secrets?: Record<string, string>;
}

const DEFAULTS: Settings = { recent: [], theme: 'system', detailPane: true };
const MAX_RECENT = 10;

export function loadSettings(dir: string): Settings {
  try {
    const raw = JSON.parse(fs.readFileSync(path.join(dir, 'settings.json'), 'utf8')) as Partial<Settings>;
    return { ...DEFAULTS, ...raw, recent: Array.isArray(raw.recent) ? raw.recent.filter((r) => typeof r === 'string').slice(0, MAX_RECENT) : [] };
  } catch {
    return { ...DEFAULTS };
  }
}

export function saveSettings(dir: string, s: Settings): void {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'settings.json');
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(s, null, 2));
  fs.renameSync(`${file}.tmp`, file);
}

export function addRecent(s: Settings, p: string): Settings {
  return { ...s, recent: [p, ...s.recent.filter((r) => r !== p)].slice(0, MAX_RECENT) };
}
