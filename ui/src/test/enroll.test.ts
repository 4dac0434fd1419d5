// Enrolling the device from the sync panel, on the fake backend: the three things the unit gives
// (hub address, one-time code, CA fingerprint), a refusal shown in place, then the enrolled panel.
import { describe, expect, test, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import App from '../App.svelte';
import { HUB_CODE, HUB_FINGERPRINT, installFakeBackend } from './fakeBackend';

async function home() {
  const backend = installFakeBackend({ phase: 'unlocked' });
  render(App);
  await screen.findByRole('heading', { name: 'Home', level: 1 });
  return backend;
}

const panel = () => screen.getByRole('region', { name: 'Sync with the unit' });

async function fill(url: string, code: string, fingerprint: string) {
  const p = within(panel());
  await fireEvent.input(p.getByLabelText('Hub address'), { target: { value: url } });
  await fireEvent.input(p.getByLabelText('One-time code'), { target: { value: code } });
  await fireEvent.input(p.getByLabelText('Unit certificate fingerprint'), { target: { value: fingerprint } });
}

describe('enrolling from the app', () => {
  test('a wrong fingerprint is refused in place; the right one enrolls and the panel says so', async () => {
    const backend = await home();
    await vi.waitFor(() => expect(panel().getAttribute('data-sync-state')).toBe('not-enrolled'));
    await fireEvent.click(within(panel()).getByRole('button', { name: "Enroll with the unit's hub" }));
    const submit = () => within(panel()).getByRole('button', { name: 'Enroll this device' }) as HTMLButtonElement;
    expect(submit().disabled).toBe(true);

    await fill('https://hub.unit.example:8443', HUB_CODE, HUB_FINGERPRINT.slice(0, 30));
    expect(panel().querySelector('[data-part="fingerprint-count"]')!.textContent).toContain('of 64');
    expect(submit().disabled).toBe(true);

    const wrong = HUB_FINGERPRINT.replace('3F2A', '3F2B');
    await fill('https://hub.unit.example:8443', HUB_CODE, wrong);
    expect(submit().disabled).toBe(false);
    await fireEvent.click(submit());
    await vi.waitFor(() =>
      expect(within(panel()).getByRole('alert').textContent).toContain('no certificate the hub presents has the CA fingerprint'),
    );
    expect(panel().getAttribute('data-sync-state')).toBe('not-enrolled');

    // Typed in lower case with colons: the same fingerprint.
    await fill('https://hub.unit.example:8443', HUB_CODE, HUB_FINGERPRINT.toLowerCase().replace(/ /g, ':'));
    await vi.waitFor(() => expect(submit().disabled).toBe(false));
    await fireEvent.click(submit());
    await vi.waitFor(() => expect(panel().getAttribute('data-sync-state')).toBe('online'));
    expect(panel().textContent).toContain('Hub: https://hub.unit.example:8443');
    expect(backend.commands()).toContain('enroll_device');
    expect(within(panel()).queryByRole('form')).toBeNull();
  });

  test('a used code says what the hub said, and nothing else changes', async () => {
    await home();
    await vi.waitFor(() => expect(panel().getAttribute('data-sync-state')).toBe('not-enrolled'));
    await fireEvent.click(within(panel()).getByRole('button', { name: "Enroll with the unit's hub" }));
    await fill('https://hub.unit.example:8443', 'USED-CODE', HUB_FINGERPRINT);
    await fireEvent.click(within(panel()).getByRole('button', { name: 'Enroll this device' }));
    await vi.waitFor(() => expect(within(panel()).getByRole('alert').textContent).toContain('already used'));
    expect(panel().getAttribute('data-sync-state')).toBe('not-enrolled');
    await fireEvent.click(within(panel()).getByRole('button', { name: 'Cancel' }));
    expect(within(panel()).getByRole('button', { name: "Enroll with the unit's hub" })).toBeTruthy();
  });
});
