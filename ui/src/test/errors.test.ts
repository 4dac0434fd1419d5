import { describe, expect, test } from 'vitest';
import errorKindSource from '../bindings/ErrorKind.ts?raw';
import { ERROR_CLASS, errorClass, isErrorKind } from '../lib/errors';
import { toIpcError } from '../lib/ipc';
import { EXPORT_ERRORS, UNLOCK_ERRORS } from '../lib/labels';

/** The kinds the generated union names, read from the file ts-rs writes. */
const generated: string[] = [...(errorKindSource.split('export type ErrorKind =')[1] ?? '').matchAll(/"([a-z-]+)"/g)].map((m) => m[1]).sort();

describe('the error table follows the generated ErrorKind', () => {
  test('every generated kind has a class, and the table has no kind the backend lacks', () => {
    expect(generated.length).toBeGreaterThan(30);
    expect(Object.keys(ERROR_CLASS).sort()).toEqual(generated);
  });

  test('the screen-specific wordings name only generated kinds', () => {
    for (const table of [UNLOCK_ERRORS, EXPORT_ERRORS]) for (const k of Object.keys(table)) expect(generated).toContain(k);
  });

  test('the lock and the hand-over cage keep their classes', () => {
    expect(errorClass({ kind: 'locked', message: '' })).toBe('locked');
    expect(errorClass({ kind: 'locked-out', message: '' })).toBe('lockout');
    expect(errorClass({ kind: 'wiped', message: '' })).toBe('wiped');
    expect(errorClass({ kind: 'handover', message: '' })).toBe('handover');
    expect(errorClass({ kind: 'no-session', message: '' })).toBe('gone');
  });

  test('a kind outside the generated set is not trusted: it becomes an internal fault, its text kept', () => {
    expect(isErrorKind('locked')).toBe(true);
    expect(isErrorKind('toString')).toBe(false);
    expect(isErrorKind('no-such-kind')).toBe(false);
    expect(toIpcError({ kind: 'no-such-kind', message: 'odd' })).toEqual({ kind: 'internal', message: 'odd (no-such-kind)' });
    expect(toIpcError({ kind: 'wrong-secret', message: 'no' })).toEqual({ kind: 'wrong-secret', message: 'no' });
    expect(toIpcError(new Error('boom'))).toEqual({ kind: 'internal', message: 'boom' });
  });
});
