// Mapping an unrecognised file in the app, and drift shown where it is: Chromium
// against serve mode, each test with its own data folder for saved mappings.
import { test } from '@playwright/test';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeSeed004, writeStateDb } from '../test/fixtures.ts';
import { writeEmmett } from '../test/helpers/frameworks.ts';
import { expect, shot, startServe } from './serve.ts';

const fresh = () => fs.mkdtempSync(path.join(os.tmpdir(), 'li-e2e-map-'));

/** A table whose column names say nothing the detector knows. */
function writeAudit(file: string): void {
  const db = new Database(file);
  db.exec('CREATE TABLE audit (pk INTEGER PRIMARY KEY, job TEXT, what TEXT, at_ms INTEGER, body TEXT); CREATE TABLE settings (k TEXT, v TEXT)');
  const ins = db.prepare('INSERT INTO audit (job, what, at_ms, body) VALUES (?, ?, ?, ?)');
  const t = Date.UTC(2026, 2, 1, 9, 0, 0);
  ins.run('nightly', 'job.started', t, '{"host":"a"}');
  ins.run('nightly', 'step.started', t + 1000, '{"step_id":"copy"}');
  ins.run('weekly', 'job.started', t + 1500, '{}');
  ins.run('nightly', 'step.failed', t + 2000, '{"step_id":"copy","error":"disk full"}');
  ins.run('nightly', 'job.failed', t + 3000, '{"error":"disk full"}');
  db.close();
}

test('an unrecognised file is mapped in the editor, and reopening it uses the saved mapping', async ({ page }) => {
  const dir = fresh();
  const file = path.join(dir, 'audit.db');
  writeAudit(file);
  const env = { LEDGER_INSPECTOR_DATA: path.join(dir, 'data') };
  const first = await startServe(file, env);
  try {
    await page.goto(first.url);
    const error = page.getByTestId('error');
    await expect(error).toContainText('no ledger table recognised');
    await expect(error).not.toContainText('--map');
    await page.getByTestId('map-columns').click();
    const editor = page.getByTestId('mapping-editor');
    await expect(editor).toBeVisible();
    await page.getByTestId('mapping-table').selectOption('audit');
    await page.getByTestId('mapping-role-order').selectOption('pk');
    await page.getByTestId('mapping-role-run').selectOption('job');
    await page.getByTestId('mapping-role-kind').selectOption('what');
    await page.getByTestId('mapping-role-time').selectOption('at_ms');
    await page.getByTestId('mapping-time-format').selectOption('unix_ms');
    await page.getByTestId('mapping-role-payload').selectOption('body');
    // The preview follows the draft: the first rows, and the runs they fold into.
    const rows = page.getByTestId('mapping-preview-rows');
    await expect(rows.locator('tbody tr')).toHaveCount(5);
    await expect(rows.locator('tbody tr').first()).toContainText('2026-03-01T09:00:00.000Z');
    const runs = page.getByTestId('mapping-preview-runs');
    await expect(runs.locator('tr', { hasText: 'nightly' })).toContainText('failed');
    await expect(runs.locator('tr', { hasText: 'weekly' })).toContainText('running');
    // The ledger's own rules, beside the mapping: job.started now reads as a completed run.
    await page.getByTestId('mapping-rules').fill('{"kinds": [{"match": "job.started", "entity": "run", "transition": "completed"}]}');
    await expect(runs.locator('tr', { hasText: 'weekly' })).toContainText('completed');
    await page.getByTestId('mapping-rules').fill('{"kinds": [');
    await expect(page.getByTestId('mapping-problem')).toContainText('not JSON');
    await page.getByTestId('mapping-rules').fill('{"kinds": [{"match": "job.started", "entity": "run", "transition": "completed"}]}');
    await expect(runs.locator('tr', { hasText: 'weekly' })).toContainText('completed');
    await shot(page, 'mapping-editor');
    await page.getByTestId('mapping-save').click();
    await expect(editor).toBeHidden();
    await expect(page.getByTestId('ledger-meta')).toContainText('saved mapping of audit');
    await expect(page.getByTestId('ledger-meta')).toContainText('5 events');
    await expect(page.getByTestId('runs-panel').locator('tr[data-run="weekly"]')).toContainText('completed');
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'data', 'ledgers.json'), 'utf8'));
    expect(saved[fs.realpathSync(file)].mapping).toMatchObject({ table: 'audit', order: 'pk', run: 'job', kind: 'what', time: 'at_ms', time_format: 'unix_ms', payload: 'body' });
  } finally {
    first.stop();
  }

  // A new process (a new launch) opens the file straight away with what was saved.
  const second = await startServe(file, env);
  try {
    await page.goto(second.url);
    await expect(page.getByTestId('ledger-meta')).toContainText('saved mapping of audit');
    await expect(page.getByTestId('error')).toHaveCount(0);
    await expect(page.getByTestId('runs-panel').locator('tr[data-run="nightly"]')).toContainText('failed');
    await expect(page.getByTestId('runs-panel').locator('tr[data-run="weekly"]')).toContainText('completed');
    // The editor is reachable from the toolbar and starts from the saved mapping.
    await page.getByTestId('mapping-open').click();
    await expect(page.getByTestId('mapping-role-run')).toHaveValue('job');
    await expect(page.getByTestId('mapping-rules')).toHaveValue(/job\.started/);
  } finally {
    second.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('drift: runs that differ from the stored tables are marked in the list, the stored value shown inline', async ({ page }) => {
  const dir = fresh();
  const file = path.join(dir, 'ledger.db');
  writeSeed004(file, [
    { id: 'a', run_id: 'r1', kind: 'run.started', payload: { workflow_id: 'wf', version: '1' } },
    { id: 'b', run_id: 'r1', kind: 'node.started', payload: { node_id: 'fetch' } },
    { id: 'c', run_id: 'r1', kind: 'node.failed', payload: { node_id: 'fetch', error: 'timeout' } },
    { id: 'd', run_id: 'r1', kind: 'node.retrying', payload: { node_id: 'fetch' } },
    { id: 'e', run_id: 'r1', kind: 'node.started', payload: { node_id: 'fetch' } },
    { id: 'f', run_id: 'r1', kind: 'node.completed', payload: { node_id: 'fetch' } },
    { id: 'g', run_id: 'r1', kind: 'run.completed' },
    { id: 'h', run_id: 'r2', kind: 'run.started', payload: { workflow_id: 'wf', version: '1' } },
    { id: 'i', run_id: 'r2', kind: 'run.completed' },
  ]);
  // r1's stored state says failed where its events say completed; a retried attempt stored as failed agrees.
  writeStateDb(file, [['r1', 'wf', '1', 'failed'], ['r2', 'wf', '1', 'completed']], [['r1:fetch:1', 'r1', 'fetch', 'failed', 1], ['r1:fetch:2', 'r1', 'fetch', 'running', 2]]);
  const s = await startServe(file, { LEDGER_INSPECTOR_DATA: path.join(dir, 'data') });
  try {
    await page.goto(s.url);
    const list = page.getByTestId('runs-panel');
    await expect(list.locator('tr[data-run="r1"]').getByTestId('run-drift')).toBeVisible();
    await expect(list.locator('tr[data-run="r2"]')).toContainText('completed');
    await expect(list.locator('tr[data-run="r2"]').getByTestId('run-drift')).toHaveCount(0);
    await list.locator('tr[data-run="r1"]').click();
    const detail = page.getByTestId('run-detail');
    await expect(detail.locator('tr', { hasText: 'status' }).first()).toContainText('stored: "failed"');
    const nodes = detail.getByTestId('node-runs').locator('tbody tr');
    await expect(nodes.nth(0)).toContainText('failed');
    await expect(nodes.nth(0)).toContainText('retried');
    await expect(nodes.nth(0).getByTestId('node-drift')).toHaveCount(0);
    await expect(nodes.nth(1).getByTestId('node-drift')).toContainText('stored "running"');
    await shot(page, 'run-drift');
  } finally {
    s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a named layout's own rules are edited from the toolbar, saved, and used on reopen", async ({ page }) => {
  const dir = fresh();
  const file = path.join(dir, 'emmett.db');
  writeEmmett(file);
  const env = { LEDGER_INSPECTOR_DATA: path.join(dir, 'data') };
  let s = await startServe(file, env);
  try {
    await page.goto(s.url);
    await expect(page.getByTestId('ledger-meta')).toContainText('emmett');
    const runs = page.getByTestId('runs-panel');
    await expect(runs.locator('tr[data-run="order-2"]')).toContainText('failed');
    // The list reads kinds by the ledger's rules too: PaymentFailed is a failure; archived messages are marked.
    await expect(page.locator('.row[data-offset="5"]')).toHaveClass(/failed/);
    await expect(page.locator('.row[data-offset="3"]')).toHaveClass(/archived/);
    await expect(page.locator('.row[data-offset="3"]')).toContainText('archived');
    await expect(page.locator('.row[data-offset="1"]')).not.toHaveClass(/archived/);
    await page.getByTestId('rules-open').click();
    // The editor starts from the layout's rules; only the rules are edited.
    await expect(page.getByTestId('mapping-rules')).toHaveValue(/"match": "\*"/);
    await expect(page.getByTestId('mapping-table')).toHaveCount(0);
    await page.getByTestId('mapping-rules').fill('{"kinds": [{"match": "PaymentFailed", "entity": null}, {"match": "*", "entity": "run"}]}');
    await expect(page.getByTestId('mapping-preview-runs').locator('tr', { hasText: 'order-2' })).toContainText('unknown');
    await page.getByTestId('mapping-save').click();
    await expect(page.getByTestId('mapping-editor')).toBeHidden();
    await expect(runs.locator('tr[data-run="order-2"]')).toContainText('unknown');
  } finally {
    s.stop();
  }
  s = await startServe(file, env);
  try {
    await page.goto(s.url);
    await expect(page.getByTestId('runs-panel').locator('tr[data-run="order-2"]')).toContainText('unknown');
    await expect(page.getByTestId('runs-panel').locator('tr[data-run="order-1"]')).toContainText('completed');
  } finally {
    s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
