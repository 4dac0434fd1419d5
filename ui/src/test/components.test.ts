import { describe, expect, test, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import ItemScreen from '../lib/ItemScreen.svelte';
import OutcomeScreen from '../lib/OutcomeScreen.svelte';
import type { ItemView, Outcome, SessionView } from '../lib/types';
import { languageView, makeItem } from './fakeBackend';

function renderItem(item: ItemView, extra: Partial<SessionView> = {}) {
  const session: SessionView = {
    protocol: { id: 'p', version: '1', title: 'P' },
    language: 'es',
    language_info: languageView('es'),
    current: item,
    position: { index: 1, total: 5 },
    can_go_back: false,
    status: 'in-progress',
    stop_rule: null,
    draft_id: 'd-1',
    saved_events: 0,
    handover: false,
    ...extra,
  } as SessionView;
  const onanswer = vi.fn();
  const onstop = vi.fn();
  const onback = vi.fn();
  const onhandover = vi.fn();
  render(ItemScreen, { session, item, busy: false, onanswer, onstop, onback, onhandover });
  return { onanswer, onstop, onback, onhandover };
}

const answerButtons = () =>
  within(screen.getByRole('group', { name: 'Answer' }))
    .getAllByRole('button')
    .map((b) => b.textContent?.replace(/\s+/g, ' ').trim());

describe('answer kinds', () => {
  test('choice: one button per choice plus Not sure and Declined; current choice is pressed', async () => {
    const item = makeItem({
      answer: {
        type: 'choice',
        choices: [
          { id: 'boss', text: 'Mi jefe' },
          { id: 'me', text: 'Yo' },
        ],
        min: null,
        max: null,
      },
      options: ['not-sure', 'declined'],
      current: { kind: 'choice', value: 'me' },
    });
    const { onanswer } = renderItem(item);
    expect(answerButtons()).toEqual(['Mi jefe', 'Yo', 'No estoy seguro(a) Not sure', 'Prefiero no responder Declined to answer']);
    expect(screen.getByRole('button', { name: 'Yo' }).getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByRole('button', { name: 'Mi jefe' }).getAttribute('aria-pressed')).toBe('false');
    await fireEvent.click(screen.getByRole('button', { name: 'Mi jefe' }));
    expect(onanswer).toHaveBeenCalledWith('q-x', { kind: 'choice', value: 'boss' });
  });

  test('number: numeric input + Submit + Not sure + Declined, range respected', async () => {
    const item = makeItem({
      answer: { type: 'number', choices: [], min: 0, max: 120 },
      options: ['not-sure', 'declined'],
    });
    const { onanswer } = renderItem(item);
    expect(answerButtons()).toEqual(['Submit', 'No estoy seguro(a) Not sure', 'Prefiero no responder Declined to answer']);
    const input = screen.getByLabelText(/Number/) as HTMLInputElement;
    expect(input.type).toBe('number');
    const submit = screen.getByRole('button', { name: 'Submit' }) as HTMLButtonElement;
    expect(submit.disabled).toBe(true);
    await fireEvent.input(input, { target: { value: '500' } });
    expect(submit.disabled).toBe(true);
    await fireEvent.input(input, { target: { value: '16' } });
    expect(submit.disabled).toBe(false);
    await fireEvent.click(submit);
    expect(onanswer).toHaveBeenCalledWith('q-x', { kind: 'number', value: 16 });
  });

  test('text: short input (maxlength 200) + Submit + Declined', async () => {
    const item = makeItem({
      answer: { type: 'text', choices: [], min: null, max: null },
      options: ['declined'],
    });
    const { onanswer } = renderItem(item);
    expect(answerButtons()).toEqual(['Submit', 'Prefiero no responder Declined to answer']);
    const input = screen.getByLabelText('Short answer') as HTMLInputElement;
    expect(input.maxLength).toBe(200);
    await fireEvent.input(input, { target: { value: '  Houston  ' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Submit' }));
    expect(onanswer).toHaveBeenCalledWith('q-x', { kind: 'text', value: 'Houston' });
  });

  test('observation: Seen / Not seen / Not sure, marked do-not-ask', () => {
    renderItem(
      makeItem({
        kind: 'observation',
        label: 'Visible injuries',
        text: 'Visible injuries',
        answer: { type: 'observation', choices: [], min: null, max: null },
        options: ['seen', 'not-seen', 'not-sure'],
      }),
    );
    expect(screen.getByText('Observation - do not ask')).toBeTruthy();
    expect(answerButtons()).toEqual(['Seen', 'Not seen', 'Not sure']);
  });

  test('yes-no without options from the backend still offers Not sure and Declined', () => {
    renderItem(makeItem({ options: [] }));
    expect(answerButtons()).toEqual(['Sí Yes', 'No', 'No estoy seguro(a) Not sure', 'Prefiero no responder Declined to answer']);
  });

  test('stop is one tap; Back is disabled without history', async () => {
    const { onstop, onback } = renderItem(makeItem());
    expect((screen.getByRole('button', { name: 'Back' }) as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(screen.getByRole('button', { name: 'The person wants to stop' }));
    expect(onstop).toHaveBeenCalledTimes(1);
    expect(onback).not.toHaveBeenCalled();
    expect(screen.getByText(/Step 1/).textContent).toContain('Work and living');
    expect(screen.queryByText(/of 5/)).toBeNull();
  });
});

describe('outcome details', () => {
  const base: Outcome = {
    protocol: { id: 'p', version: '1', content_hash: 'h' },
    status: 'concluded',
    groups: ['purpose-sex', 'minor'],
    minor_rule: true,
    level: { id: 'stop', rank: 3, title: 'Immediate safety concern', meaning: 'Act now.' },
    indicators: {
      force: [],
      fraud: [],
      coercion: [],
      purpose: [{ item: 'q-sex', label: 'Made to have sex for money', answer: 'yes', detail: 'sex' }],
      minor: [{ item: 'q-age', label: 'Under 18', answer: 'number', detail: null }],
      safety: [],
    },
    declined: [],
    not_sure: [{ item: 'q-a', label: 'Holds own documents' }],
    stopped: false,
    partial: true,
    stop_rule: { id: 'danger', reason: 'The person said they are in danger now.' },
    unanswered: ['q-b'],
    actions: [],
    non_arrest_guidance: null,
  };

  test('stop rule reason, partial note, not-sure list; no non-arrest box when null', () => {
    const noop = () => {};
    render(OutcomeScreen, {
      view: { outcome: base, referrals: [], notes: '', note_flags: [], read_aloud: false },
      canGoBack: false,
      busy: false,
      onreferral: noop,
      oncard: noop,
      onnotes: noop,
      onfinalize: noop,
      onback: noop,
      onleave: noop,
    });
    expect(screen.getByText('The person said they are in danger now.')).toBeTruthy();
    expect(screen.getByText(/^Partial:/)).toBeTruthy();
    expect(screen.getByRole('region', { name: 'Purpose' }).textContent).toContain(
      'Made to have sex for money (sex)',
    );
    expect(screen.getByRole('region', { name: 'Under 18' }).textContent).toContain('Under 18');
    expect(within(screen.getByRole('region', { name: 'Not sure' })).getByText('Holds own documents')).toBeTruthy();
    expect(screen.queryByRole('region', { name: 'Chose not to answer' })).toBeNull();
    expect(screen.queryByRole('complementary', { name: 'Non-arrest guidance' })).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Screening result' }));
  });
});
