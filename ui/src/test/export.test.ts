import { describe, expect, test, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import App from '../App.svelte';
import { EXPORT_ERRORS } from '../lib/labels';
import type { ErrorKind } from '../lib/types';
import {
  CHOSEN_PATH,
  CUSTODIAN,
  SECRET,
  SUGGESTED_PATH,
  installFakeBackend,
  makeRecord,
  type FakeOptions,
} from './fakeBackend';

const click = (el: Element) => fireEvent.click(el as HTMLElement);
const q = <T extends Element = HTMLElement>(css: string) => document.querySelector(css) as T | null;
const button = (name: string | RegExp) => screen.getByRole('button', { name });
const secretField = () => q<HTMLInputElement>('[data-field="export-secret"]')!;
const pathField = () => q<HTMLInputElement>('[data-field="export-path"]')!;

/** Waits for an element to appear. */
async function until(css: string): Promise<HTMLElement> {
  return vi.waitFor(() => {
    const el = q(css);
    if (!el) throw new Error(`${css} did not appear`);
    return el;
  });
}

const TWO = [makeRecord('r-1'), makeRecord('r-2', { protocol_id: 'test-minor', level: 'minor-rule' })];

async function renderHome(options: FakeOptions = {}) {
  const backend = installFakeBackend({ phase: 'unlocked', records: TWO, ...options });
  render(App);
  await screen.findByRole('heading', { name: 'Home', level: 1 });
  return backend;
}

async function openExport(options: FakeOptions = {}) {
  const backend = await renderHome(options);
  await click(q('[data-action="export"]')!);
  await screen.findByRole('heading', { name: 'Export a case bundle', level: 1 });
  return backend;
}

async function fillAndExport(secret = SECRET) {
  const custodian = q<HTMLInputElement>(`[data-recipient="${CUSTODIAN.name}"]`)!;
  if (!custodian.checked) await click(custodian);
  await fireEvent.input(secretField(), { target: { value: secret } });
  await click(q('[data-action="do-export"]')!);
}

describe('export', () => {
  test('no Export button without sealed records', async () => {
    await renderHome({ records: [] });
    expect(q('[data-action="export"]')).toBeNull();
  });

  test('happy path: records checked by default, a custodian chosen, the secret asked, the done panel', async () => {
    const backend = await openExport();
    const boxes = [...document.querySelectorAll<HTMLInputElement>('[data-record]')];
    expect(boxes.map((b) => [b.dataset.record, b.checked])).toEqual([
      ['r-1', true],
      ['r-2', true],
    ]);
    expect(q<HTMLInputElement>(`[data-recipient="${CUSTODIAN.name}"]`)!.checked).toBe(false);
    expect(pathField().value).toBe(SUGGESTED_PATH);

    await click(boxes[1]);
    await fillAndExport();
    const done = await until('[data-part="export-done"]');
    const call = backend.calls.find((c) => c.cmd === 'export_bundle')!;
    // The secret went with the call (the fake checked it) and was blanked in the arguments after it.
    expect(call.args.args).toEqual({ record_ids: ['r-1'], recipients: [CUSTODIAN.name], secret: '', path: SUGGESTED_PATH });
    const file = backend.files().get(SUGGESTED_PATH)!;
    expect(file.records).toEqual(['r-1']);
    expect(within(done).getByText(SUGGESTED_PATH)).toBeTruthy();
    expect(q('[data-part="export-count"]')!.textContent).toBe('1 record');
    expect(q('[data-part="export-sha256"]')!.textContent).toBe(file.sha256);
    expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(done.textContent).toContain('standard age tool');
    expect(done.textContent).toContain("custodian's key");
    expect(secretField()).toBeNull();
    // The sync status is read again after an export.
    expect(backend.commands().slice(backend.commands().indexOf('export_bundle'))).toContain('sync_status');

    await click(button('Back to Home'));
    await screen.findByRole('heading', { name: 'Home', level: 1 });
  });

  test('Choose… fills the path from the save dialog, filtered to age bundles; the field stays editable', async () => {
    const backend = await openExport();
    await click(button('Choose…'));
    await vi.waitFor(() => expect(pathField().value).toBe(CHOSEN_PATH));
    const call = backend.calls.find((c) => c.cmd === 'plugin:dialog|save')!;
    const opts = (call.args as { options: { filters: { extensions: string[] }[]; defaultPath: string } }).options;
    expect(opts.filters[0].extensions).toEqual(['age']);
    expect(opts.defaultPath).toBe(SUGGESTED_PATH);

    backend.setSavePath(null);
    await click(button('Choose…'));
    await new Promise((r) => setTimeout(r, 20));
    expect(pathField().value).toBe(CHOSEN_PATH);
    await fireEvent.input(pathField(), { target: { value: '/tmp/typed.age' } });
    await fillAndExport();
    await until('[data-part="export-done"]');
    expect(backend.files().has('/tmp/typed.age')).toBe(true);
  });

  test('the secret is cleared after every call, right or wrong', async () => {
    const backend = await openExport();
    await fillAndExport('not the secret');
    await vi.waitFor(() => expect(q('[data-part="export-secret-error"]')?.textContent).toBe(EXPORT_ERRORS['wrong-secret']));
    expect(secretField().value).toBe('');
    expect(backend.files().size).toBe(0);
    await fillAndExport();
    await until('[data-part="export-done"]');
    expect(document.body.innerHTML).not.toContain(SECRET);
  });

  test('choices are checked before any call', async () => {
    const backend = await openExport();
    for (const b of document.querySelectorAll('[data-record]')) await click(b);
    await click(q('[data-action="do-export"]')!);
    expect(screen.getByText('Choose at least one record.')).toBeTruthy();
    expect(screen.getByText('Choose at least one recipient.')).toBeTruthy();
    expect(screen.getByText('Type your secret to export.')).toBeTruthy();
    expect(backend.commands()).not.toContain('export_bundle');
  });

  test('progress shows while the export runs', async () => {
    const backend = await openExport();
    backend.holdExport();
    await fillAndExport();
    const bar = await until('[role="progressbar"]');
    expect(bar.getAttribute('aria-valuemax')).toBe('2');
    expect(bar.getAttribute('aria-valuenow')).toBe('0');
    expect(q<HTMLButtonElement>('[data-action="do-export"]')!.disabled).toBe(true);
    backend.releaseExport();
    await until('[data-part="export-done"]');
    expect(q('[role="progressbar"]')).toBeNull();
    expect(q('[data-part="export-count"]')!.textContent).toBe('2 records');
  });

  test('no recipients in the policy: said plainly instead of the form', async () => {
    const backend = await openExport({ recipients: [] });
    const note = q('[data-part="no-recipients"]')!;
    expect(note.textContent).toContain("You can't export yet");
    expect(note.textContent).toContain('no unit custodians');
    expect(q('[data-field="export-secret"]')).toBeNull();
    expect(q('[data-action="do-export"]')).toBeNull();
    await click(button('Back to Home'));
    await screen.findByRole('heading', { name: 'Home', level: 1 });
    expect(backend.commands()).not.toContain('export_bundle');
  });

  test.each<[ErrorKind, string]>([
    ['no-recipients', '[data-part="export-error"]'],
    ['invalid', '[data-part="export-error"]'],
    ['unknown-recipient', '#export-recipients-error'],
    ['invalid-path', '#export-path-error'],
    ['wrong-secret', '#export-secret-error'],
    ['delayed', '#export-secret-error'],
    ['not-found', '[data-part="export-error"]'],
  ])('the %s error is explained on the export screen', async (kind, where) => {
    const backend = await openExport();
    backend.failNext('export_bundle', { kind, message: `detail for ${kind}` });
    await fillAndExport();
    const shown = await vi.waitFor(() => {
      const el = q(where);
      expect(el?.textContent).toContain(EXPORT_ERRORS[kind]!);
      return el!;
    });
    expect(shown.textContent!.length).toBeGreaterThan(20);
    expect(secretField().value).toBe('');
    expect(q('[data-part="export-done"]')).toBeNull();
    expect(q('[data-screen="export"]')).not.toBeNull();
  });

  test('an invalid path from the backend is explained with its reason', async () => {
    await openExport();
    await fireEvent.input(pathField(), { target: { value: 'relative.age' } });
    await fillAndExport();
    await vi.waitFor(() => expect(q('#export-path-error')?.textContent).toContain('`relative.age` is not a full path'));
    expect(pathField().getAttribute('aria-invalid')).toBe('true');
  });

  test('locked-out and locked drop everything and show Unlock', async () => {
    for (const kind of ['locked-out', 'locked'] satisfies ErrorKind[]) {
      document.body.innerHTML = '';
      const backend = await openExport();
      backend.failNext('export_bundle', { kind, message: 'paused' });
      await fillAndExport();
      await screen.findByRole('heading', { name: 'Unlock Fieldscreen' });
      expect(q('[data-screen="export"]')).toBeNull();
      expect(q('[data-record]')).toBeNull();
      if (kind === 'locked-out') expect(q('[data-part="notice"]')!.textContent).toContain(EXPORT_ERRORS['locked-out']!.split(' ')[0]);
    }
  });

  test('locking drops the export form: nothing of it is back after unlocking', async () => {
    const backend = await openExport();
    await click(q(`[data-recipient="${CUSTODIAN.name}"]`)!);
    await fireEvent.input(pathField(), { target: { value: '/tmp/half-typed.age' } });
    await fireEvent.input(secretField(), { target: { value: 'half typed' } });
    await backend.lockFromBackend();
    await screen.findByRole('heading', { name: 'Unlock Fieldscreen' });
    expect(q('[data-field="export-path"]')).toBeNull();
    expect(document.body.innerHTML).not.toContain('half-typed');
    await fireEvent.input(screen.getByLabelText(/secret/i), { target: { value: SECRET } });
    await click(button('Unlock'));
    await screen.findByRole('heading', { name: 'Home', level: 1 });
    await click(q('[data-action="export"]')!);
    await screen.findByRole('heading', { name: 'Export a case bundle', level: 1 });
    expect(pathField().value).toBe(SUGGESTED_PATH);
    expect(secretField().value).toBe('');
    expect(q<HTMLInputElement>(`[data-recipient="${CUSTODIAN.name}"]`)!.checked).toBe(false);
  });
});

describe('sync panel on home', () => {
  const panel = () => q('[data-part="sync"]')!;

  test('not enrolled: records stay on the device; no Sync now', async () => {
    await renderHome();
    await vi.waitFor(() => expect(panel().dataset.syncState).toBe('not-enrolled'));
    expect(panel().textContent).toContain("Records stay on this device until it is enrolled with the unit's hub");
    expect(q('[data-action="sync-now"]')).toBeNull();
    expect(q('[data-part="sync-compact"]')!.textContent).toContain('Not enrolled');
  });

  test('offline with records pending: said in words, with the last sync time and the last error', async () => {
    await renderHome({
      sync: { enrolled: true, hub_url: 'https://hub.unit.example:8443', online: false, last_sync: '2026-03-01T01:00:00Z', last_error: 'the hub is not reachable; records stay queued' },
    });
    await vi.waitFor(() => expect(panel().dataset.syncState).toBe('offline'));
    const text = panel().textContent!;
    expect(text).toContain('Offline');
    expect(text).toContain("can't be reached");
    expect(q('[data-part="sync-pending"]')!.textContent).toContain('2');
    expect(q('[data-part="sync-last"]')!.textContent).toContain(new Date('2026-03-01T01:00:00Z').toLocaleString());
    expect(q('[data-part="sync-last"]')!.textContent).toMatch(/ago\)/);
    expect(q('[data-part="sync-last-error"]')!.textContent).toContain('not reachable');
    expect(q('[data-part="sync-compact"]')!.textContent).toMatch(/Offline · 2 waiting/);
    expect(q('[data-action="sync-now"]')).not.toBeNull();
  });

  test('per-record errors are listed', async () => {
    await renderHome({
      sync: {
        enrolled: true,
        online: true,
        errors: [{ record_id: 'r-2', kind: 'conflict', message: 'the hub holds a different record with this id', at: '2026-03-01T02:00:00Z' }],
      },
    });
    const item = await until('[data-sync-error="r-2"]');
    expect(item.textContent).toContain('the hub holds a different record with this id');
    expect(item.textContent).toContain('conflict');
    expect(panel().textContent).toContain('Online');
  });

  test('Sync now sends what is queued and refreshes home', async () => {
    const backend = await renderHome({ sync: { enrolled: true, online: true } });
    await vi.waitFor(() => expect(q('[data-part="sync-pending"]')!.textContent).toContain('2'));
    await click(button('Sync now'));
    await vi.waitFor(() => expect(q('[data-part="sync-pending"]')!.textContent).toContain('0'));
    expect(backend.commands()).toContain('sync_now');
    expect(q('[data-part="sync-last"]')!.textContent).toContain('just now');
    await vi.waitFor(() => expect([...document.querySelectorAll('[data-record-id]')].map((e) => e.getAttribute('data-sync'))).toEqual(['synced', 'synced']));
  });

  test('a background pass refreshes the panel', async () => {
    const backend = await renderHome({ sync: { enrolled: true, online: false } });
    await vi.waitFor(() => expect(panel().dataset.syncState).toBe('offline'));
    backend.setSync({ online: true, last_sync: new Date().toISOString() });
    backend.syncAll();
    await backend.emitSync();
    await vi.waitFor(() => expect(panel().dataset.syncState).toBe('online'));
    await vi.waitFor(() => expect(q('[data-part="sync-pending"]')!.textContent).toContain('0'));
  });
});
