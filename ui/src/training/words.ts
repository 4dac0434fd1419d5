// Training mode's wording. The answer words and the person's words are the officer app's
// (../lib/labels.ts), so both modes say the same thing.
import type { Answer } from '../bindings/Answer';
import type { Group } from '../bindings/Group';
import type { ItemView } from '../bindings/ItemView';
import type { Mismatch } from '../bindings/Mismatch';
import { TOKEN_LABELS, languageName, personWords, personWordsLanguage, type PersonWords } from '../lib/labels';

/** The language's English name with its own beside it (the officer app's). */
export { languageName };

/** What the person reads or hears, in their language: the officer app's words. */
export { personWords, personWordsLanguage, type PersonWords };

/** A stable token for an answer: `yes`, `choice:paid`, `number:3`, `text:...`. */
export function answerToken(a: Answer): string {
  return 'value' in a ? `${a.kind}:${a.value}` : a.kind;
}

/**
 * How the person's reply reads: `words` in the person's language (null when they say nothing
 * in words, as for a script read to them), and `officer`, the trainee's word for it.
 */
export function replyWords(a: Answer, item: ItemView, language: string): { words: string | null; officer: string } {
  const w = personWords(language);
  switch (a.kind) {
    case 'yes':
    case 'no':
    case 'not-sure':
    case 'declined':
      return { words: w[a.kind], officer: TOKEN_LABELS[a.kind] };
    case 'read':
      return { words: null, officer: 'The person listens.' };
    case 'choice': {
      const c = item.answer.choices.find((x) => x.id === a.value);
      return { words: c ? c.text : a.value, officer: `Choice: ${a.value}` };
    }
    case 'number':
      return { words: String(a.value), officer: `Number: ${a.value}` };
    case 'text':
      return { words: a.value, officer: 'Short answer' };
    case 'seen':
    case 'not-seen':
      return { words: null, officer: TOKEN_LABELS[a.kind] };
    default:
      return unreachable(a);
  }
}

export const GROUPS: Record<Group, string> = {
  safety: 'Safety or medical need',
  minor: 'Under 18',
  force: 'Force',
  fraud: 'Fraud',
  coercion: 'Coercion',
  'purpose-sex': 'Purpose: commercial sex',
  'purpose-labor': 'Purpose: labor or services',
};

export function groupName(g: string): string {
  return (GROUPS as Record<string, string>)[g] ?? humanize(g);
}

/** "strong-indicators" -> "Strong indicators". */
export function humanize(id: string): string {
  const s = id.replace(/[-_]+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** 65.2 -> "1 min 05 s"; 8.4 -> "8 s". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  const r = s % 60;
  if (m === 0) return `${r} s`;
  return `${m} min ${String(r).padStart(2, '0')} s`;
}

/** For a `switch` that names every case: a new case fails the type check. */
function unreachable(x: never): never {
  throw new Error(`unexpected ${JSON.stringify(x)}`);
}

/** A debrief mismatch in plain words, from its fields. */
export function plainMismatch(m: Mismatch, levelTitle: (id: string) => string, itemLabel: (id: string) => string): string {
  switch (m.what) {
    case 'answers':
      return `The scenario's answers could not be played: ${m.problem}`;
    case 'level':
      return `The scenario expects the level "${levelTitle(m.expected)}"; this run reached "${levelTitle(m.got)}".`;
    case 'groups': {
      const names = (gs: Group[]) => gs.map(groupName).join(', ') || 'none';
      return `The scenario expects indicators of: ${names(m.expected)}. This run recorded: ${names(m.got)}.`;
    }
    case 'declined': {
      const names = (ids: string[]) => ids.map(itemLabel).join(', ') || 'none';
      return `Declined answers expected: ${names(m.expected)}. Recorded as declined in this run: ${names(m.got)}.`;
    }
    case 'stopped':
      return m.expected
        ? 'In this scenario the person asks to stop, but the run was not recorded as stopped.'
        : 'The run was recorded as stopped, but in this scenario the person does not ask to stop.';
    case 'partial':
      return m.expected
        ? 'The scenario expects a partial screening (not every item covered), but every item was covered.'
        : 'The scenario expects every item to be covered, but this run left some out.';
    case 'stop-rule':
      return m.got === null
        ? `The scenario expects the screening to end by the rule "${humanize(m.expected)}"; no stop rule ended this run.`
        : `The scenario expects the screening to end by the rule "${humanize(m.expected)}"; it ended by "${humanize(m.got)}".`;
    case 'action':
      return `The scenario expects "${humanize(m.expected)}" among the recommended actions; this run did not lead to it.`;
    default:
      return unreachable(m);
  }
}
