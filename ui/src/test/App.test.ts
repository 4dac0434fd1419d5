import { describe, expect, test, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import App from '../App.svelte';
import { INTERPRETER_WARNING, NON_ARREST, SECRET, installFakeBackend, type FakeBackend } from './fakeBackend';

/** A tap, as a person gives it: only once the control is enabled (a disabled button takes none). */
async function click(el: HTMLElement) {
  await vi.waitFor(() => expect((el as HTMLButtonElement).disabled === true).toBe(false));
  return fireEvent.click(el);
}
const last = <T,>(list: T[]): T | undefined => list[list.length - 1];
const button = (name: string | RegExp) => screen.getByRole('button', { name });

async function renderAt(phase: 'setup' | 'locked' | 'unlocked' = 'unlocked', props: Record<string, unknown> = {}) {
  const backend = installFakeBackend({ phase });
  render(App, props);
  if (phase === 'unlocked') await screen.findByRole('heading', { name: 'Home', level: 1 });
  return backend;
}

/** From home: the new-screening form filled in and started. */
async function startScreening(language: 'en' | 'es' = 'es', protocol = 'test-adult') {
  await click(button('New screening'));
  await screen.findByRole('heading', { name: 'New screening', level: 1 });
  await fireEvent.change(screen.getByLabelText('Type of encounter'), { target: { value: 'traffic-stop' } });
  await click(document.querySelector(`[data-protocol="${protocol}"]`) as HTMLElement);
  await click(document.querySelector(`[data-language="${language}"]`) as HTMLElement);
  await click(document.querySelector('[data-interpreter="screen"]') as HTMLElement);
  await click(button('Start screening'));
  await screen.findByText(/Step 1/);
}

const token = (t: string) => document.querySelector(`[data-token="${t}"]`) as HTMLElement;
const itemId = () => document.querySelector('[data-item-id]')?.getAttribute('data-item-id');

/** Answer the current item with a token and wait for the next one. */
async function answer(t: string) {
  const before = itemId();
  await click(token(t));
  await vi.waitFor(() => expect(itemId()).not.toBe(before));
}

async function walkToOutcome() {
  await answer('no'); // q-safe-now
  await answer('yes'); // s-consent
  await answer('seen'); // o-locks
  await answer('yes'); // q-threats
  await answer('declined'); // q-papers
  await click(document.querySelector('[data-choice="not-paid"]') as HTMLElement);
  await vi.waitFor(() => expect(itemId()).toBe('s-closing'));
  await click(token('read'));
  await screen.findByRole('heading', { name: 'Screening result' });
}

describe('first-run setup', () => {
  test('checks the secret against the policy length and the confirmation, then shows the backend policy message', async () => {
    const backend = await renderAt('setup');
    await screen.findByRole('heading', { name: 'Set up this device' });
    expect(screen.getByRole('radio', { name: /default/ })).toBeTruthy();
    expect((screen.getByRole('checkbox', { name: /Adult screening/ }) as HTMLInputElement).checked).toBe(true);

    await fireEvent.input(screen.getByLabelText('Officer id'), { target: { value: 'officer-9' } });
    await fireEvent.input(screen.getByLabelText('Secret'), { target: { value: 'short' } });
    await click(button('Set up and unlock'));
    expect(screen.getByText('Use at least 10 characters.')).toBeTruthy();
    expect(backend.commands()).not.toContain('setup');

    await fireEvent.input(screen.getByLabelText('Secret'), { target: { value: 'my password is long' } });
    await fireEvent.input(screen.getByLabelText('Secret again'), { target: { value: 'my password is lonG' } });
    await click(button('Set up and unlock'));
    expect(screen.getByText('The two entries are not the same.')).toBeTruthy();

    await fireEvent.input(screen.getByLabelText('Secret again'), { target: { value: 'my password is long' } });
    await click(button('Set up and unlock'));
    await vi.waitFor(() => expect(screen.getByRole('alert').textContent).toContain('that secret is too common'));

    await fireEvent.input(screen.getByLabelText('Secret'), { target: { value: SECRET } });
    await fireEvent.input(screen.getByLabelText('Secret again'), { target: { value: SECRET } });
    await fireEvent.input(screen.getByLabelText(/Unit custodian recipient/), { target: { value: 'age1qqqqzz' } });
    await click(screen.getByRole('checkbox', { name: /Minor screening/ }));
    await click(button('Set up and unlock'));
    await screen.findByRole('heading', { name: 'Home', level: 1 });
    const call = last(backend.calls.filter((c) => c.cmd === 'setup'));
    expect(call?.args).toEqual({
      args: { officer_id: 'officer-9', secret: SECRET, recovery_recipient: 'age1qqqqzz', policy_id: 'default', protocols: ['test-adult'] },
    });
    expect(button('Lock')).toBeTruthy();
  });

  test('a stricter policy asks for a longer secret', async () => {
    await renderAt('setup');
    await screen.findByRole('heading', { name: 'Set up this device' });
    await click(screen.getByRole('radio', { name: /strict/ }));
    expect(screen.getByText(/At least 14 characters/)).toBeTruthy();
  });
});

describe('unlock', () => {
  test('wrong secret, delay and lockout each say what happened; the right secret opens home', async () => {
    const backend = await renderAt('locked');
    await screen.findByRole('heading', { name: 'Unlock Fieldscreen' });
    expect(screen.queryByRole('button', { name: 'Lock' })).toBeNull();
    const field = () => screen.getByLabelText('Your secret');

    await fireEvent.input(field(), { target: { value: 'not it' } });
    await click(button('Unlock'));
    await vi.waitFor(() => expect(screen.getByRole('alert').textContent).toContain('That secret did not match'));
    expect(field().getAttribute('aria-invalid')).toBe('true');
    expect((field() as HTMLInputElement).value).toBe('');

    backend.failNext('unlock', { kind: 'delayed', message: 'wait 4 seconds before trying again' });
    await fireEvent.input(field(), { target: { value: 'x' } });
    await click(button('Unlock'));
    await vi.waitFor(() => expect(screen.getByRole('alert').textContent).toContain('wait 4 seconds before trying again'));

    backend.failNext('unlock', { kind: 'locked-out', message: 'locked out for 10 minutes' });
    await fireEvent.input(field(), { target: { value: 'x' } });
    await click(button('Unlock'));
    await vi.waitFor(() => expect(screen.getByRole('alert').textContent).toContain('locked out for 10 minutes'));
    expect(screen.getByRole('alert').textContent).toContain('Unlocking is paused');

    await fireEvent.input(field(), { target: { value: SECRET } });
    await click(button('Unlock'));
    await screen.findByRole('heading', { name: 'Home', level: 1 });
  });

  test('a wiped device says so and goes to setup', async () => {
    const backend = await renderAt('locked');
    await screen.findByRole('heading', { name: 'Unlock Fieldscreen' });
    backend.wipe();
    await fireEvent.input(screen.getByLabelText('Your secret'), { target: { value: 'x' } });
    await click(button('Unlock'));
    await screen.findByRole('heading', { name: 'Set up this device' });
    expect(document.querySelector('[data-part="wiped"]')).toBeTruthy();
    expect(screen.getByRole('alert').textContent).toContain('This device was wiped');
  });
});

describe('home', () => {
  test('drafts to resume, sealed records with sync state, resources and the training entry', async () => {
    const onTraining = vi.fn();
    const backend = await renderAt('unlocked', { onTraining });
    expect(screen.getByText('Nothing is waiting to sync.')).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Resources' })).toBeTruthy();
    expect(screen.getByText('1-888-373-7888', { exact: false })).toBeTruthy();
    await click(button(/Training/));
    expect(onTraining).toHaveBeenCalledTimes(1);

    await startScreening('en');
    await answer('yes');
    await click(button('Lock'));
    await fireEvent.input(await screen.findByLabelText('Your secret'), { target: { value: SECRET } });
    await click(button('Unlock'));
    await screen.findByRole('heading', { name: 'Home', level: 1 });
    const draft = document.querySelector('[data-draft-id]') as HTMLElement;
    expect(draft.textContent).toContain('Adult screening (test)');
    expect(draft.textContent).toContain('1 changes saved');
    await click(within(draft).getByRole('button', { name: /Resume/ }));
    await vi.waitFor(() => expect(itemId()).toBe('s-consent'));
    expect(backend.calls.find((c) => c.cmd === 'resume_draft')?.args).toEqual({ draftId: 'd-1' });
  });
});

describe('new screening and items', () => {
  test('the interpreter warning is shown; start sends the encounter; safety comes first in Spanish', async () => {
    const backend = await renderAt();
    await click(button('New screening'));
    await screen.findByRole('heading', { name: 'New screening', level: 1 });
    const warning = document.querySelector('[data-part="interpreter-warning"]')!;
    expect(warning.textContent).toContain(INTERPRETER_WARNING);
    expect((button('Start screening') as HTMLButtonElement).disabled).toBe(true);
    // The setting list narrows as the officer types.
    await fireEvent.input(screen.getByLabelText(/Setting: where/), { target: { value: 'agri' } });
    const options = within(screen.getByLabelText('Setting') as HTMLElement).getAllByRole('option');
    expect(options.map((o) => o.textContent)).toEqual(['Not known', 'Agriculture or animal husbandry']);
    await fireEvent.change(screen.getByLabelText('Setting'), { target: { value: 'agriculture' } });
    await fireEvent.change(screen.getByLabelText('Type of encounter'), { target: { value: 'welfare-check' } });
    await click(screen.getByRole('radio', { name: /Adult screening/ }));
    await click(screen.getByRole('radio', { name: /^Español/ }));
    await click(screen.getByRole('radio', { name: /Professional interpreter by phone/ }));
    await click(button('Start screening'));
    await screen.findByText(/Step 1/);
    expect(backend.calls.find((c) => c.cmd === 'start_screening')?.args).toEqual({
      args: { protocol_id: 'test-adult', language: 'es', encounter: { type: 'welfare-check', setting: 'agriculture', interpreter: 'phone' } },
    });
    const words = screen.getByRole('heading', { level: 1, name: '¿Puede hablar conmigo con seguridad ahora?' });
    expect(words.getAttribute('lang')).toBe('es');
    expect(screen.getByText('Safety first')).toBeTruthy();
    expect(screen.getByText(/Step 1/).textContent).toContain('Safety');
    const guidance = screen.getByRole('region', { name: 'Officer guidance' });
    expect(within(guidance).getByText('Ask quietly, away from others.')).toBeTruthy();
  });

  test('"Saved" comes only from saved_events in the returned view', async () => {
    const backend = await renderAt();
    await startScreening('en');
    const saved = () => document.querySelector('[data-part="saved"]') as HTMLElement;
    expect(saved().textContent).toContain('Nothing saved yet');
    await answer('not-sure');
    expect(saved().textContent).toContain('Saved');
    expect(saved().getAttribute('data-saved-events')).toBe('1');
    // A failed answer leaves the count where the backend last said it was.
    backend.failNext('answer', { kind: 'database', message: 'disk full' });
    await click(token('yes'));
    await vi.waitFor(() => expect(screen.getByRole('alert').textContent).toContain('disk full'));
    expect(saved().getAttribute('data-saved-events')).toBe('1');
  });

  test('stop is on every item, and stopping gives a partial, stopped outcome', async () => {
    const backend = await renderAt();
    await startScreening('en');
    expect(button('The person wants to stop')).toBeTruthy();
    await answer('yes');
    await answer('yes');
    expect(screen.getByText('Observation - do not ask')).toBeTruthy();
    await click(button('The person wants to stop'));
    await screen.findByRole('heading', { name: 'Screening result' });
    expect(backend.commands().slice(-2)).toEqual(['stop_screening', 'outcome']);
    expect(document.querySelector('[data-part="partial"]')).toBeTruthy();
    expect(document.querySelector('[data-part="stopped"]')).toBeTruthy();
  });

  test('back returns to the previous item with its answer pressed', async () => {
    await renderAt();
    await startScreening('en');
    await answer('not-sure');
    await click(button('Back'));
    await vi.waitFor(() => expect(itemId()).toBe('q-safe-now'));
    expect(token('not-sure').getAttribute('aria-pressed')).toBe('true');
  });
});

describe('hand-over view', () => {
  test('only the question in their language, their answer words, and no way out without the secret', async () => {
    const backend = await renderAt();
    await startScreening('es');
    await answer('yes'); // q-safe-now
    await click(button('Hand the device to the person'));
    await vi.waitFor(() => expect(document.querySelector('[data-screen="handover"]')).toBeTruthy());
    expect(backend.handover()).toBe(true);

    // Nothing of the officer's view is reachable.
    for (const name of ['Lock', 'Back', 'The person wants to stop', 'High contrast', 'New screening']) {
      expect(screen.queryByRole('button', { name })).toBeNull();
    }
    expect(screen.queryByRole('banner')).toBeNull();
    expect(screen.queryByRole('region', { name: 'Officer guidance' })).toBeNull();
    const heading = screen.getByRole('heading', { level: 1 });
    expect(heading.textContent).toContain('¿Está bien si le hago unas preguntas cortas?');
    expect(heading.getAttribute('lang')).toBe('es');
    const names = screen.getAllByRole('button').map((b) => b.textContent?.trim());
    expect(names).toEqual(['Escuchar', 'Sí', 'No', 'No estoy seguro(a)', 'Prefiero no responder', 'Quiero parar', 'Officer']);

    // An answer shows the next question, still in hand-over; an observation is never shown.
    await click(button('Sí'));
    await screen.findByText(/Por favor, devuelva el dispositivo al agente/);
    expect(backend.handover()).toBe(true);
    expect(document.body.textContent).not.toContain('Locks on the outside of doors');

    // The backend refuses officer commands meanwhile.
    await expect(
      (await import('../lib/ipc')).home().catch((e: { kind: string }) => Promise.reject(e.kind)),
    ).rejects.toBe('handover');

    // The officer control asks for the secret; a wrong one keeps the person's view.
    await click(button('Officer'));
    const secret = screen.getByLabelText(/Officer's secret/);
    await fireEvent.input(secret, { target: { value: 'guess' } });
    await click(button('Back to officer view'));
    await screen.findByText(/That secret did not match/);
    expect(document.querySelector('[data-screen="handover"]')).toBeTruthy();
    await fireEvent.input(secret, { target: { value: SECRET } });
    await click(button('Back to officer view'));
    await vi.waitFor(() => expect(itemId()).toBe('o-locks'));
    expect(button('Lock')).toBeTruthy();
    expect(backend.handover()).toBe(false);
  });

  test('a declined answer and "I want to stop" from the person', async () => {
    const backend = await renderAt();
    await startScreening('es');
    await answer('yes');
    await answer('yes');
    await answer('not-seen');
    await click(button('Hand the device to the person'));
    await screen.findByRole('button', { name: 'Prefiero no responder' });
    await click(button('Prefiero no responder'));
    await vi.waitFor(() => expect(screen.getByRole('heading', { level: 1 }).textContent).toContain('papeles'));
    expect(last(backend.calls.filter((c) => c.cmd === 'answer'))?.args).toEqual({ itemId: 'q-threats', answer: { kind: 'declined' } });
    await click(button('Quiero parar'));
    await screen.findByText('Gracias.');
    expect(last(backend.commands())).toBe('stop_screening');
    await click(button('Officer'));
    await fireEvent.input(screen.getByLabelText(/Officer's secret/), { target: { value: SECRET } });
    await click(button('Back to officer view'));
    await screen.findByRole('heading', { name: 'Screening result' });
    expect(document.querySelector('[data-part="partial"]')).toBeTruthy();
    expect(within(document.querySelector('[data-part="declined"]') as HTMLElement).getByText('Threats of harm')).toBeTruthy();
  });
});

describe('outcome, referrals, card, notes, finalize', () => {
  test('the full walk: indicators, declined, actions in order, non-arrest guidance, referral choices', async () => {
    const backend = await renderAt();
    await startScreening('es');
    await walkToOutcome();
    expect(screen.getByRole('heading', { name: 'Indicators present' })).toBeTruthy();
    expect(within(screen.getByRole('region', { name: 'Force' })).getByText('Threats of harm')).toBeTruthy();
    expect(within(screen.getByRole('region', { name: 'Coercion' })).getByText('Locks on the outside of doors')).toBeTruthy();
    expect(screen.getByRole('region', { name: 'Purpose' }).textContent).toContain('Paid for the work (labor)');
    expect(within(screen.getByRole('region', { name: 'Chose not to answer' })).getByText('Papers kept by someone else')).toBeTruthy();
    const kinds = [...document.querySelectorAll('[data-action-kind]')].map((li) => li.getAttribute('data-action-kind'));
    expect(kinds.slice(0, 2)).toEqual(['emergency', 'medical']);
    expect(screen.getByRole('complementary', { name: 'Non-arrest guidance' }).textContent).toContain(NON_ARREST);
    expect(document.querySelector('[data-part="partial"]')).toBeNull();
    expect(document.body.textContent).not.toMatch(/\bvictim\b|prostitut|illegal/i);

    const hotline = screen.getByRole('group', { name: /National Human Trafficking Hotline/ });
    expect((within(hotline).getByRole('radio', { name: 'Not offered yet' }) as HTMLInputElement).checked).toBe(true);
    await click(within(hotline).getByRole('radio', { name: 'The person accepted' }));
    await vi.waitFor(() => expect(last(backend.calls)?.cmd).toBe('set_referral'));
    expect(last(backend.calls)?.args).toEqual({ resourceId: 'nhth', choice: 'accepted' });
    const ems = screen.getByRole('group', { name: /Emergency services/ });
    await click(within(ems).getByRole('radio', { name: 'The person declined' }));
    await vi.waitFor(() => expect(last(backend.calls)?.args).toEqual({ resourceId: 'emergency-911', choice: 'declined' }));
    expect((within(hotline).getByRole('radio', { name: 'The person accepted' }) as HTMLInputElement).checked).toBe(true);
  });

  test('the resource card is in their language, with the QR code drawn from the modules', async () => {
    await renderAt();
    await startScreening('es');
    await walkToOutcome();
    await click(button('Resource card for the person'));
    await screen.findByRole('heading', { name: 'Ayuda a su alcance', level: 1 });
    expect(screen.getAllByText('Teléfono').length).toBeGreaterThan(0);
    expect(screen.getByText('Mensaje de texto')).toBeTruthy();
    const svg = screen.getByRole('img', { name: 'Escanee para guardar estos contactos' });
    const path = svg.querySelector('path')!.getAttribute('d')!;
    expect(path.match(/M/g)?.length).toBeGreaterThan(50);
    expect(document.querySelector('[data-part="qr"] figcaption')?.textContent).toContain('tel:1-888-373-7888');
    expect(button('Print the card')).toBeTruthy();
    await click(button('Back to the result'));
    await screen.findByRole('heading', { name: 'Screening result' });
  });

  test('notes: debounced live check shows each flag with its better term, and saving keeps them', async () => {
    const backend = await renderAt();
    await startScreening('en');
    await walkToOutcome();
    await click(button('Add brief notes'));
    const area = await screen.findByLabelText('Notes');
    for (const value of ['She', 'She said the prostitute', 'She said the prostitute was an illegal alien']) {
      await fireEvent.input(area, { target: { value } });
    }
    await vi.waitFor(() => expect(document.querySelectorAll('[data-flag]').length).toBe(2), { timeout: 2000 });
    expect(backend.calls.filter((c) => c.cmd === 'check_notes').length).toBe(1);
    const flag = document.querySelector('[data-flag="prostitute"]') as HTMLElement;
    expect(flag.textContent).toContain('“prostitute”');
    expect(flag.textContent).toContain('“person who traded sex”');
    expect(flag.textContent).toContain('A label on the person');
    await fireEvent.input(area, { target: { value: 'Spoke at the roadside; offered the hotline card.' } });
    await vi.waitFor(() => expect(document.querySelectorAll('[data-flag]').length).toBe(0), { timeout: 2000 });
    await click(button('Save notes'));
    await screen.findByRole('heading', { name: 'Screening result' });
    expect(backend.calls.find((c) => c.cmd === 'save_notes')?.args).toEqual({ text: 'Spoke at the roadside; offered the hotline card.' });
    expect(screen.getByRole('region', { name: 'Notes' }).textContent).toContain('offered the hotline card');
  });

  test('finalize asks first, then seals, goes home and lists the record as waiting to sync', async () => {
    const backend = await renderAt();
    await startScreening('en');
    await walkToOutcome();
    await click(button('Finalize…'));
    await screen.findByRole('heading', { name: 'Finalize this screening?' });
    expect(screen.getByText(/cannot be edited afterwards/)).toBeTruthy();
    await click(button('Not yet'));
    await screen.findByRole('heading', { name: 'Screening result' });
    expect(backend.commands()).not.toContain('finalize');
    await click(button('Finalize…'));
    await click(await screen.findByRole('button', { name: 'Seal and queue the record' }));
    await screen.findByRole('heading', { name: 'Home', level: 1 });
    const record = document.querySelector('[data-record-id]') as HTMLElement;
    expect(record.getAttribute('data-sync')).toBe('queued');
    expect(record.textContent).toContain('Waiting to sync');
    expect(screen.getByText('1 waiting to sync with the unit.')).toBeTruthy();
    expect(screen.getByRole('status').textContent).toContain('Record sealed and signed. 1 waiting to sync.');
    expect(document.querySelector('[data-draft-id]')).toBeNull();
  });
});

describe('lock', () => {
  async function toNotes(backend: FakeBackend) {
    await startScreening('en');
    await walkToOutcome();
    await click(button('Add brief notes'));
    await fireEvent.input(await screen.findByLabelText('Notes'), { target: { value: 'private words typed here' } });
    expect(backend.phase()).toBe('unlocked');
  }

  test('the locked event drops all screen state: view, outcome, notes text', async () => {
    const backend = await renderAt();
    await toNotes(backend);
    await backend.lockFromBackend();
    await screen.findByRole('heading', { name: 'Unlock Fieldscreen' });
    expect(document.body.textContent).not.toContain('private words typed here');
    expect(document.body.textContent).not.toContain('Screening result');
    expect(screen.queryByLabelText('Notes')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Lock' })).toBeNull();
    await fireEvent.input(screen.getByLabelText('Your secret'), { target: { value: SECRET } });
    await click(button('Unlock'));
    await screen.findByRole('heading', { name: 'Home', level: 1 });
    expect(document.body.textContent).not.toContain('private words typed here');
  });

  test('the Lock button locks the backend and drops the screen', async () => {
    const backend = await renderAt();
    await startScreening('es');
    await click(button('Lock'));
    await screen.findByRole('heading', { name: 'Unlock Fieldscreen' });
    expect(backend.phase()).toBe('locked');
    expect(document.body.textContent).not.toContain('¿Puede hablar conmigo');
  });

  test('a `locked` error from any command shows the unlock screen', async () => {
    const backend = await renderAt();
    await startScreening('en');
    backend.failNext('answer', { kind: 'locked', message: 'the app is locked; unlock it with your secret' });
    await click(token('yes'));
    await screen.findByRole('heading', { name: 'Unlock Fieldscreen' });
    expect(screen.queryByText(/Are you safe to talk/)).toBeNull();
  });

  test('activity calls touch at most once per 15 seconds', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const backend = await renderAt();
      const touches = () => backend.commands().filter((c) => c === 'touch').length;
      await fireEvent.pointerDown(document.body);
      await fireEvent.keyDown(document.body, { key: 'a' });
      await fireEvent.pointerDown(document.body);
      expect(touches()).toBe(1);
      vi.setSystemTime(Date.now() + 15_001);
      await fireEvent.keyDown(document.body, { key: 'b' });
      expect(touches()).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  test('every data command is refused while locked (fake backend mirrors field.rs)', async () => {
    const backend = await renderAt('locked');
    const ipc = await import('../lib/ipc');
    for (const call of [ipc.home, ipc.newScreeningOptions, ipc.currentView, ipc.outcome, ipc.resourceCard, ipc.finalize]) {
      await expect(call().catch((e: { kind: string }) => Promise.reject(e.kind))).rejects.toBe('locked');
    }
    expect(backend.phase()).toBe('locked');
  });
});

describe('storage and theme', () => {
  test('nothing is written to web storage or cookies during a full walk', async () => {
    const setItem = vi.spyOn(Storage.prototype, 'setItem');
    await renderAt();
    await click(button('High contrast'));
    await startScreening('es');
    await walkToOutcome();
    await click(button('Finalize…'));
    await click(await screen.findByRole('button', { name: 'Seal and queue the record' }));
    await screen.findByRole('heading', { name: 'Home', level: 1 });
    expect(setItem).not.toHaveBeenCalled();
    expect(localStorage.length).toBe(0);
    expect(sessionStorage.length).toBe(0);
    expect(document.cookie).toBe('');
  });

  test('the high-contrast toggle is a pressed/unpressed button kept in memory', async () => {
    await renderAt();
    const toggle = button('High contrast');
    expect(toggle.getAttribute('aria-pressed')).toBe('false');
    await click(toggle);
    expect(toggle.getAttribute('aria-pressed')).toBe('true');
    expect(document.documentElement.dataset.contrast).toBe('high');
  });
});
