import { describe, expect, test } from 'vitest';
import { render } from '@testing-library/svelte';
import SyncPanel from '../lib/SyncPanel.svelte';
import type { SyncView } from '../lib/types';

function view(extra: Partial<SyncView> = {}): SyncView {
  return {
    enrolled: true,
    hub_url: 'https://hub.unit.example:8443',
    online: true,
    pending: 3,
    last_sync: null,
    errors: [],
    last_error: null,
    waiting_for_unit: false,
    ...extra,
  };
}

function panel(sync: SyncView) {
  const { container } = render(SyncPanel, { sync, busy: false, onsyncnow: () => {} });
  return container;
}

describe('sync panel: records waiting for the unit', () => {
  test('says in plain words that nothing can be sent until the unit sets up who receives records', () => {
    const c = panel(view({ waiting_for_unit: true }));
    const note = c.querySelector('[data-part="sync-waiting-unit"]');
    expect(note).not.toBeNull();
    const text = note!.textContent!.replace(/\s+/g, ' ');
    expect(text).toContain('Waiting for the unit.');
    expect(text).toContain('The unit has not yet set up who receives records, so nothing can be sent.');
    expect(text).toContain('kept safely on this device');
    expect(text).toContain('tell your supervisor or the unit');
    expect(text).not.toMatch(/custodian|configuration|seal/i);
    expect(c.querySelector('[data-part="sync-pending"]')!.textContent).toContain('3');
  });

  test('says nothing of it once the unit has set up its custodians', () => {
    const c = panel(view());
    expect(c.querySelector('[data-part="sync-waiting-unit"]')).toBeNull();
    expect(c.textContent).not.toContain('Waiting for the unit');
  });
});
