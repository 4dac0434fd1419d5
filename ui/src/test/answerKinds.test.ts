// Every answer kind, in both voices (the officer's screen and the person's own), left to right and
// right to left, on the shared components: AnswerButtons directly, and ItemScreen / HandoverScreen
// around it. The table is the behaviour: one row per kind and voice.
import { describe, expect, test, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import AnswerButtons from '../lib/AnswerButtons.svelte';
import HandoverScreen from '../lib/HandoverScreen.svelte';
import ItemScreen from '../lib/ItemScreen.svelte';
import type { Answer, ItemView, SessionView } from '../lib/types';
import { languageView, makeItem } from './fakeBackend';

type Voice = 'officer' | 'person';

const CHOICES_ES = [
  { id: 'boss', text: 'Mi jefe' },
  { id: 'me', text: 'Yo' },
];
const CHOICES_AR = [
  { id: 'boss', text: 'صاحب العمل' },
  { id: 'me', text: 'أنا' },
];

function itemOf(kind: string, language: 'es' | 'ar'): ItemView {
  const choices = language === 'ar' ? CHOICES_AR : CHOICES_ES;
  const text = language === 'ar' ? 'هل يمكنك المغادرة متى شئت؟' : '¿Puede irse cuando quiera?';
  switch (kind) {
    case 'yes-no':
      return makeItem({ text });
    case 'choice':
      return makeItem({ text, answer: { type: 'choice', choices, min: null, max: null }, options: ['not-sure', 'declined'] });
    case 'number':
      return makeItem({ text, answer: { type: 'number', choices: [], min: 0, max: 120 }, options: ['not-sure', 'declined'] });
    case 'text':
      return makeItem({ text, answer: { type: 'text', choices: [], min: null, max: null }, options: ['declined'] });
    case 'read':
      return makeItem({ kind: 'script', text, answer: { type: 'read', choices: [], min: null, max: null }, options: ['read'] });
    case 'observation':
      return makeItem({
        kind: 'observation',
        label: 'Visible injuries',
        text: 'Visible injuries',
        answer: { type: 'observation', choices: [], min: null, max: null },
        options: ['seen', 'not-seen', 'not-sure'],
      });
  }
  throw new Error(`no such answer kind ${kind}`);
}

function renderButtons(item: ItemView, language: string, voice: Voice) {
  const onanswer = vi.fn<(a: Answer) => void>();
  const { container } = render(AnswerButtons, { item, language, disabled: false, onanswer, voice });
  const group = within(container).getByRole('group');
  const buttons = within(group).getAllByRole('button') as HTMLButtonElement[];
  return { onanswer, group, buttons, words: buttons.map((b) => b.textContent?.replace(/\s+/g, ' ').trim()) };
}

// [answer kind, voice, the buttons in Spanish, the answer the first button gives]
const ROWS: [string, Voice, string[], Answer | null][] = [
  ['yes-no', 'officer', ['Sí Yes', 'No', 'No estoy seguro(a) Not sure', 'Prefiero no responder Declined to answer'], { kind: 'yes' }],
  ['yes-no', 'person', ['Sí', 'No', 'No estoy seguro(a)', 'Prefiero no responder'], { kind: 'yes' }],
  ['choice', 'officer', ['Mi jefe', 'Yo', 'No estoy seguro(a) Not sure', 'Prefiero no responder Declined to answer'], { kind: 'choice', value: 'boss' }],
  ['choice', 'person', ['Mi jefe', 'Yo', 'No estoy seguro(a)', 'Prefiero no responder'], { kind: 'choice', value: 'boss' }],
  ['number', 'officer', ['Submit', 'No estoy seguro(a) Not sure', 'Prefiero no responder Declined to answer'], null],
  ['number', 'person', ['Enviar', 'No estoy seguro(a)', 'Prefiero no responder'], null],
  ['text', 'officer', ['Submit', 'Prefiero no responder Declined to answer'], null],
  ['text', 'person', ['Enviar', 'Prefiero no responder'], null],
  ['read', 'officer', ['Read aloud - continue'], { kind: 'read' }],
  ['read', 'person', ['Continuar'], { kind: 'read' }],
  // Observations are the officer's alone: no person words on them, ever.
  ['observation', 'officer', ['Seen', 'Not seen', 'Not sure'], { kind: 'seen' }],
];

describe('every answer kind in both voices', () => {
  test.each(ROWS)('%s, %s voice', async (kind, voice, expected, first) => {
    const { onanswer, buttons, words } = renderButtons(itemOf(kind, 'es'), 'es', voice);
    expect(words).toEqual(expected);
    if (first) {
      await fireEvent.click(buttons[0]);
      expect(onanswer).toHaveBeenCalledWith(first);
    } else {
      // An entry: the submit button waits for a valid value.
      expect(buttons[0].disabled).toBe(true);
      const input = within(buttons[0].closest('form')!).getByRole(kind === 'number' ? 'spinbutton' : 'textbox');
      await fireEvent.input(input, { target: { value: kind === 'number' ? '17' : ' Houston ' } });
      expect(buttons[0].disabled).toBe(false);
      await fireEvent.click(buttons[0]);
      expect(onanswer).toHaveBeenCalledWith(kind === 'number' ? { kind: 'number', value: 17 } : { kind: 'text', value: 'Houston' });
    }
  });

  test('the person voice labels an entry in their words', () => {
    renderButtons(itemOf('number', 'es'), 'es', 'person');
    expect(screen.getByLabelText(/Su respuesta/)).toBeTruthy();
  });

  test('a recorded answer shows as pressed in both voices', () => {
    for (const voice of ['officer', 'person'] as Voice[]) {
      const item = { ...itemOf('yes-no', 'es'), current: { kind: 'declined' } as Answer };
      const { buttons } = renderButtons(item, 'es', voice);
      expect(buttons.map((b) => b.getAttribute('aria-pressed'))).toEqual(['false', 'false', 'false', 'true']);
      document.body.innerHTML = '';
    }
  });

  test('disabled while busy: no button answers', async () => {
    const onanswer = vi.fn();
    render(AnswerButtons, { item: itemOf('choice', 'es'), language: 'es', disabled: true, onanswer, voice: 'person' });
    for (const b of screen.getAllByRole('button') as HTMLButtonElement[]) {
      expect(b.disabled).toBe(true);
      await fireEvent.click(b);
    }
    expect(onanswer).not.toHaveBeenCalled();
  });
});

describe('right to left', () => {
  // The person's words ship in Arabic too: in the person's voice the answer words are Arabic,
  // right to left, like the item's own; the officer's voice keeps the officer's English words.
  test.each(['officer', 'person'] as Voice[])('choice buttons in Arabic run right to left (%s voice)', (voice) => {
    const { buttons } = renderButtons(itemOf('choice', 'ar'), 'ar', voice);
    const choice = buttons.find((b) => b.dataset.choice === 'boss')!;
    expect(choice.textContent?.trim()).toBe('صاحب العمل');
    expect(choice.getAttribute('lang')).toBe('ar');
    expect(choice.getAttribute('dir')).toBe('rtl');
    for (const token of buttons.filter((b) => b.dataset.token)) {
      const words = token.querySelector('[lang]');
      if (voice === 'person') {
        expect(words?.getAttribute('lang')).toBe('ar');
        expect(words?.getAttribute('dir')).toBe('rtl');
      } else {
        expect(token.getAttribute('lang')).toBeNull();
      }
    }
    if (voice === 'person') {
      const declined = buttons.find((b) => b.dataset.token === 'declined')!;
      expect(declined.textContent).toContain('أفضّل ألّا أجيب');
    }
  });

  test('a short text answer in Arabic follows the writing of what is typed', () => {
    renderButtons(itemOf('text', 'ar'), 'ar', 'person');
    const input = screen.getByRole('textbox');
    expect(input.getAttribute('lang')).toBe('ar');
    expect(input.getAttribute('dir')).toBe('auto');
  });

  function session(item: ItemView, language: string): SessionView {
    return {
      protocol: { id: 'p', version: '1', title: 'P' },
      language,
      language_info: languageView(language),
      current: item,
      position: { index: 2, total: 9 },
      can_go_back: true,
      status: 'in-progress',
      stop_rule: null,
      draft_id: 'd-1',
      saved_events: 3,
      handover: false,
    } as SessionView;
  }

  test("the officer's item screen: the question right to left, the officer's frame left to right", () => {
    const item = itemOf('yes-no', 'ar');
    const noop = () => {};
    render(ItemScreen, { session: session(item, 'ar'), item, busy: false, onanswer: noop, onstop: noop, onback: noop, onhandover: noop });
    const heading = screen.getByRole('heading', { level: 1 });
    expect(heading.getAttribute('lang')).toBe('ar');
    expect(heading.getAttribute('dir')).toBe('rtl');
    const stop = screen.getByRole('button', { name: 'The person wants to stop' });
    expect(stop.closest('[dir="rtl"]')).toBeNull();
  });

  test("the person's screen in Arabic: question right to left, stop always reachable", async () => {
    const item = itemOf('choice', 'ar');
    const onanswer = vi.fn();
    const onstop = vi.fn();
    render(HandoverScreen, { session: session(item, 'ar'), busy: false, onanswer, onstop, onofficer: async () => null });
    const heading = screen.getByRole('heading', { level: 1 });
    expect(heading.getAttribute('dir')).toBe('rtl');
    expect(heading.textContent).toContain('هل يمكنك');
    const group = screen.getByRole('group', { name: heading.textContent!.trim() });
    await fireEvent.click(within(group).getByRole('button', { name: 'أنا' }));
    expect(onanswer).toHaveBeenCalledWith('q-x', { kind: 'choice', value: 'me' });
    await fireEvent.click(screen.getByRole('button', { name: 'أريد أن أتوقف' }));
    expect(onstop).toHaveBeenCalledTimes(1);
  });

  test("the person's screen never shows an observation", () => {
    const item = itemOf('observation', 'ar');
    render(HandoverScreen, { session: session(item, 'ar'), busy: false, onanswer: vi.fn(), onstop: vi.fn(), onofficer: async () => null });
    expect(screen.queryByRole('group')).toBeNull();
    expect(screen.queryByText('Visible injuries')).toBeNull();
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('شكرًا لك.');
  });
});
