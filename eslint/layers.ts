// The layer rule (as VS Code's code-layering rule): each source file's imports, resolved
// to a path under src/, must be ones its layer may use. One table, checked by `npm run lint`.
import type { Rule } from 'eslint';
import path from 'node:path';

const SRC = path.resolve(import.meta.dirname, '../src');

/** Engine folders and the engine folders each may import besides itself: read never imports write. */
export const ENGINE: Record<string, string[]> = {
  base: [],
  format: ['base'],
  layout: ['base', 'format'],
  settings: ['base', 'format'],
  read: ['base', 'format', 'layout', 'settings'],
  write: ['base', 'format'],
  jsonl: ['base', 'format', 'layout', 'read', 'write'],
  copy: ['base', 'format', 'read', 'write'],
  derive: ['base', 'format', 'layout', 'read'],
  pg: ['base', 'format', 'layout', 'settings', 'read', 'write'],
  open: ['base', 'format', 'layout', 'settings', 'read', 'write', 'jsonl', 'pg'],
};
const ENGINE_PACKAGES = ['better-sqlite3', 'env-paths', 'tinyqueue', 'uuid', 'zod', 'pg', 'pg-copy-streams', 'pg-connection-string'];
const SHARED_PACKAGES = ['zod', 'pretty-bytes', 'pretty-ms', 'string-width'];
const ELECTRON_USERS = ['main/index.ts', 'preload/index.ts'];

/** Why `imp` (a path under src/ for relative imports, else a package) may not be imported by `file`; null when it may. */
export function layerViolation(file: string, imp: string): string | null {
  const [top, second] = file.split('/');
  if (imp === 'electron' && !ELECTRON_USERS.includes(file)) return 'electron is for the desktop shell (main/index.ts) and the preload only';
  const local = imp.startsWith('shared/') || imp.startsWith('main/') || imp.startsWith('renderer/') || imp.startsWith('preload/');
  if (top === 'shared') return imp.startsWith('shared/') || SHARED_PACKAGES.includes(imp) ? null : 'shared code imports only shared code and pure libraries';
  if (top === 'preload') return imp.startsWith('shared/') || imp === 'electron' ? null : 'the preload imports only shared code and electron';
  if (top === 'renderer') {
    if (local) return imp.startsWith('shared/') || imp.startsWith('renderer/') ? null : 'the renderer imports only shared code and its own';
    return imp.startsWith('node:') || imp === 'better-sqlite3' ? 'the renderer runs in a browser: no Node modules' : null;
  }
  if (top === 'main' && second === 'engine') {
    const folder = file.split('/')[2];
    if (!folder || !(folder in ENGINE)) return `engine files live in a folder of concern (${Object.keys(ENGINE).join(', ')})`;
    if (imp.startsWith('shared/')) return null;
    if (imp.startsWith('main/engine/')) {
      const target = imp.split('/')[2];
      return target === folder || ENGINE[folder]!.includes(target!) ? null : `engine/${folder} may not import engine/${target}`;
    }
    if (local) return 'the engine imports only shared code and the engine';
    return imp.startsWith('node:') || ENGINE_PACKAGES.includes(imp) ? null : `the engine does not use ${imp}`;
  }
  return null;
}

const rule: Rule.RuleModule = {
  meta: { type: 'problem', schema: [], messages: { layer: '{{file}} imports {{imp}}: {{why}}' } },
  create(context) {
    const file = path.relative(SRC, context.filename).split(path.sep).join('/');
    if (file.startsWith('..')) return {};
    const check = (node: { source?: unknown }) => {
      const source = node.source as { value?: unknown } | null | undefined;
      const spec = source?.value;
      if (typeof spec !== 'string') return;
      const imp = spec.startsWith('.') ? path.relative(SRC, path.resolve(path.dirname(context.filename), spec)).split(path.sep).join('/') : spec;
      const why = layerViolation(file, imp);
      if (why) context.report({ node: source as Rule.Node, messageId: 'layer', data: { file, imp, why } });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

export default rule;
