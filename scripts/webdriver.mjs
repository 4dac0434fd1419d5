// What the real-window scripts share: a small W3C WebDriver client for tauri-driver (which
// starts the app through WebKitWebDriver), a Page with the few actions the walks need, and
// `withApp`, which runs a walk in a fresh app session and always cleans up.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

export const APP = resolve(process.env.FIELDSCREEN_APP ?? 'target/debug/fieldscreen-app');
const SHOTS = process.env.SCREENSHOTS ? resolve(process.env.SCREENSHOTS) : null;
const PORT = Number(process.env.E2E_PORT ?? 4444);
const BASE = `http://127.0.0.1:${PORT}`;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function fail(msg) {
  throw new Error(msg);
}

export async function wd(method, path, body) {
  if (process.env.E2E_VERBOSE === '2') console.log('   ', method, path, body ? JSON.stringify(body).slice(0, 80) : '');
  const res = await fetch(BASE + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) fail(`${method} ${path}: ${res.status} ${JSON.stringify(json).slice(0, 300)}`);
  return json.value;
}

export async function waitForDriver() {
  for (let i = 0; i < 100; i++) {
    try {
      const v = await wd('GET', '/status');
      if (v?.ready !== false) return;
    } catch {
      /* not up yet */
    }
    await sleep(200);
  }
  fail('tauri-driver did not come up');
}

// W3C names element references by this key; take the only value whatever the key.
const ref = (found) => found['element-6066-11e4-a52e-4f52f4e3d05a'] ?? Object.values(found)[0];

export class Page {
  constructor(id) {
    this.id = id;
  }
  async all(css) {
    return wd('POST', `/session/${this.id}/elements`, { using: 'css selector', value: css });
  }
  async find(css, timeout = 10000) {
    const end = Date.now() + timeout;
    for (;;) {
      const found = await this.all(css);
      if (found.length) return ref(found[0]);
      if (Date.now() > end) fail(`no element matches ${css}`);
      await sleep(100);
    }
  }
  /** Index of the first selector that matches, waiting for one to. */
  async first(selectors, timeout = 10000) {
    const end = Date.now() + timeout;
    for (;;) {
      for (const [i, css] of selectors.entries()) if (await this.exists(css)) return i;
      if (Date.now() > end) fail(`none of ${selectors.join(', ')} appeared`);
      await sleep(100);
    }
  }
  async gone(css, timeout = 10000) {
    const end = Date.now() + timeout;
    while (await this.exists(css)) {
      if (Date.now() > end) fail(`${css} is still there`);
      await sleep(100);
    }
  }
  async exists(css) {
    return (await this.all(css)).length > 0;
  }
  async click(css) {
    const el = await this.find(css);
    await wd('POST', `/session/${this.id}/element/${el}/click`, {});
  }
  async type(css, text, { clear = true } = {}) {
    const el = await this.find(css);
    if (clear) await wd('POST', `/session/${this.id}/element/${el}/clear`, {});
    await wd('POST', `/session/${this.id}/element/${el}/value`, { text });
  }
  async text(css) {
    const el = await this.find(css);
    return wd('GET', `/session/${this.id}/element/${el}/text`);
  }
  async attr(css, name) {
    const el = await this.find(css);
    return wd('GET', `/session/${this.id}/element/${el}/attribute/${name}`);
  }
  async selected(css) {
    const el = await this.find(css);
    return wd('GET', `/session/${this.id}/element/${el}/selected`);
  }
  async js(script, ...args) {
    return wd('POST', `/session/${this.id}/execute/sync`, { script, args });
  }
  async select(css, value) {
    // A native <select> popup is outside the page; set the value as the officer's choice would.
    await this.find(css);
    await this.js(
      `const s = document.querySelector(arguments[0]); s.value = arguments[1]; s.dispatchEvent(new Event('change', { bubbles: true }));`,
      css,
      value,
    );
  }
  /** A PNG of the screen, scrolled to the top unless `at` names an element to show. */
  async shot(name, at = null) {
    if (!SHOTS) return;
    mkdirSync(SHOTS, { recursive: true });
    if (at) await this.js('document.querySelector(arguments[0])?.scrollIntoView({ block: "center" })', at);
    else await this.js('window.scrollTo(0, 0)');
    await sleep(400); // let the window finish painting
    // The whole X screen as a person sees it (the app window fills it under Xvfb).
    execFileSync('import', ['-window', 'root', `${SHOTS}/${name}.png`]);
    console.log(`  screenshot ${name}.png`);
  }
}

/** Starts tauri-driver, opens the app in a new session, runs `walk(page)`, and always closes
 * both; on a failure the screen is saved to target/<name>-failure.png. */
export async function withApp(name, walk, { app = APP } = {}) {
  const driver = spawn('tauri-driver', ['--port', String(PORT), '--native-driver', '/usr/bin/WebKitWebDriver'], {
    // tauri-driver logs every closed connection as an error with a backtrace; keep it for E2E_VERBOSE.
    stdio: ['ignore', 'inherit', process.env.E2E_VERBOSE ? 'inherit' : 'ignore'],
  });
  let sessionId = null;
  try {
    await waitForDriver();
    const s = await wd('POST', '/session', { capabilities: { alwaysMatch: { 'tauri:options': { application: app } } } });
    sessionId = s.sessionId;
    return await walk(new Page(sessionId));
  } catch (e) {
    try {
      mkdirSync('target', { recursive: true });
      execFileSync('import', ['-window', 'root', `target/${name}-failure.png`]);
      e.message += ` (the screen at the failure: target/${name}-failure.png)`;
    } catch {
      /* no screenshot tool */
    }
    throw e;
  } finally {
    if (sessionId) await wd('DELETE', `/session/${sessionId}`).catch(() => {});
    driver.kill();
  }
}
