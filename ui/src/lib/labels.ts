// Wording, kept in one place: the officer's words, and the person's words by language.
import personWordsData from './personWords.json';
import type { ActionKind, AnswerToken, ErrorKind, IndicatorGroup, Population, ReferralChoice } from './types';

/** A language for the officer: its English name, with its own name beside it when that differs
 * ("Arabic (العربية)"). From the platform's language data (ICU), so it needs no table of ours. */
export function languageName(code: string): string {
  const name = (locale: string) => {
    try {
      return new Intl.DisplayNames([locale], { type: 'language' }).of(code) ?? code;
    } catch {
      return code;
    }
  };
  const english = name('en');
  const raw = name(code);
  if (raw === english || raw === code) return english;
  return `${english} (${raw.charAt(0).toLocaleUpperCase(code) + raw.slice(1)})`;
}

export const POPULATION: Record<Population, string> = {
  adult: 'Adults',
  minor: 'Minors (under 18)',
};

/** The officer's word for every answer token. */
export const TOKEN_LABELS: Record<AnswerToken, string> = {
  yes: 'Yes',
  no: 'No',
  'not-sure': 'Not sure',
  declined: 'Declined to answer',
  seen: 'Seen',
  'not-seen': 'Not seen',
  read: 'Read aloud - continue',
};

/** Words the person reads (or hears) in the hand-over view, and on the resource card. */
export interface PersonWords {
  yes: string;
  no: string;
  'not-sure': string;
  declined: string;
  read: string;
  stop: string;
  yourAnswer: string;
  send: string;
  thanks: string;
  handBack: string;
  officer: string;
  cardTitle: string;
  cardIntro: string;
  phone: string;
  text: string;
  web: string;
  hours: string;
  qrLabel: string;
  listen: string;
  listenAgain: string;
  stopSound: string;
  speakThis: string;
  chooseLanguage: string;
  headphones: string;
}

/** The person's words by language (`personWords.json`, written by `scripts/translations.py
 * import`; a Rust test holds its languages to the registry and its numbers to English). */
export const PERSON_WORDS: Record<string, PersonWords> = personWordsData;

/** The person's words in `language`, English when we have none for it. */
export function personWords(language: string): PersonWords {
  return PERSON_WORDS[language] ?? PERSON_WORDS.en;
}

/** The language `personWords(language)` is really in. */
export function personWordsLanguage(language: string): string {
  return language in PERSON_WORDS ? language : 'en';
}

/** The tokens the person answers with in their own words (the rest are the officer's). */
export type PersonToken = 'yes' | 'no' | 'not-sure' | 'declined';

/** `token` when the person says it in their own words; null for the officer's own tokens. */
export function personToken(token: AnswerToken): PersonToken | null {
  switch (token) {
    case 'yes':
    case 'no':
    case 'not-sure':
    case 'declined':
      return token;
    case 'seen':
    case 'not-seen':
    case 'read':
      return null;
  }
}

/** The person's word for an answer token in their language, if we have one. */
export function personLabel(token: AnswerToken, language: string): string | null {
  const w = PERSON_WORDS[language];
  const t = personToken(token);
  return w && t ? w[t] : null;
}

export const GROUPS: { id: IndicatorGroup; title: string }[] = [
  { id: 'safety', title: 'Safety' },
  { id: 'minor', title: 'Under 18' },
  { id: 'force', title: 'Force' },
  { id: 'fraud', title: 'Fraud' },
  { id: 'coercion', title: 'Coercion' },
  { id: 'purpose', title: 'Purpose' },
];

export const ACTION_KINDS: Record<ActionKind, string> = {
  emergency: 'Emergency',
  medical: 'Medical',
  service: 'Services',
  hotline: 'Hotline',
  unit: 'Trafficking unit',
  'child-protection': 'Child protection',
  legal: 'Legal help',
  labor: 'Labor rights',
  guidance: 'Guidance',
};

export const REFERRAL_CHOICES: { id: ReferralChoice; label: string }[] = [
  { id: 'not-offered', label: 'Not offered yet' },
  { id: 'offered', label: 'Offered, no answer yet' },
  { id: 'accepted', label: 'The person accepted' },
  { id: 'declined', label: 'The person declined' },
];

/** Error kinds the unlock screens explain in their own words; the backend message follows. */
export const UNLOCK_ERRORS: Partial<Record<ErrorKind, string>> = {
  'wrong-secret': 'That secret did not match. Check it and try again.',
  delayed: 'Too many tries in a row. Wait a moment, then try again.',
  'locked-out': 'Unlocking is paused after several failed tries.',
  wiped: 'This device was wiped after too many failed tries. Nothing on it can be read. Set it up again.',
  policy: 'That secret does not meet the policy.',
};

/** Export errors, by kind, in the officer's words; the backend's message follows where it helps. */
export const EXPORT_ERRORS: Partial<Record<ErrorKind, string>> = {
  'no-recipients':
    'Your agency policy lists no unit custodians, so there is no one to export to yet. You can export once the unit adds its custodians to the policy.',
  invalid: 'Check your choices:',
  'unknown-recipient': 'A chosen recipient is no longer in the unit policy. Go back to Home and open Export again.',
  'invalid-path': 'Choose a full path to a new file, in a folder that exists.',
  'wrong-secret': 'That secret did not match. Nothing was exported. Check it and try again.',
  delayed: 'Too many tries in a row. Wait a moment, then try again.',
  'locked-out': 'Exporting and unlocking are paused after several failed tries.',
  'not-found': 'A chosen record is no longer on this device. Go back to Home and open Export again.',
  locked: 'The app locked. Unlock it with your secret to continue.',
};

/** Where on the export form an error belongs (the rest show above the form). */
export type ExportField = 'secret' | 'path' | 'recipients' | 'form';

/** Export errors that belong to one field, and whether the backend's message follows ours. */
const EXPORT_PLACE: Partial<Record<ErrorKind, { field: ExportField; detail: boolean }>> = {
  invalid: { field: 'form', detail: true },
  'unknown-recipient': { field: 'recipients', detail: true },
  'invalid-path': { field: 'path', detail: true },
  'wrong-secret': { field: 'secret', detail: false },
  delayed: { field: 'secret', detail: false },
};

/** An export error for the screen: where it goes, our words first, then the backend's detail where useful. */
export function exportError(kind: ErrorKind, message: string): { field: ExportField; text: string } {
  const ours = EXPORT_ERRORS[kind];
  const place = EXPORT_PLACE[kind] ?? { field: 'form', detail: false };
  if (!ours) return { field: place.field, text: message };
  return { field: place.field, text: place.detail ? `${ours} ${message}` : ours };
}

/** A date and time in the device's own format, with how long ago it was ("5 minutes ago"). */
export function whenAgo(iso: string, now: Date = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const s = Math.round((now.getTime() - d.getTime()) / 1000);
  const unit = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'} ago`;
  const ago =
    s < 0 ? '' : s < 60 ? 'just now' : s < 3600 ? unit(Math.floor(s / 60), 'minute') : s < 86400 ? unit(Math.floor(s / 3600), 'hour') : unit(Math.floor(s / 86400), 'day');
  return ago ? `${d.toLocaleString()} (${ago})` : d.toLocaleString();
}

/** Languages written right to left (by their primary subtag). */
const RTL = new Set(['ar', 'arc', 'ckb', 'dv', 'fa', 'he', 'ks', 'ps', 'sd', 'ug', 'ur', 'yi']);

/** The writing direction of `language` (a BCP 47 code), for `dir` beside every `lang`. */
export function textDirection(language: string): 'rtl' | 'ltr' {
  return RTL.has(language.toLowerCase().split('-')[0]) ? 'rtl' : 'ltr';
}

/** Runs that must read left to right inside right-to-left text: numbers with their hyphens
 * (1-800-799-7233) and web addresses. Without isolation the bidirectional algorithm reorders the
 * groups of a phone number in Arabic. */
const LTR_RUN = /\d[\d-]*\d|\d|(?:https?:\/\/)?[A-Za-z0-9.-]+\.(?:org|com|gov|net)(?:\/\S*)?/g;

/** `text` cut into pieces, `ltr` for those to isolate left to right (only in `dir` rtl). */
export function bidiRuns(text: string, dir: 'ltr' | 'rtl'): { text: string; ltr: boolean }[] {
  if (dir === 'ltr') return [{ text, ltr: false }];
  const out: { text: string; ltr: boolean }[] = [];
  let at = 0;
  for (const m of text.matchAll(LTR_RUN)) {
    if (m.index > at) out.push({ text: text.slice(at, m.index), ltr: false });
    out.push({ text: m[0], ltr: true });
    at = m.index + m[0].length;
  }
  if (at < text.length) out.push({ text: text.slice(at), ltr: false });
  return out;
}
