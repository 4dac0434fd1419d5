import { describe, expect, test } from 'vitest';
import { answerToken, duration, humanize, languageName, plainMismatch, replyWords } from './words';
import type { ItemView } from '../bindings/ItemView';
import type { Mismatch } from '../bindings/Mismatch';

const item = (choices: { id: string; text: string }[] = []): ItemView => ({
  id: 'x',
  kind: 'question',
  label: 'X',
  section: { id: 's', title: 'S', safety: false },
  text: 'Q?',
  guidance: { why: '', how: '', avoid: '' },
  answer: { type: choices.length ? 'choice' : 'yes-no', choices, min: null, max: null },
  options: [],
  current: null,
  recorded_audio: false,
});

describe('training words', () => {
  test('durations, names and tokens', () => {
    expect(duration(8.4)).toBe('8 s');
    expect(duration(65.2)).toBe('1 min 05 s');
    expect(duration(0)).toBe('0 s');
    expect(humanize('strong-indicators')).toBe('Strong indicators');
    expect(languageName('es')).toBe('Spanish (Español)');
    expect(languageName('ar')).toBe('Arabic (العربية)');
    expect(languageName('en')).toBe('English');
    expect(languageName('zz')).toBe('zz');
    expect(answerToken({ kind: 'choice', value: 'a' })).toBe('choice:a');
    expect(answerToken({ kind: 'declined' })).toBe('declined');
  });

  test('the person’s reply in their language', () => {
    expect(replyWords({ kind: 'yes' }, item(), 'es')).toEqual({ words: 'Sí', officer: 'Yes' });
    expect(replyWords({ kind: 'declined' }, item(), 'en').words).toBe("I'd rather not answer");
    expect(replyWords({ kind: 'read' }, item(), 'es').words).toBeNull();
    expect(replyWords({ kind: 'choice', value: 'b' }, item([{ id: 'b', text: 'Bé' }]), 'es').words).toBe('Bé');
    expect(replyWords({ kind: 'yes' }, item(), 'zz').words).toBe('Yes');
  });

  test('every mismatch the backend sends reads as plain words, from its fields', () => {
    const level = (id: string) => humanize(id);
    const label = (id: string) => (id === 'papers-kept' ? 'Papers kept by someone else' : id);
    const cases: [Mismatch, string][] = [
      [{ what: 'level', expected: 'strong-indicators', got: 'indicators-present' }, 'The scenario expects the level "Strong indicators"; this run reached "Indicators present".'],
      [{ what: 'groups', expected: ['fraud', 'coercion'], got: ['fraud'] }, 'The scenario expects indicators of: Fraud, Coercion. This run recorded: Fraud.'],
      [{ what: 'groups', expected: ['coercion'], got: [] }, 'The scenario expects indicators of: Coercion. This run recorded: none.'],
      [{ what: 'declined', expected: ['papers-kept'], got: [] }, 'Declined answers expected: Papers kept by someone else. Recorded as declined in this run: none.'],
      [{ what: 'stopped', expected: true, got: false }, 'In this scenario the person asks to stop, but the run was not recorded as stopped.'],
      [{ what: 'stopped', expected: false, got: true }, 'The run was recorded as stopped, but in this scenario the person does not ask to stop.'],
      [{ what: 'partial', expected: false, got: true }, 'The scenario expects every item to be covered, but this run left some out.'],
      [{ what: 'partial', expected: true, got: false }, 'The scenario expects a partial screening (not every item covered), but every item was covered.'],
      [{ what: 'stop-rule', expected: 'no-questions-wanted', got: null }, 'The scenario expects the screening to end by the rule "No questions wanted"; no stop rule ended this run.'],
      [{ what: 'stop-rule', expected: 'a-b', got: 'c-d' }, 'The scenario expects the screening to end by the rule "A b"; it ended by "C d".'],
      [{ what: 'action', expected: 'labor-referral', got: ['hotline-card'] }, 'The scenario expects "Labor referral" among the recommended actions; this run did not lead to it.'],
      [{ what: 'answers', problem: 'no item `x`' }, "The scenario's answers could not be played: no item `x`"],
    ];
    for (const [m, plain] of cases) expect(plainMismatch(m, level, label)).toBe(plain);
  });
});
