// What the app does with a backend error, by its kind. `ErrorKind` is generated from the Rust
// enum (../bindings/ErrorKind.ts); `ERROR_CLASS` names every kind, so a kind added or renamed in
// Rust fails `npm run check` until this table says how to treat it. Screens decide on the class,
// never on the kind's spelling.
import type { CommandError } from '../bindings/CommandError';
import type { ErrorKind } from '../bindings/ErrorKind';

export type ErrorClass =
  /** The backend is locked: every screen's state goes. */
  | 'locked'
  /** Too many wrong secrets: unlocking is paused and the app is locked. */
  | 'lockout'
  /** The data key is destroyed: nothing can be read, setup starts over. */
  | 'wiped'
  /** The person holds the device: only the current question may show. */
  | 'handover'
  /** No screening or training run is open any more. */
  | 'gone'
  /** The secret just given did not match, or came too soon after a wrong one: ask again. */
  | 'secret'
  /** Something the officer chose or typed: fix it and try again. */
  | 'input'
  /** The screening's own state refused the step (stopped, concluded, at the start). */
  | 'screening'
  /** The device, its vault, the unit's hub or the app itself. */
  | 'fault';

export const ERROR_CLASS: Record<ErrorKind, ErrorClass> = {
  locked: 'locked',
  'locked-out': 'lockout',
  wiped: 'wiped',
  handover: 'handover',
  'no-session': 'gone',
  'wrong-secret': 'secret',
  delayed: 'secret',
  'already-set-up': 'input',
  invalid: 'input',
  'invalid-encounter': 'input',
  'invalid-path': 'input',
  'too-long': 'input',
  'unknown-policy': 'input',
  'unknown-protocol': 'input',
  'unknown-language': 'input',
  // Read aloud is unavailable: the words stay on screen.
  'no-voice': 'fault',
  'unknown-resource': 'input',
  'unknown-recipient': 'input',
  'unknown-scenario': 'input',
  'unknown-item': 'input',
  'invalid-answer': 'input',
  'not-found': 'input',
  'no-recipients': 'input',
  policy: 'input',
  'not-shown': 'screening',
  stopped: 'screening',
  concluded: 'screening',
  'at-start': 'screening',
  'protocol-missing': 'fault',
  revoked: 'fault',
  'offline-too-long': 'fault',
  'not-initialized': 'fault',
  'already-exists': 'fault',
  busy: 'fault',
  plaintext: 'fault',
  damaged: 'fault',
  'key-file': 'fault',
  crypto: 'fault',
  database: 'fault',
  io: 'fault',
  unreachable: 'fault',
  untrusted: 'fault',
  hub: 'fault',
  'not-enrolled': 'fault',
  // Only a lock calls a sync pass off: the app is locked by the time this arrives.
  cancelled: 'locked',
  internal: 'fault',
};

/** How the app treats `e`. */
export const errorClass = (e: CommandError): ErrorClass => ERROR_CLASS[e.kind];

/** A kind the backend sent, checked against the generated set (the UI trusts no string). */
export function isErrorKind(kind: unknown): kind is ErrorKind {
  return typeof kind === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CLASS, kind);
}

/** For a `switch` over `ErrorClass`: a class without a case fails the type check here. */
export function unhandled(c: never): never {
  throw new Error(`unhandled error class ${String(c)}`);
}
