import { describe, expect, test, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import TrainingApp from './TrainingApp.svelte';
import { installFakeBackend, type FakeBackend } from '../test/fakeBackend';

const click = (el: Element | null) => {
  if (!el) throw new Error('no such element');
  return fireEvent.click(el);
};
const $ = (css: string) => document.querySelector(css) as HTMLElement | null;
const button = (name: string | RegExp) => screen.getByRole('button', { name });
const itemId = () => $('[data-item-id]')?.getAttribute('data-item-id') ?? null;
const screenName = () => $('[data-screen]')?.getAttribute('data-screen') ?? null;

/** The TRAINING mark is on screen, as text, and named for screen readers. */
function expectMark() {
  const mark = screen.getByRole('region', { name: 'Training mode' });
  expect(mark.getAttribute('data-part')).toBe('training-mark');
  expect(mark.textContent).toContain('TRAINING');
  expect(mark.textContent).toMatch(/nothing is saved/);
  const h1 = document.querySelector('h1');
  expect(h1?.textContent).toMatch(/^Training\./);
}

async function open(opts: { onExit?: () => void } = {}): Promise<FakeBackend> {
  const fake = installFakeBackend();
  render(TrainingApp, { onExit: opts.onExit ?? (() => {}) });
  await screen.findByRole('heading', { name: /Choose a scenario/, level: 1 });
  return fake;
}

async function choose(id: string) {
  await click($(`[data-scenario="${id}"]`));
  await vi.waitFor(() => expect(screenName()).toBe('training-start'));
  await vi.waitFor(() => expect(($('[data-action="start-app-plays"]') as HTMLButtonElement).disabled).toBe(false));
}

async function startRun(id: string, who: 'app' | 'trainer') {
  await choose(id);
  await click($(`[data-action="start-${who}-plays"]`));
  await vi.waitFor(() => expect(itemId()).toBe('in-danger'));
}

/** Records an answer and waits for the screen to move on. */
async function record(css: string) {
  const before = `${screenName()}:${itemId()}`;
  await click($(css));
  await vi.waitFor(() => expect(`${screenName()}:${itemId()}`).not.toBe(before));
  expectMark();
}

const token = (t: string) => `[data-token="${t}"]`;

/** Walks the van scenario recording every reply except the passports, which are recorded as not seen. */
async function walkVan(fake: FakeBackend) {
  await startRun('van-workers', 'app');
  const steps: [string, number][] = [
    [token('no'), 12],
    [token('read'), 30],
    [token('not-seen'), 8],
    [token('yes'), 5],
    [token('yes'), 20],
    [token('declined'), 10],
  ];
  for (const [css, secs] of steps) {
    fake.advance(secs);
    await record(css);
  }
  fake.advance(15);
  await record('[data-choice="paid-debt"]');
  expect(screenName()).toBe('training-notes');
}

describe('scenario list and start screen', () => {
  test('lists each scenario with its title, summary, protocol and the person’s language', async () => {
    const fake = await open();
    expectMark();
    const item = $('[data-scenario="van-workers"]')!;
    expect(item.textContent).toContain('Workers in a van');
    expect(item.textContent).toContain('the driver holds their passports');
    expect(item.textContent).toContain('Adult roadside screening (test)');
    expect(item.textContent).toContain('Spanish (Español)');
    expect($('[data-scenario="stops-early"]')!.textContent).toContain('English');
    expect(fake.calls.map((c) => c.cmd)).toEqual(['training_scenarios']);
  });

  test('the start screen shows the trainer brief and learning points with sources, and both ways to play', async () => {
    await open();
    await choose('van-workers');
    expectMark();
    const notes = $('[data-part="trainer-notes"]')!;
    expect(notes.textContent).toContain('Mateo, 34');
    expect(notes.textContent).toContain('debt to the crew leader');
    expect(notes.textContent).toContain('never the driver');
    const learning = $('[data-part="learning"]')!;
    expect(learning.textContent).toContain('means of control');
    expect(learning.textContent).toContain('Source: 22 U.S.C. 7102');
    expect(button(/The app plays the person/)).toBeTruthy();
    expect(button(/The trainer plays the person/)).toBeTruthy();
  });

  test('going back to the list ends the run that fetched the brief', async () => {
    const fake = await open();
    await choose('van-workers');
    await click(button('Choose another scenario'));
    await screen.findByRole('heading', { name: /Choose a scenario/ });
    expect(fake.running()).toBe(false);
    expectMark();
  });
});

describe('the app plays the person', () => {
  test('shows the person’s reply in their language but records nothing until the trainee answers', async () => {
    const fake = await open();
    await startRun('van-workers', 'app');
    expectMark();
    expect(fake.recorded()).toEqual({});
    const reply = $('[data-part="person-reply"]')!;
    expect(reply.textContent).toContain('“No”');
    expect($('[data-item-id]')!.getAttribute('data-person-says')).toBe('no');
    expect(document.querySelectorAll('[aria-pressed="true"]').length).toBe(0);
    expect(screen.getByRole('heading', { level: 1 }).textContent).toContain('¿Tiene alguna herida');
    // Not sure and declined are offered as answers of their own.
    expect($(token('not-sure'))).toBeTruthy();
    expect($(token('declined'))!.textContent).toContain('Declined to answer');

    // The trainee's choice is what is recorded, even when it differs from the reply.
    await record(token('not-sure'));
    expect(fake.recorded()).toEqual({ 'in-danger': { kind: 'not-sure' } });
    expect($('[data-part="person-reply"]')!.textContent).toContain('The person listens.');
  });

  test('an observation shows the cue of what the officer can see, not the scenario’s answer', async () => {
    const fake = await open();
    await startRun('van-workers', 'app');
    await record(token('no'));
    await record(token('read'));
    expect(itemId()).toBe('documents-held');
    expect($('[data-part="cue"]')!.textContent).toContain('stack of eight passports');
    expect($('[data-part="person-reply"]')).toBeNull();
    expect($('[data-item-id]')!.hasAttribute('data-person-says')).toBe(false);
    expect(screen.getByRole('heading', { level: 1 }).textContent).toContain('Documents held by someone else');
    expect(fake.recorded()['documents-held']).toBeUndefined();
    expect(['seen', 'not-seen', 'not-sure'].every((t) => $(token(t)))).toBe(true);
  });

  test('a choice reply is shown in the person’s words; a declined reply too', async () => {
    await open();
    await startRun('van-workers', 'app');
    for (const t of ['no', 'read', 'seen', 'yes', 'yes']) await record(token(t));
    expect(itemId()).toBe('papers-kept');
    expect($('[data-part="person-reply"]')!.textContent).toContain('Prefiero no responder');
    await record(token('declined'));
    expect(itemId()).toBe('paid');
    expect($('[data-part="person-reply"]')!.textContent).toContain('Mi pago va a una deuda');
    expect($('[data-item-id]')!.getAttribute('data-person-says')).toBe('choice:paid-debt');
  });

  test('back shows the previous item with the recorded answer pressed', async () => {
    const fake = await open();
    await startRun('van-workers', 'app');
    expect((button('Back') as HTMLButtonElement).disabled).toBe(true);
    await record(token('no'));
    await record('[data-action="back"]');
    expect(itemId()).toBe('in-danger');
    expect($(token('no'))!.getAttribute('aria-pressed')).toBe('true');
    expect(fake.recorded()).toEqual({ 'in-danger': { kind: 'no' } });
  });

  test('when the person asks to stop, the screen says so and stopping is one tap away', async () => {
    const fake = await open();
    await startRun('stops-early', 'app');
    for (const t of ['no', 'read', 'not-seen', 'yes']) await record(token(t));
    expect(itemId()).toBe('works-for-someone');
    expect($('[data-part="stops-here"]')!.textContent).toContain('asks to stop');
    expect($('[data-part="stop-asked"]')).toBeNull();
    await record(token('yes'));
    expect($('[data-part="stop-asked"]')!.textContent).toContain('want to stop');
    await record('[data-action="stop"]');
    expect(screenName()).toBe('training-notes');
    expect($('[data-part="ending"]')!.textContent).toContain('The person stopped');
    expect($('[data-action="back"]')).toBeNull();
    expect(fake.recorded()['papers-kept']).toBeUndefined();
    await record('[data-action="debrief"]');
    expect($('[data-part="outcome-match"]')!.getAttribute('data-matched')).toBe('true');
    expect($('[data-part="levels"]')!.textContent).toContain('The person stopped.');
  });
});

describe('the trainer plays the person', () => {
  test('questions show as the hand-over view in the person’s language, with decline and stop; no trainer notes', async () => {
    const fake = await open();
    await startRun('van-workers', 'trainer');
    expectMark();
    expect(screenName()).toBe('training-handover');
    expect($('[data-part="trainer-notes"]')).toBeNull();
    expect($('[data-part="person-reply"]')).toBeNull();
    expect($('[data-part="guidance"]')).toBeNull();
    const view = $('[data-screen="training-handover"]')!;
    expect(view.getAttribute('lang')).toBe('es');
    expect(within(view).getByRole('button', { name: 'Sí' })).toBeTruthy();
    expect(within(view).getByRole('button', { name: 'Prefiero no responder' })).toBeTruthy();
    expect(within(view).getByRole('button', { name: 'No estoy seguro(a)' })).toBeTruthy();
    expect(within(view).getByRole('button', { name: 'Quiero parar' })).toBeTruthy();

    await record(token('no'));
    await record(token('read'));
    // Observations are the officer's: the officer view, with the cue.
    expect(screenName()).toBe('training-item');
    expect(itemId()).toBe('documents-held');
    expect($('[data-part="cue"]')).toBeTruthy();
    await record(token('seen'));
    expect(screenName()).toBe('training-handover');
    await record('[data-action="person-stop"]');
    expect(screenName()).toBe('training-notes');
    expect(fake.recorded()).toEqual({ 'in-danger': { kind: 'no' }, introduction: { kind: 'read' }, 'documents-held': { kind: 'seen' } });
  });
});

describe('the language of a run', () => {
  test('the trainer may run a scenario in another of the protocol’s languages, marked as unreviewed where it is', async () => {
    const fake = await open();
    await choose('van-workers');
    const es = $('[data-part="training-language"] [data-language="es"]') as HTMLInputElement;
    expect(es.checked).toBe(true);
    expect($('[data-part="training-language"] [data-part="translation-unreviewed"]')).toBeTruthy();
    await click($('[data-part="training-language"] [data-language="en"]'));
    expect($('[data-part="training-language"] [data-part="translation-unreviewed"]')).toBeNull();
    await click($('[data-action="start-trainer-plays"]'));
    await vi.waitFor(() => expect(itemId()).toBe('in-danger'));
    expect(fake.calls.find((c) => c.cmd === 'training_begin')?.args).toEqual({ scenarioId: 'van-workers', language: 'en' });
    expect($('[data-screen="training-handover"]')!.getAttribute('lang')).toBe('en');
  });
});

describe('read aloud in training', () => {
  test('the trainer can demo read aloud: the current item is spoken in the scenario’s language, nothing saved', async () => {
    const fake = await open();
    await startRun('van-workers', 'trainer');
    vi.spyOn(HTMLMediaElement.prototype, 'play').mockImplementation(function (this: HTMLMediaElement) {
      setTimeout(() => this.onended?.(new Event('ended')), 0);
      return Promise.resolve();
    });
    URL.createObjectURL = vi.fn(() => 'blob:fake');
    URL.revokeObjectURL = vi.fn();
    await click(button('Escuchar'));
    await vi.waitFor(() => expect(fake.spoken.length).toBe(3));
    expect(fake.spoken.map((s) => [s.item, s.language])).toEqual([
      ['in-danger', 'es'],
      ['in-danger', 'es'],
      ['in-danger', 'es'],
    ]);
    expect(fake.commands().filter((c) => c === 'training_speak').length).toBe(3);
    expect(fake.commands()).not.toContain('speak');
    await vi.waitFor(() => expect($('[data-part="read-aloud"]')!.dataset.playing).toBe('false'));
    vi.restoreAllMocks();
  });
});

describe('presenter mode', () => {
  test('large, high-contrast type and the trainer notes hidden, with nothing else lost', async () => {
    await open();
    await choose('van-workers');
    const toggle = button('Presenter mode');
    expect(toggle.getAttribute('aria-pressed')).toBe('false');
    expect($('[data-part="trainer-notes"]')).toBeTruthy();
    await click(toggle);
    expect(toggle.getAttribute('aria-pressed')).toBe('true');
    expect($('.fs-training')!.classList.contains('t-presenter')).toBe(true);
    expect($('[data-part="trainer-notes"]')).toBeNull();
    expect($('[data-part="learning"]')).toBeTruthy();
    expectMark();

    await click($('[data-action="start-app-plays"]'));
    await vi.waitFor(() => expect(itemId()).toBe('in-danger'));
    expect($('[data-part="trainer-notes"]')).toBeNull();
    expect($('[data-part="person-reply"]')).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Officer guidance' })).toBeTruthy();
    expect(button('The person wants to stop')).toBeTruthy();
    expect(document.body.textContent).not.toContain('Mateo, 34');

    await click(toggle);
    expect($('[data-part="trainer-notes"]')).toBeTruthy();
  });
});

describe('notes and debrief', () => {
  test('the debrief shows the outcome, groups, missed observations by label, note flags, times and learning points', async () => {
    const fake = await open();
    await walkVan(fake);
    expectMark();
    await fireEvent.input(screen.getByLabelText('Your notes (optional)'), { target: { value: 'The pimp kept the passports of the illegals.' } });
    await record('[data-action="debrief"]');
    expect(screenName()).toBe('training-debrief');
    expect(fake.calls[fake.calls.length - 1]).toEqual({ cmd: 'training_debrief', args: { notes: 'The pimp kept the passports of the illegals.' } });

    const match = $('[data-part="outcome-match"]')!;
    expect(match.getAttribute('data-matched')).toBe('false');
    expect(match.textContent).toContain('The scenario expects indicators of: Fraud, Coercion, Purpose: labor or services. This run recorded: Fraud, Purpose: labor or services.');
    expect(match.textContent).not.toContain('`');
    expect($('[data-part="expected-level"]')!.textContent).toBe('Strong indicators');
    expect($('[data-part="found-level"]')!.textContent).toBe('Strong indicators');

    const groups = $('[data-part="groups"]')!;
    expect(groups.querySelector('[data-group="coercion"]')!.textContent).toMatch(/CoercionYesNo/);
    expect($('[data-part="missed-groups"]')!.textContent).toContain('Coercion');
    expect($('[data-part="extra-groups"]')).toBeNull();

    const missed = $('[data-part="observations-missed"]')!;
    expect(missed.querySelector('[data-item="documents-held"]')!.textContent).toBe('Documents held by someone else');

    const flags = $('[data-part="note-flags"]')!;
    expect(flags.querySelector('[data-flag="pimp"]')!.textContent).toContain('trafficker; person who exploits them');
    expect(flags.querySelector('[data-flag="illegals"]')!.textContent).toContain('immigrants; people without status');
    expect(flags.textContent).toContain('A slur');

    const times = $('[data-part="section-times"]')!;
    expect(times.querySelector('[data-section="safety"]')!.textContent).toContain('12 s');
    expect(times.querySelector('[data-section="introduction"]')!.textContent).toContain('35 s');
    expect(times.querySelector('[data-section="observations"]')!.textContent).toContain('8 s');
    expect(times.querySelector('[data-section="work"]')!.textContent).toContain('45 s');
    expect(times.querySelector('[data-part="total-time"]')!.textContent).toContain('1 min 40 s');

    expect($('[data-part="learning"]')!.textContent).toContain('Source: 22 U.S.C. 7102');
    expect(button('Print')).toBeTruthy();
  });

  test('a faithful walk matches, and checking the wording before the debrief shows no flags for plain notes', async () => {
    const fake = await open();
    await startRun('van-workers', 'app');
    for (const t of ['no', 'read', 'seen', 'yes', 'yes', 'declined']) await record(token(t));
    await record('[data-choice="paid-debt"]');
    await fireEvent.input(screen.getByLabelText('Your notes (optional)'), { target: { value: 'Driver held all passports.' } });
    await click(button('Check my wording'));
    await vi.waitFor(() => expect($('[data-part="no-flags"]')).toBeTruthy());
    await record('[data-action="debrief"]');
    expect($('[data-part="outcome-match"]')!.getAttribute('data-matched')).toBe('true');
    expect($('[data-part="observations-missed"]')!.textContent).toContain('None');
    expect(fake.calls.filter((c) => c.cmd === 'training_answer').length).toBe(7);
  });

  test('print opens the print dialog; the page has a print stylesheet and no buttons are meant for paper', async () => {
    const fake = await open();
    await walkVan(fake);
    await record('[data-action="debrief"]');
    const print = vi.spyOn(window, 'print').mockImplementation(() => {});
    await click(button('Print'));
    expect(print).toHaveBeenCalledTimes(1);
    expect($('[data-action="print"]')!.closest('[data-no-print]')).toBeTruthy();
  });

  test('edit notes goes back to the notes with the text kept; run again starts the scenario over', async () => {
    const fake = await open();
    await walkVan(fake);
    await fireEvent.input(screen.getByLabelText('Your notes (optional)'), { target: { value: 'Seen at the stop.' } });
    await record('[data-action="debrief"]');
    await record('[data-action="edit-notes"]');
    expect((screen.getByLabelText('Your notes (optional)') as HTMLTextAreaElement).value).toBe('Seen at the stop.');
    await record('[data-action="debrief"]');
    await record('[data-action="run-again"]');
    expect(itemId()).toBe('in-danger');
    expect(fake.recorded()).toEqual({});
  });
});

describe('exit and storage', () => {
  test('exit from the mark ends the run in the backend, then calls onExit', async () => {
    const order: string[] = [];
    const onExit = vi.fn(() => order.push('onExit'));
    const fake = await open({ onExit });
    await startRun('van-workers', 'app');
    await click(button('Exit training'));
    await vi.waitFor(() => expect(onExit).toHaveBeenCalledTimes(1));
    expect(fake.calls[fake.calls.length - 1]!.cmd).toBe('training_end');
    expect(fake.running()).toBe(false);
    expect(order).toEqual(['onExit']);
  });

  test('exit from the debrief ends the run, then calls onExit', async () => {
    const onExit = vi.fn();
    const fake = await open({ onExit });
    await walkVan(fake);
    await record('[data-action="debrief"]');
    await click($('[data-action="exit-debrief"]'));
    await vi.waitFor(() => expect(onExit).toHaveBeenCalledTimes(1));
    expect(fake.calls.map((c) => c.cmd)).toContain('training_end');
    expect(fake.running()).toBe(false);
  });

  test('a whole run stores nothing in the browser', async () => {
    const set = vi.spyOn(Storage.prototype, 'setItem');
    const fake = await open();
    await walkVan(fake);
    await fireEvent.input(screen.getByLabelText('Your notes (optional)'), { target: { value: 'Notes.' } });
    await record('[data-action="debrief"]');
    expect(set).not.toHaveBeenCalled();
    expect(localStorage.length).toBe(0);
    expect(sessionStorage.length).toBe(0);
    expect(document.cookie).toBe('');
  });

  test('an error from the backend is shown in words, and a lost run goes back to the list', async () => {
    const fake = await open();
    await startRun('van-workers', 'app');
    // The backend forgot the run (for instance the app restarted its training state).
    const { trainingEnd } = await import('../lib/ipc');
    await trainingEnd();
    await click($(token('no')));
    await screen.findByRole('alert');
    expect(screen.getByRole('alert').textContent).toContain('no longer open');
    expect(screenName()).toBe('training-list');
    expectMark();
    expect(fake.running()).toBe(false);
  });
});

describe('the TRAINING mark on every screen', () => {
  test('list, start, item, hand-over, notes and debrief all carry it', async () => {
    const fake = await open();
    const seen = new Set<string>();
    const note = () => {
      expectMark();
      seen.add(screenName()!);
    };
    note();
    await choose('van-workers');
    note();
    await click($('[data-action="start-trainer-plays"]'));
    await vi.waitFor(() => expect(itemId()).toBe('in-danger'));
    note();
    await record(token('no'));
    await record(token('read'));
    note();
    await record(token('seen'));
    for (const t of ['yes', 'yes', 'yes']) await record(token(t));
    fake.advance(3);
    await record('[data-choice="paid-debt"]');
    note();
    await record('[data-action="debrief"]');
    note();
    expect([...seen].sort()).toEqual(['training-debrief', 'training-handover', 'training-item', 'training-list', 'training-notes', 'training-start']);
  });
});
