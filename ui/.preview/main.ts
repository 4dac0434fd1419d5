import { mount, tick } from 'svelte';
import '../src/app.css';
import App from '../src/App.svelte';
import { installFakeBackend } from '../src/test/fakeBackend';

installFakeBackend();
mount(App, { target: document.getElementById('app')! });

const params = new URLSearchParams(location.search);
const clicks = (params.get('clicks') ?? '').split(',').filter(Boolean);
if (params.get('hc')) document.documentElement.dataset.contrast = 'high';
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
(async () => {
  await wait(100);
  for (const label of clicks) {
    const b = [...document.querySelectorAll('button')].find((x) => x.textContent!.trim().startsWith(label));
    b?.click();
    await tick();
    await wait(100);
  }
})();
