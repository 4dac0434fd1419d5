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

export const GROUPS: { id: IndicatorGroup; title: string }[] = [
  { id: 'force', title: 'Force' },
  { id: 'fraud', title: 'Fraud' },
  { id: 'coercion', title: 'Coercion' },
  { id: 'purpose', title: 'Purpose' },
  { id: 'minor', title: 'Minor' },
  { id: 'safety', title: 'Safety' },
];
