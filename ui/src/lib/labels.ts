// Officer-facing wording, kept in one place.
import type { IndicatorGroup, Population } from './types';

const LANGUAGE_NAMES: Record<string, string> = {
  en: 'English',
  es: 'Español',
};

/** A language's own name ("Español"), or its code when we have no name for it. */
export function languageName(code: string): string {
  return LANGUAGE_NAMES[code] ?? code;
}

export const POPULATION: Record<Population, string> = {
  adult: 'Adults',
  minor: 'Minors (under 18)',
};

export const TOKEN_LABELS: Record<string, string> = {
  yes: 'Yes',
  no: 'No',
  'not-sure': 'Not sure',
  declined: 'Declined to answer',
  seen: 'Seen',
  'not-seen': 'Not seen',
  read: 'Read aloud - continue',
};

/** Answer words the person reads, by language, for questions asked of them. English needs none:
 *  the officer's labels above serve. */
export const PERSON_TOKEN_LABELS: Record<string, Record<string, string>> = {
  es: {
    yes: 'Sí',
    no: 'No',
    'not-sure': 'No estoy seguro(a)',
    declined: 'Prefiero no responder',
  },
};

/** The person's word for an answer in their language, if we have one. */
export function personLabel(token: string, language: string): string | null {
  return PERSON_TOKEN_LABELS[language]?.[token] ?? null;
}

export const GROUPS: { id: IndicatorGroup; title: string }[] = [
  { id: 'force', title: 'Force' },
  { id: 'fraud', title: 'Fraud' },
  { id: 'coercion', title: 'Coercion' },
  { id: 'purpose', title: 'Purpose' },
  { id: 'minor', title: 'Minor' },
  { id: 'safety', title: 'Safety' },
];
