// End-to-end walk in the real app window, through tauri-driver and WebKitWebDriver.
// Run under Xvfb by scripts/e2e.sh. With SCREENSHOTS=DIR it also saves PNGs of what the
// officer sees at each stage.
//
// Walk 1: the adult roadside protocol, in Spanish, to a complete outcome with indicators,
//         a declined answer and the non-arrest guidance.
// Walk 2: the person stops midway: the outcome says stopped and partial.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

const APP = resolve(process.env.FIELDSCREEN_APP ?? 'target/debug/fieldscreen-app');
const SHOTS = process.env.SCREENSHOTS ? resolve(process.env.SCREENSHOTS) : null;
const PORT = 4444;
const BASE = `http://127.0.0.1:${PORT}`;

// Answers for the walk, by item id; anything else gets the default for its kind.
const WALK = {
  consent: 'yes',
  'documents-held': 'seen',
  'companion-answers': 'seen',
  'works-for-someone': 'yes',
  'papers-kept': 'declined',
  'legal-threats': 'yes',
  'afraid-to-leave': 'not-sure',
  'promise-broken': 'yes',
};
const DEFAULTS = { 'yes-no': 'no', observation: 'not-seen', read: 'read' };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function fail(msg) {
  throw new Error(msg);
}

async function wd(method, path, body) {
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

async function waitForDriver() {
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

class Page {
  constructor(id) {
    this.id = id;
  }
  async find(css, timeout = 8000) {
    const end = Date.now() + timeout;
    for (;;) {
      const found = await wd('POST', `/session/${this.id}/elements`, { using: 'css selector', value: css });
      if (found.length) return ref(found[0]);
      if (Date.now() > end) fail(`no element matches ${css}`);
      await sleep(100);
    }
  }
  /** Index of the first selector that matches, waiting for one to. */
  async first(selectors, timeout = 8000) {
    const end = Date.now() + timeout;
    for (;;) {
      for (const [i, css] of selectors.entries()) if (await this.exists(css)) return i;
      if (Date.now() > end) fail(`none of ${selectors.join(', ')} appeared`);
      await sleep(100);
    }
  }
  async exists(css) {
    const found = await wd('POST', `/session/${this.id}/elements`, { using: 'css selector', value: css });
    return found.length > 0;
  }
  async click(css) {
    const el = await this.find(css);
    await wd('POST', `/session/${this.id}/element/${el}/click`, {});
  }
  async text(css) {
    const el = await this.find(css);
    return wd('GET', `/session/${this.id}/element/${el}/text`);
  }
  async attr(css, name) {
    const el = await this.find(css);
    return wd('GET', `/session/${this.id}/element/${el}/attribute/${name}`);
  }
  async shot(name) {
    if (!SHOTS) return;
    mkdirSync(SHOTS, { recursive: true });
    await sleep(400); // let the window finish painting
    // The whole X screen as a person sees it (the app window fills it under Xvfb).
    execFileSync('import', ['-window', 'root', `${SHOTS}/${name}.png`]);
    console.log(`  screenshot ${name}.png`);
  }
}

async function startScreening(page, protocol, language) {
  await page.click(`[data-protocol="${protocol}"]`);
  await page.click(`[data-language="${language}"]`);
  return page;
}

/** Answers items until the outcome shows; returns the ids walked. */
async function walk(page, { stopAt = null, shots = false } = {}) {
  const seen = [];
  for (let step = 0; step < 100; step++) {
    // Wait for the next screen: an item or the outcome.
    const which = await page.first(['[data-screen="outcome"]', '[data-item-id]']);
    if (which === 0) return seen;
    const id = await page.attr('[data-item-id]', 'data-item-id');
    if (seen.at(-1) === id) {
      await sleep(100);
      continue;
    }
    seen.push(id);
    if (process.env.E2E_VERBOSE) console.log(`  item ${id}`);
    if (!(await page.exists('[data-action="stop"]'))) fail(`no stop button on item ${id}`);
    const type = await page.attr('[data-item-id]', 'data-answer-type');
    if (shots && id === 'in-danger') await page.shot('2-safety-first-es');
    if (shots && id === 'documents-held') await page.shot('3-observation');
    if (shots && id === 'legal-threats') await page.shot('4-question-with-guidance');
    if (id === stopAt) {
      await page.click('[data-action="stop"]');
      continue;
    }
    const answer = WALK[id] ?? DEFAULTS[type] ?? fail(`no default answer for ${id} (${type})`);
    await page.click(`[data-token="${answer}"]`);
  }
  fail('the walk did not reach an outcome in 100 steps');
}

async function main() {
  const driver = spawn('tauri-driver', ['--port', String(PORT), '--native-driver', '/usr/bin/WebKitWebDriver'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let sessionId = null;
  try {
    await waitForDriver();
    const s = await wd('POST', '/session', {
      capabilities: { alwaysMatch: { 'tauri:options': { application: APP } } },
    });
    sessionId = s.sessionId;
    const page = new Page(sessionId);

    // Walk 1: adult roadside in Spanish, to a complete outcome.
    await page.find('[data-protocol="adult-roadside"]', 20000);
    await startScreening(page, 'adult-roadside', 'es');
    await page.shot('1-start');
    await page.click('[data-action="start"]');
    const walked = await walk(page, { shots: true });
    console.log(`  walk 1: ${walked.length} items`);
    if (walked[0] !== 'in-danger') fail(`safety must come first, got ${walked[0]}`);
    const outcome = await page.text('[data-screen="outcome"]');
    for (const want of ['Coercion', 'Declined', walked.includes('papers-kept') ? 'ID' : '']) {
      if (want && !outcome.includes(want)) fail(`outcome lacks "${want}":\n${outcome}`);
    }
    if (!(await page.exists('[data-part="non-arrest"]'))) fail('no non-arrest guidance on an outcome with indicators');
    if (/partial/i.test(await page.text('[data-part="level"]'))) fail('a complete walk must not be partial');
    await page.shot('5-outcome');

    // Walk 2: the person stops after the safety questions.
    await page.click('[data-action="new"]');
    await startScreening(page, 'adult-roadside', 'en');
    await page.click('[data-action="start"]');
    await walk(page, { stopAt: 'introduction' });
    if (!(await page.exists('[data-part="partial"]'))) fail('a stopped screening must say it is partial');
    await page.shot('6-stopped-partial');
    console.log('e2e: 2 passed, 0 failed');
  } catch (e) {
    try {
      mkdirSync('target', { recursive: true });
      execFileSync('import', ['-window', 'root', 'target/e2e-failure.png']);
    } catch {
      /* no screenshot tool */
    }
    throw e;
  } finally {
    if (sessionId) await wd('DELETE', `/session/${sessionId}`).catch(() => {});
    driver.kill();
  }
}

main().catch((e) => {
  console.error(`e2e: ${e.message}`);
  console.error('e2e: the screen at the failure, if a screenshot tool is installed: target/e2e-failure.png');
  console.log('e2e: 0 passed, 1 failed');
  process.exit(1);
});
