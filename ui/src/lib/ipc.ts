// The only place that talks to the backend. `Commands` names every command with its arguments and
// its answer; the types are generated from the Rust DTOs into ../bindings (never edit those by
// hand). A Rust test checks the command names invoked below against the registered commands, and
// the UI tests' fake backend (../test/fakeBackend.ts) must answer exactly these commands with
// these types.
import { invoke as tauriInvoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { Answer } from '../bindings/Answer';
import type { AppStatus } from '../bindings/AppStatus';
import type { CommandError } from '../bindings/CommandError';
import type { EnrollArgs } from '../bindings/EnrollArgs';
import type { ExportArgs } from '../bindings/ExportArgs';
import type { ExportDone } from '../bindings/ExportDone';
import type { ExportOptions } from '../bindings/ExportOptions';
import type { ExportProgress } from '../bindings/ExportProgress';
import type { Finalized } from '../bindings/Finalized';
import type { Flag } from '../bindings/Flag';
import type { Home } from '../bindings/Home';
import type { NewScreeningOptions } from '../bindings/NewScreeningOptions';
import type { OutcomeView } from '../bindings/OutcomeView';
import type { ReferralChoice } from '../bindings/ReferralChoice';
import type { ResourceCard } from '../bindings/ResourceCard';
import type { ScenarioSummary } from '../bindings/ScenarioSummary';
import type { SessionView } from '../bindings/SessionView';
import type { SetupArgs } from '../bindings/SetupArgs';
import type { SetupOptions } from '../bindings/SetupOptions';
import type { SpeakPart } from '../bindings/SpeakPart';
import type { StartArgs } from '../bindings/StartArgs';
import type { SyncView } from '../bindings/SyncView';
import type { TrainingDebrief } from '../bindings/TrainingDebrief';
import type { TrainingView } from '../bindings/TrainingView';
import { isErrorKind } from './errors';

type None = Record<string, never>;

/** Every backend command: `[arguments, answer]`. */
export interface Commands {
  // allowed whatever the lock state
  status: [None, AppStatus];
  setup_options: [None, SetupOptions];
  setup: [{ args: SetupArgs }, AppStatus];
  unlock: [{ secret: string }, AppStatus];
  lock: [None, AppStatus];
  touch: [None, null];
  // refused by the backend while locked
  home: [None, Home];
  new_screening_options: [None, NewScreeningOptions];
  start_screening: [{ args: StartArgs }, SessionView];
  resume_draft: [{ draftId: string }, SessionView];
  current_view: [None, SessionView];
  answer: [{ itemId: string; answer: Answer }, SessionView];
  go_back: [None, SessionView];
  stop_screening: [None, SessionView];
  handover_start: [None, SessionView];
  handover_end: [{ secret: string }, SessionView];
  speak: [{ part: SpeakPart }, ArrayBuffer];
  outcome: [None, OutcomeView];
  set_referral: [{ resourceId: string; choice: ReferralChoice }, OutcomeView];
  check_notes: [{ text: string }, Flag[]];
  save_notes: [{ text: string }, OutcomeView];
  resource_card: [None, ResourceCard];
  finalize: [None, Finalized];
  close_screening: [None, null];
  sync_status: [None, SyncView];
  sync_now: [None, SyncView];
  enroll_device: [{ args: EnrollArgs }, SyncView];
  export_options: [None, ExportOptions];
  export_bundle: [{ args: ExportArgs }, ExportDone];
  // training: scenarios in memory, no vault, nothing saved
  training_scenarios: [None, ScenarioSummary[]];
  training_begin: [{ scenarioId: string; language: string | null }, TrainingView];
  training_view: [None, TrainingView];
  training_answer: [{ itemId: string; answer: Answer }, TrainingView];
  training_back: [None, TrainingView];
  training_stop: [None, TrainingView];
  training_debrief: [{ notes: string }, TrainingDebrief];
  training_end: [None, null];
  training_speak: [{ part: SpeakPart }, ArrayBuffer];
}

export type Command = keyof Commands;
export type CommandArgs<C extends Command> = Commands[C][0];
export type CommandResult<C extends Command> = Commands[C][1];

/** `invoke` with the command's own argument and answer types. */
function invoke<C extends Command>(
  cmd: C,
  ...args: CommandArgs<C> extends None ? [] : [CommandArgs<C>]
): Promise<CommandResult<C>> {
  return tauriInvoke<CommandResult<C>>(cmd, args[0]);
}

// ---- allowed whatever the lock state ----
export const status = () => invoke('status');
export const setupOptions = () => invoke('setup_options');
export const setup = (args: SetupArgs) => invoke('setup', { args });
export const unlock = (secret: string) => invoke('unlock', { secret });
export const lock = () => invoke('lock');
export const touch = () => invoke('touch');

// ---- refused by the backend while locked ----
export const home = () => invoke('home');
export const newScreeningOptions = () => invoke('new_screening_options');
export const startScreening = (args: StartArgs) => invoke('start_screening', { args });
export const resumeDraft = (draftId: string) => invoke('resume_draft', { draftId });
export const currentView = () => invoke('current_view');
export const answer = (itemId: string, answer: Answer) => invoke('answer', { itemId, answer });
export const goBack = () => invoke('go_back');
export const stopScreening = () => invoke('stop_screening');
export const handoverStart = () => invoke('handover_start');
export const handoverEnd = (secret: string) => invoke('handover_end', { secret });
/** The current item's words read aloud: a WAV, in memory only. */
export const speak = (part: SpeakPart) => invoke('speak', { part });
export const outcome = () => invoke('outcome');
export const setReferral = (resourceId: string, choice: ReferralChoice) => invoke('set_referral', { resourceId, choice });
export const checkNotes = (text: string) => invoke('check_notes', { text });
export const saveNotes = (text: string) => invoke('save_notes', { text });
export const resourceCard = () => invoke('resource_card');
export const finalize = () => invoke('finalize');
export const closeScreening = () => invoke('close_screening');
export const syncStatus = () => invoke('sync_status');
export const syncNow = () => invoke('sync_now');
export const enrollDevice = (args: EnrollArgs) => invoke('enroll_device', { args });
/** A background sync pass ended: refresh what is shown of the hub. */
export const onSync = (handler: () => void): Promise<UnlistenFn> => listen('sync', handler);
export const exportOptions = () => invoke('export_options');
export const exportBundle = (args: ExportArgs) => invoke('export_bundle', { args });
/** Progress of the export under way. */
export const onExportProgress = (handler: (p: ExportProgress) => void): Promise<UnlistenFn> =>
  listen<ExportProgress>('export-progress', (e) => handler(e.payload));

// ---- training: scenarios in memory, no vault, nothing saved ----
export const trainingScenarios = () => invoke('training_scenarios');
/** A run in the scenario's language, or in `language` (another of its protocol's). */
export const trainingBegin = (scenarioId: string, language: string | null = null) =>
  invoke('training_begin', { scenarioId, language });
export const trainingView = () => invoke('training_view');
export const trainingAnswer = (itemId: string, answer: Answer) => invoke('training_answer', { itemId, answer });
export const trainingBack = () => invoke('training_back');
export const trainingStop = () => invoke('training_stop');
export const trainingDebrief = (notes: string) => invoke('training_debrief', { notes });
export const trainingEnd = () => invoke('training_end');
export const trainingSpeak = (part: SpeakPart) => invoke('training_speak', { part });

/** The backend locked (inactivity, focus loss, lock button): drop every piece of screen state. */
export const onLocked = (handler: () => void): Promise<UnlistenFn> => listen('locked', handler);

/**
 * Turn anything thrown by `invoke` into a CommandError. A kind outside the generated set, or
 * anything that is not a command error at all, becomes `internal` with its text kept.
 */
export function toIpcError(e: unknown): CommandError {
  if (e && typeof e === 'object' && 'kind' in e && 'message' in e) {
    const { kind, message } = e as { kind: unknown; message: unknown };
    if (isErrorKind(kind)) return { kind, message: String(message) };
    return { kind: 'internal', message: `${String(message)} (${String(kind)})` };
  }
  if (typeof e === 'string') return { kind: 'internal', message: e };
  if (e instanceof Error) return { kind: 'internal', message: e.message };
  return { kind: 'internal', message: 'Something went wrong.' };
}
