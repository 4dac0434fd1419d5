// Training mode's wording. The answer words and the person's words are the officer app's
// (../lib/labels.ts), so both modes say the same thing.
import type { Answer } from '../bindings/Answer';
import type { Group } from '../bindings/Group';
import type { ItemView } from '../bindings/ItemView';
import { TOKEN_LABELS, personWords, personWordsLanguage, type PersonWords } from '../lib/labels';

const LANGUAGE_NAMES: Record<string, { own: string; en: string }> = {
  en: { own: 'English', en: 'English' },
  es: { own: 'Español', en: 'Spanish' },
};

/** "Spanish (Español)", or the code when we have no name for it. */
export function languageName(code: string): string {
  const n = LANGUAGE_NAMES[code];
  if (!n) return code;
  return n.own === n.en ? n.en : `${n.en} (${n.own})`;
}

/** The trainee's words for the answer tokens: the officer app's. */
export const TOKENS = TOKEN_LABELS;

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
      return { words: w[a.kind], officer: TOKENS[a.kind] };
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
    default:
      return { words: null, officer: TOKENS[a.kind] ?? a.kind };
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

const list = (s: string): string[] =>
  s
    .replace(/^\[|\]$/g, '')
    .split(',')
    .map((x) => x.trim().replace(/^"|"$/g, ''))
    .filter((x) => x !== '');

/**
 * A debrief mismatch in plain words. The backend writes them as `what: expected X, got Y`;
 * anything not in that shape is shown as it came.
 */
export function plainMismatch(m: string, levelTitle: (id: string) => string, itemLabel: (id: string) => string): string {
  let r: RegExpMatchArray | null;
  if ((r = m.match(/^level: expected `([^`]*)`, got `([^`]*)`$/))) {
    return `The scenario expects the level "${levelTitle(r[1])}"; this run reached "${levelTitle(r[2])}".`;
  }
  if ((r = m.match(/^groups: expected (\[.*\]), got (\[.*\])$/))) {
    const names = (s: string) => list(s).map(groupName).join(', ') || 'none';
    return `The scenario expects indicators of: ${names(r[1])}. This run recorded: ${names(r[2])}.`;
  }
  if ((r = m.match(/^declined: expected (\[.*\]), got (\[.*\])$/))) {
    const names = (s: string) => list(s).map(itemLabel).join(', ') || 'none';
    return `Declined answers expected: ${names(r[1])}. Recorded as declined in this run: ${names(r[2])}.`;
  }
  if ((r = m.match(/^stopped: expected (true|false), got (true|false)$/))) {
    return r[1] === 'true'
      ? 'In this scenario the person asks to stop, but the run was not recorded as stopped.'
      : 'The run was recorded as stopped, but in this scenario the person does not ask to stop.';
  }
  if ((r = m.match(/^partial: expected (true|false), got (true|false)$/))) {
    return r[1] === 'true'
      ? 'The scenario expects a partial screening (not every item covered), but every item was covered.'
      : 'The scenario expects every item to be covered, but this run left some out.';
  }
  if ((r = m.match(/^stop rule: expected `([^`]*)`, got (.*)$/))) {
    const got = r[2].match(/"([^"]*)"/);
    return got
      ? `The scenario expects the screening to end by the rule "${humanize(r[1])}"; it ended by "${humanize(got[1])}".`
      : `The scenario expects the screening to end by the rule "${humanize(r[1])}"; no stop rule ended this run.`;
  }
  if ((r = m.match(/^actions: expected `([^`]*)` among/))) {
    return `The scenario expects "${humanize(r[1])}" among the recommended actions; this run did not lead to it.`;
  }
  return m;
}
