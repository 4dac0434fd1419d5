import { describe, expect, test, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import App from '../App.svelte';
import { NON_ARREST, installFakeBackend } from './fakeBackend';

const click = (el: HTMLElement) => fireEvent.click(el);

/** Render the app, wait for the protocol list, pick the first protocol and a language, start. */
async function startWalk(language = 'English') {
  const backend = installFakeBackend();
  render(App);
  await click(await screen.findByRole('button', { name: /Adult screening \(test\)/ }));
  await click(screen.getByRole('button', { name: language }));
  await click(screen.getByRole('button', { name: 'Start' }));
  await screen.findByText('Item 1 of 4');
  return backend;
}

const stopButton = () => screen.getByRole('button', { name: 'The person wants to stop' });

describe('start screen', () => {
  test('lists the protocols with title, summary, population and version', async () => {
    installFakeBackend();
    render(App);
    expect(screen.getByRole('heading', { level: 1, name: 'Fieldscreen' })).toBeTruthy();
    const adult = await screen.findByRole('button', { name: /Adult screening \(test\)/ });
    expect(adult.textContent).toContain('A short test protocol for adults.');
    expect(adult.textContent).toContain('Adults');
    expect(adult.textContent).toContain('Version 1.2.0');
    const minor = screen.getByRole('button', { name: /Minor screening \(test\)/ });
    expect(minor.textContent).toContain('Minors');
    // Nothing chosen yet: Start waits for a protocol.
    expect((screen.getByRole('button', { name: 'Start' }) as HTMLButtonElement).disabled).toBe(true);
  });

  test('offers the protocol languages by name and starts with {protocolId, language}', async () => {
    const backend = installFakeBackend();
    render(App);
    await click(await screen.findByRole('button', { name: /Adult screening \(test\)/ }));
    const es = screen.getByRole('button', { name: 'Español' });
    expect(es.getAttribute('lang')).toBe('es');
    expect(screen.getByRole('button', { name: 'English' })).toBeTruthy();
    await click(es);
    expect(es.getAttribute('aria-pressed')).toBe('true');
    await click(screen.getByRole('button', { name: 'Start' }));
    await screen.findByText('Item 1 of 4');
    const call = backend.calls.find((c) => c.cmd === 'start_screening');
    expect(call?.args).toEqual({ protocolId: 'test-adult', language: 'es' });
    // The person's words come in their language and are marked as such.
    const words = screen.getByRole('heading', { name: '¿Puede hablar conmigo con seguridad ahora?' });
    expect(words.getAttribute('lang')).toBe('es');
  });
});

describe('item screen', () => {
  test("shows the person's words and the officer guidance, and focuses the question", async () => {
    await startWalk();
    const words = screen.getByRole('heading', { name: 'Are you safe to talk with me right now?' });
    expect(words.getAttribute('lang')).toBe('en');
    expect(document.activeElement).toBe(words);
    expect(screen.getByText('Safety first')).toBeTruthy();
    const guidance = screen.getByRole('region', { name: 'Officer guidance' });
    expect(within(guidance).getByText('Why we ask')).toBeTruthy();
    expect(within(guidance).getByText('The person may be watched or at risk.')).toBeTruthy();
    expect(within(guidance).getByText('How to ask')).toBeTruthy();
    expect(within(guidance).getByText('Ask quietly, away from others.')).toBeTruthy();
    expect(within(guidance).getByText('Avoid saying')).toBeTruthy();
    expect(within(guidance).getByText('Do not ask in front of a companion.')).toBeTruthy();
  });

  test('a yes-no item offers Not sure and Declined as first-class buttons; Declined sends {kind: declined}', async () => {
    const backend = await startWalk();
    const answers = screen.getByRole('group', { name: 'Answer' });
    const names = within(answers)
      .getAllByRole('button')
      .map((b) => b.textContent?.trim());
    expect(names).toEqual(['Yes', 'No', 'Not sure', 'Declined to answer']);
    // Same class as Yes/No: never styled as a lesser choice.
    const classes = within(answers)
      .getAllByRole('button')
      .map((b) => b.className);
    expect(new Set(classes).size).toBe(1);

    await click(within(answers).getByRole('button', { name: 'Declined to answer' }));
    await screen.findByText('Item 2 of 4');
    const call = backend.calls.find((c) => c.cmd === 'answer');
    expect(call?.args).toEqual({ itemId: 'q-safe-now', answer: { kind: 'declined' } });
  });

  test('the stop button is on every item screen', async () => {
    await startWalk();
    expect(stopButton()).toBeTruthy();
    await click(screen.getByRole('button', { name: /\bYes$/ }));
    await screen.findByText('Item 2 of 4');
    expect(stopButton()).toBeTruthy();
    await click(screen.getByRole('button', { name: 'No' }));
    await screen.findByText('Item 3 of 4');
    expect(screen.getByText('Observation - do not ask')).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Locks on the outside of doors' })).toBeTruthy();
    expect(stopButton()).toBeTruthy();
    await click(screen.getByRole('button', { name: 'Seen' }));
    await screen.findByText('Item 4 of 4');
    expect(screen.getByRole('button', { name: 'Read aloud - continue' })).toBeTruthy();
    expect(stopButton()).toBeTruthy();
  });

  test('stopping calls stop_screening and shows a partial outcome', async () => {
    const backend = await startWalk();
    await click(screen.getByRole('button', { name: /\bYes$/ }));
    await screen.findByText('Item 2 of 4');
    await click(stopButton());
    await screen.findByRole('heading', { name: 'Screening result' });
    expect(backend.commands().slice(-2)).toEqual(['stop_screening', 'outcome']);
    expect(
      screen.getByText(
        'Partial: the screening stopped before every item was covered; this concludes nothing about what was not asked.',
      ),
    ).toBeTruthy();
  });

  test('Back calls go_back and shows the recorded answer as selected', async () => {
    const backend = await startWalk();
    const back = () => screen.getByRole('button', { name: 'Back' }) as HTMLButtonElement;
    expect(back().disabled).toBe(true);
    await click(screen.getByRole('button', { name: 'Not sure' }));
    await screen.findByText('Item 2 of 4');
    expect(back().disabled).toBe(false);
    await click(back());
    await screen.findByText('Item 1 of 4');
    expect(backend.commands()).toContain('go_back');
    expect(screen.getByRole('button', { name: 'Not sure' }).getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByRole('button', { name: /\bYes$/ }).getAttribute('aria-pressed')).toBe('false');
  });
});

describe('outcome screen', () => {
  test('shows grouped indicators, declined and not-sure items, actions and non-arrest guidance', async () => {
    const backend = await startWalk();
    await click(screen.getByRole('button', { name: 'Declined to answer' }));
    await screen.findByText('Item 2 of 4');
    await click(screen.getByRole('button', { name: /\bYes$/ }));
    await screen.findByText('Item 3 of 4');
    await click(screen.getByRole('button', { name: 'Seen' }));
    await screen.findByText('Item 4 of 4');
    await click(screen.getByRole('button', { name: 'Read aloud - continue' }));
    await screen.findByRole('heading', { name: 'Screening result' });

    expect(screen.getByRole('heading', { name: 'Indicators present' })).toBeTruthy();
    expect(screen.getByText('Refer to specialist services.')).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Indicators seen', level: 2 })).toBeTruthy();
    const force = screen.getByRole('region', { name: 'Force' });
    expect(within(force).getByText('Threats of harm')).toBeTruthy();
    const coercion = screen.getByRole('region', { name: 'Coercion' });
    expect(within(coercion).getByText('Locks on the outside of doors')).toBeTruthy();
    const purpose = screen.getByRole('region', { name: 'Purpose' });
    expect(purpose.textContent).toContain('Made to work without pay (labor)');
    // Empty groups are not shown.
    expect(screen.queryByRole('region', { name: 'Fraud' })).toBeNull();
    expect(screen.queryByRole('region', { name: 'Minor' })).toBeNull();

    const declined = screen.getByRole('region', { name: 'Declined' });
    expect(within(declined).getByText('Safe to talk now')).toBeTruthy();
    expect(screen.queryByText(/Partial:/)).toBeNull();

    const actions = within(screen.getByRole('region', { name: 'Recommended actions' })).getAllByRole(
      'listitem',
    );
    expect(actions.map((li) => li.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
      'safety Make sure the person is safe now.',
      'referral Offer the hotline number.',
    ]);

    const box = screen.getByRole('complementary', { name: 'Non-arrest guidance' });
    expect(box.textContent).toContain(NON_ARREST);
    // The result never labels the person.
    expect(document.body.textContent).not.toMatch(/victim/i);

    await click(screen.getByRole('button', { name: 'New screening' }));
    await screen.findByRole('heading', { level: 1, name: 'Fieldscreen' });
    expect(backend.commands().slice(-1)).toEqual(['end_screening']);
  });
});

describe('errors and storage', () => {
  test('an IPC error shows its message in the alert region', async () => {
    const backend = await startWalk();
    backend.failNext('answer', { kind: 'invalid-answer', message: 'That answer is not allowed here.' });
    await click(screen.getByRole('button', { name: /\bYes$/ }));
    const alert = await screen.findByRole('alert');
    await vi.waitFor(() => expect(alert.textContent).toContain('That answer is not allowed here.'));
    // Still on the same item, which can be answered again.
    expect(screen.getByText('Item 1 of 4')).toBeTruthy();
    await click(screen.getByRole('button', { name: /\bYes$/ }));
    await screen.findByText('Item 2 of 4');
    expect(alert.textContent?.trim()).toBe('');
  });

  test('a failed protocol list shows the error and can be retried', async () => {
    const backend = installFakeBackend();
    backend.failNext('list_protocols', { kind: 'protocols-invalid', message: 'Protocol files are damaged.' });
    render(App);
    await vi.waitFor(() => expect(screen.getByRole('alert').textContent).toContain('Protocol files are damaged.'));
    await click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('button', { name: /Adult screening \(test\)/ })).toBeTruthy();
  });

  test('nothing is written to localStorage or sessionStorage during a full walk', async () => {
    const setItem = vi.spyOn(Storage.prototype, 'setItem');
    await startWalk('Español');
    await click(screen.getByRole('button', { name: 'High contrast' }));
    for (const [answer, next] of [
      ['Sí Yes', 'Item 2 of 4'],
      ['No', 'Item 3 of 4'],
      ['Not seen', 'Item 4 of 4'],
    ]) {
      // In Spanish the person's word comes first, the officer's beneath it.
      await click(screen.getByRole('button', { name: answer }));
      await screen.findByText(next);
    }
    await click(screen.getByRole('button', { name: 'Read aloud - continue' }));
    await screen.findByRole('heading', { name: 'Screening result' });
    await click(screen.getByRole('button', { name: 'New screening' }));
    await screen.findByRole('heading', { level: 1, name: 'Fieldscreen' });
    expect(setItem).not.toHaveBeenCalled();
    expect(localStorage.length).toBe(0);
    expect(sessionStorage.length).toBe(0);
  });

  test('the high-contrast toggle is a pressed/unpressed button kept in memory', async () => {
    installFakeBackend();
    render(App);
    const toggle = screen.getByRole('button', { name: 'High contrast' });
    expect(toggle.getAttribute('aria-pressed')).toBe('false');
    await click(toggle);
    expect(toggle.getAttribute('aria-pressed')).toBe('true');
    expect(document.documentElement.dataset.contrast).toBe('high');
  });
});
