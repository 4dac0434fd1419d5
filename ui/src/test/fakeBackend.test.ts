import { describe, expect, test } from 'vitest';
import { invoke } from '@tauri-apps/api/core';
import ipcSource from '../lib/ipc.ts?raw';
import { toIpcError } from '../lib/ipc';
import type { FakeHandlers } from './fakeBackend';
import { installFakeBackend } from './fakeBackend';

/** The commands ipc.ts invokes: the same list the Rust test holds to the registered commands. */
const invoked: string[] = [...ipcSource.matchAll(/invoke\('([^']+)'/g)].map((m) => m[1]).sort();

describe('the fake backend follows the real command list', () => {
  test('ipc.ts invokes each command once, and there are commands to check', () => {
    expect(invoked.length).toBeGreaterThan(30);
    expect(new Set(invoked).size).toBe(invoked.length);
  });

  test('every command the UI calls has a fake, and the fake answers no command that does not exist', () => {
    const fake = installFakeBackend();
    const handled: string[] = [...fake.handled()].sort();
    expect(handled.filter((c) => !invoked.includes(c)), 'the fake answers commands ipc.ts never calls').toEqual([]);
    expect(invoked.filter((c) => !handled.includes(c)), 'commands ipc.ts calls that the fake does not answer').toEqual([]);
  });

  test('a command nobody registered is refused as Tauri would, and the UI reads it as an internal fault', async () => {
    installFakeBackend();
    const refusal: unknown = await invoke('no_such_command').catch((e: unknown) => e);
    expect(refusal).toBe('command no_such_command not found');
    expect(toIpcError(refusal)).toEqual({ kind: 'internal', message: 'command no_such_command not found' });
  });

  test('handlers are typed by the bindings: a renamed or missing field does not compile', () => {
    // svelte-check (npm run build) fails if either line below stops being an error.
    // @ts-expect-error `officer` is not a field of AppStatus (it is `officer_id`).
    const renamed: FakeHandlers['status'] = () => ({ phase: 'locked', officer: null });
    // @ts-expect-error an answer is `{ itemId, answer }`, not `{ item, answer }`.
    const wrongArgs: FakeHandlers['answer'] = (args: { item: string }) => args;
    expect([renamed, wrongArgs].length).toBe(2);
  });
});
