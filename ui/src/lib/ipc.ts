// The only place that talks to the backend. One typed function per command.
import { invoke } from '@tauri-apps/api/core';
import type { Answer, IpcError, Outcome, ProtocolSummary, SessionView } from './types';

export const listProtocols = (): Promise<ProtocolSummary[]> => invoke('list_protocols');

export const startScreening = (protocolId: string, language: string): Promise<SessionView> =>
  invoke('start_screening', { protocolId, language });

export const answer = (itemId: string, answer: Answer): Promise<SessionView> =>
  invoke('answer', { itemId, answer });

export const goBack = (): Promise<SessionView> => invoke('go_back');

export const stopScreening = (): Promise<SessionView> => invoke('stop_screening');

export const outcome = (): Promise<Outcome> => invoke('outcome');

export const endScreening = (): Promise<null> => invoke('end_screening');

/** Turn anything thrown by `invoke` into an IpcError. */
export function toIpcError(e: unknown): IpcError {
  if (e && typeof e === 'object' && 'kind' in e && 'message' in e) {
    const { kind, message } = e as { kind: unknown; message: unknown };
    return { kind: String(kind), message: String(message) };
  }
  if (typeof e === 'string') return { kind: 'unknown', message: e };
  if (e instanceof Error) return { kind: 'unknown', message: e.message };
  return { kind: 'unknown', message: 'Something went wrong.' };
}
