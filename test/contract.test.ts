// Every call of the contract refuses bad arguments with a typed error naming the call and field.
import { describe, expect, it } from 'vitest';
import { CALLS, METHODS, validateRequest } from '../src/shared/contract.ts';
import { LedgerError } from '../src/shared/errors.ts';
import { menuModel, type MenuNode, type MenuState } from '../src/main/shell/menu-model.ts';

const refusal = (msg: unknown) => {
  try {
    validateRequest(msg);
  } catch (e) {
    expect(e).toBeInstanceOf(LedgerError);
    return e as LedgerError;
  }
  throw new Error('expected a refusal');
};

describe('contract validation', () => {
  it.each(METHODS)('%s refuses missing, wrong-typed and unknown arguments', (method) => {
    for (const args of [undefined, 42, 'x', { bogus_field: 1 }]) {
      const err = refusal({ id: 1, method, args });
      expect(err.code).toBe('invalid_argument');
      expect(err.message.startsWith(`${method}: `)).toBe(true);
    }
  });

  it('accepts good arguments and names the field of a bad one', () => {
    expect(validateRequest({ id: 1, method: 'rows', args: { ledger: 'L', start: 0, count: 100 } })).toMatchObject({ method: 'rows' });
    expect(refusal({ id: 1, method: 'rows', args: { ledger: 'L', start: -1, count: 100 } }).message).toMatch(/^rows: start: /);
    expect(refusal({ id: 1, method: 'rows', args: { ledger: 'L', start: 0, count: 5000 } }).message).toMatch(/^rows: count: /);
    expect(refusal({ id: 1, method: 'page', args: { ledger: 'L', request: { query: { kinds: [] } } } }).message).toMatch(/^page: request\.query\.kinds/);
    expect(refusal({ id: 1, method: 'append', args: { ledger: 'L', events: [{ kind: 'x' }] } }).message).toMatch(/^append: events\.0\.run_id/);
    expect(refusal({ id: 1, method: 'nope', args: {} }).message).toBe('unknown method: nope');
    expect(refusal(null).message).toBe('a request must be an object');
    expect(refusal({ id: 1, method: 'open', args: { path: '/x' }, job: '' }).message).toBe('open: bad job id');
    // A value nested deeper than the schema's walk can go is refused as such, not as a stack overflow.
    const deep = JSON.parse(`${'['.repeat(20_000)}${']'.repeat(20_000)}`);
    expect(refusal({ id: 1, method: 'setPref', args: { scope: '/x', key: 'k', value: deep } })).toMatchObject({ code: 'invalid_argument', message: 'setPref: a value is nested too deeply' });
  });

  it('marks long calls as jobs', () => {
    const jobs = METHODS.filter((m) => CALLS[m].job).sort();
    expect(jobs).toEqual(['count', 'drift', 'exportJsonl', 'generate', 'importJsonl', 'indexText', 'open', 'replayOpen', 'runs', 'search', 'snapshot', 'stats']);
  });
});

describe('menu enablement', () => {
  const flat = (nodes: MenuNode[]): Array<Extract<MenuNode, { type: 'item' }>> =>
    nodes.flatMap((n) => (n.type === 'submenu' ? flat(n.items) : n.type === 'item' ? [n] : []));
  const state = (s: Partial<MenuState>): MenuState => ({ ledgerOpen: false, replayStep: false, recent: [], theme: 'system', detailPane: true, ...s });
  const enabled = (s: Partial<MenuState>, platform: NodeJS.Platform = 'linux') =>
    Object.fromEntries(flat(menuModel(state(s), platform)).map((i) => [i.id, i.enabled]));

  it('enables exports and close only with a ledger open, the replay-step export only at a replay step', () => {
    expect(enabled({})).toMatchObject({ 'open-ledger': true, 'open-jsonl': true, 'open-sample': true, 'import-jsonl': true, 'export-snapshot': false, 'export-snapshot-step': false, 'export-jsonl': false, close: false, 'clear-recent': false });
    expect(enabled({ ledgerOpen: true })).toMatchObject({ 'export-snapshot': true, 'export-snapshot-step': false, 'export-jsonl': true, close: true });
    expect(enabled({ ledgerOpen: true, replayStep: true })).toMatchObject({ 'export-snapshot-step': true });
  });

  it('lists recent files, checks the theme, and follows each platform’s conventions', () => {
    const items = flat(menuModel(state({ recent: ['/a.db', '/b'], theme: 'dark' }), 'linux'));
    expect(items.filter((i) => i.id.startsWith('recent:')).map((i) => i.label)).toEqual(['/a.db', '/b']);
    expect(items.find((i) => i.id === 'theme-dark')?.checked).toBe(true);
    expect(items.find((i) => i.id === 'open-ledger')?.accelerator).toBe('CmdOrCtrl+O');
    const mac = menuModel(state({}), 'darwin');
    expect(mac[0]).toEqual({ type: 'role', role: 'appMenu' });
    const linux = menuModel(state({}), 'linux');
    expect(JSON.stringify(linux)).toContain('"quit"');
    expect(JSON.stringify(mac)).not.toContain('"quit"');
  });
});
