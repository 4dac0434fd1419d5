import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';

/** In a `VITE_FAKE_BACKEND=1` build (the accessibility check), the UI runs on the test backend.
 *  Vite replaces the condition at build time, so a production build carries none of it. */
async function backend(): Promise<void> {
  if (import.meta.env.VITE_FAKE_BACKEND === '1') {
    const { installFakeBackend } = await import('./test/fakeBackend');
    const phase = new URLSearchParams(location.search).get('phase');
    const fake = installFakeBackend({ phase: phase === 'locked' || phase === 'unlocked' ? phase : 'setup' });
    // Levers for the accessibility check (errors, a lock from the backend).
    (window as unknown as { fieldscreenFake: typeof fake }).fieldscreenFake = fake;
  }
}

void backend().then(() => mount(App, { target: document.getElementById('app')! }));
