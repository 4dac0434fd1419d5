// Types of the IPC contract between the UI and the Tauri backend.
// Field names are exactly what the Rust side serialises (snake_case).

export type Population = 'adult' | 'minor';

export interface ProtocolSummary {
  id: string;
  version: string;
  title: string;
  summary: string;
  population: Population;
  languages: string[];
  asked_items: number;
}

export type Answer =
  | { kind: 'yes' | 'no' | 'not-sure' | 'declined' | 'seen' | 'not-seen' | 'read' }
  | { kind: 'choice'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'text'; value: string };

export type AnswerKind = Answer['kind'];

export type ItemKind = 'question' | 'observation' | 'script';
export type AnswerType = 'yes-no' | 'choice' | 'number' | 'text' | 'observation' | 'read';

export interface Section {
  id: string;
  title: string;
  safety: boolean;
}

export interface Guidance {
  why: string;
  how: string;
  avoid: string;
}

export interface Choice {
  id: string;
  text: string;
}

export interface AnswerSpec {
  type: AnswerType;
  choices: Choice[];
  min: number | null;
  max: number | null;
}

export interface ItemView {
  id: string;
  kind: ItemKind;
  label: string;
  section: Section;
  text: string;
  guidance: Guidance;
  answer: AnswerSpec;
  /** Answer tokens allowed for this item, e.g. ['yes','no','not-sure','declined']. */
  options: string[];
  current: Answer | null;
}

export type SessionStatus = 'in-progress' | 'complete' | 'stopped' | 'concluded';

export interface StopRule {
  id: string;
  reason: string;
}

export interface SessionView {
  protocol: { id: string; version: string; title: string };
  language: string;
  current: ItemView | null;
  /** 1-based place of the current item among the items shown, and how many are shown. */
  position: { index: number; total: number };
  can_go_back: boolean;
  status: SessionStatus;
  stop_rule: StopRule | null;
}

export interface Indicator {
  item: string;
  label: string;
  answer: string;
  /** 'sex' | 'labor' for purpose indicators, otherwise null. */
  detail: string | null;
}

export type IndicatorGroup = 'force' | 'fraud' | 'coercion' | 'purpose' | 'minor' | 'safety';

export interface ItemRef {
  item: string;
  label: string;
}

export interface Action {
  id: string;
  kind: string;
  text: string;
}

export interface Outcome {
  protocol: { id: string; version: string };
  level: { id: string; rank: number; title: string; meaning: string };
  indicators: Record<IndicatorGroup, Indicator[]>;
  declined: ItemRef[];
  not_sure: ItemRef[];
  stopped: boolean;
  partial: boolean;
  stop_rule: StopRule | null;
  unanswered: string[];
  actions: Action[];
  non_arrest_guidance: string | null;
}

/** Every IPC error is this shape; the UI matches on `kind` only. */
export interface IpcError {
  kind: string;
  message: string;
}
