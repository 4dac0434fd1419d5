// The only place that talks to the backend. One typed function per command; the types are
// generated from the Rust DTOs into ../bindings (never edit those by hand).
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { Answer } from '../bindings/Answer';
import type { AppStatus } from '../bindings/AppStatus';
import type { CommandError } from '../bindings/CommandError';
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
import type { StartArgs } from '../bindings/StartArgs';
import type { SyncView } from '../bindings/SyncView';
import type { TrainingDebrief } from '../bindings/TrainingDebrief';
import type { TrainingView } from '../bindings/TrainingView';

// ---- allowed whatever the lock state ----
export const status = (): Promise<AppStatus> => invoke('status');
export const setupOptions = (): Promise<SetupOptions> => invoke('setup_options');
export const setup = (args: SetupArgs): Promise<AppStatus> => invoke('setup', { args });
export const unlock = (secret: string): Promise<AppStatus> => invoke('unlock', { secret });
export const lock = (): Promise<AppStatus> => invoke('lock');
export const touch = (): Promise<null> => invoke('touch');

// ---- refused by the backend while locked ----
export const home = (): Promise<Home> => invoke('home');
export const newScreeningOptions = (): Promise<NewScreeningOptions> => invoke('new_screening_options');
export const startScreening = (args: StartArgs): Promise<SessionView> => invoke('start_screening', { args });
export const resumeDraft = (draftId: string): Promise<SessionView> => invoke('resume_draft', { draftId });
export const currentView = (): Promise<SessionView> => invoke('current_view');
export const answer = (itemId: string, answer: Answer): Promise<SessionView> => invoke('answer', { itemId, answer });
export const goBack = (): Promise<SessionView> => invoke('go_back');
export const stopScreening = (): Promise<SessionView> => invoke('stop_screening');
export const handoverStart = (): Promise<SessionView> => invoke('handover_start');
export const handoverEnd = (secret: string): Promise<SessionView> => invoke('handover_end', { secret });
export const outcome = (): Promise<OutcomeView> => invoke('outcome');
export const setReferral = (resourceId: string, choice: ReferralChoice): Promise<OutcomeView> =>
  invoke('set_referral', { resourceId, choice });
export const checkNotes = (text: string): Promise<Flag[]> => invoke('check_notes', { text });
export const saveNotes = (text: string): Promise<OutcomeView> => invoke('save_notes', { text });
export const resourceCard = (): Promise<ResourceCard> => invoke('resource_card');
export const finalize = (): Promise<Finalized> => invoke('finalize');
export const closeScreening = (): Promise<null> => invoke('close_screening');
export const syncStatus = (): Promise<SyncView> => invoke('sync_status');
export const syncNow = (): Promise<SyncView> => invoke('sync_now');
/** A background sync pass ended: refresh what is shown of the hub. */
export const onSync = (handler: () => void): Promise<UnlistenFn> => listen('sync', handler);
export const exportOptions = (): Promise<ExportOptions> => invoke('export_options');
export const exportBundle = (args: ExportArgs): Promise<ExportDone> => invoke('export_bundle', { args });
/** Progress of the export under way. */
export const onExportProgress = (handler: (p: ExportProgress) => void): Promise<UnlistenFn> =>
  listen<ExportProgress>('export-progress', (e) => handler(e.payload));

// ---- training: scenarios in memory, no vault, nothing saved ----
export const trainingScenarios = (): Promise<ScenarioSummary[]> => invoke('training_scenarios');
export const trainingBegin = (scenarioId: string): Promise<TrainingView> => invoke('training_begin', { scenarioId });
export const trainingView = (): Promise<TrainingView> => invoke('training_view');
export const trainingAnswer = (itemId: string, answer: Answer): Promise<TrainingView> =>
  invoke('training_answer', { itemId, answer });
export const trainingBack = (): Promise<TrainingView> => invoke('training_back');
export const trainingStop = (): Promise<TrainingView> => invoke('training_stop');
export const trainingDebrief = (notes: string): Promise<TrainingDebrief> => invoke('training_debrief', { notes });
export const trainingEnd = (): Promise<null> => invoke('training_end');

/** The backend locked (inactivity, focus loss, lock button): drop every piece of screen state. */
export const onLocked = (handler: () => void): Promise<UnlistenFn> => listen('locked', handler);

/** Turn anything thrown by `invoke` into a CommandError. */
export function toIpcError(e: unknown): CommandError {
  if (e && typeof e === 'object' && 'kind' in e && 'message' in e) {
    const { kind, message } = e as { kind: unknown; message: unknown };
    return { kind: String(kind), message: String(message) };
  }
  if (typeof e === 'string') return { kind: 'unknown', message: e };
  if (e instanceof Error) return { kind: 'unknown', message: e.message };
  return { kind: 'unknown', message: 'Something went wrong.' };
}
