// Telling the backend someone is using the app (its inactivity lock runs on a monotonic clock),
// at most once per interval however often the screen is touched.

export const TOUCH_INTERVAL_MS = 15_000;

/** Returns a function that calls `send` unless it was called less than `intervalMs` ago. */
export function throttled(send: () => void, intervalMs = TOUCH_INTERVAL_MS, now: () => number = () => Date.now()) {
  let last = -Infinity;
  return () => {
    const t = now();
    if (t - last < intervalMs) return;
    last = t;
    send();
  };
}

/** Listens for pointer and key presses on `target`; returns the function that stops listening. */
export function watchActivity(target: EventTarget, onActivity: () => void): () => void {
  const events = ['pointerdown', 'keydown'] as const;
  for (const e of events) target.addEventListener(e, onActivity, { capture: true, passive: true });
  return () => {
    for (const e of events) target.removeEventListener(e, onActivity, { capture: true });
  };
}
