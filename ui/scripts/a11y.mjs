// Accessibility check of every screen: the UI built with the fake backend (VITE_FAKE_BACKEND=1),
// served locally, walked in Debian's chromium through playwright-core, with axe-core run on each
// screen at 1280x800 and 800x1280, in the dark and light themes and in high contrast. Also checks
// that touch targets are at least 44 px and that text at 200% does not overflow sideways.
// Exits 1 and lists every violation. CHROMIUM overrides the browser path; A11Y_SHOTS=DIR saves
// a screenshot of each screen.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build, preview } from 'vite';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'node_modules', '.a11y-dist');
const AXE = require.resolve('axe-core/axe.min.js');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = process.env.A11Y_SHOTS ? resolve(process.env.A11Y_SHOTS) : null;
const SECRET = 'correct horse battery';

const VIEWPORTS = [
  { name: '1280x800', width: 1280, height: 800 },
  { name: '800x1280', width: 800, height: 1280 },
];
// The system's setting decides dark or light (dark unless it asks for light); high contrast is the
// in-app toggle, checked over the dark default.
const THEMES = ['dark', 'light', 'high-contrast'];

const problems = [];
const checked = [];

async function serve() {
  process.env.VITE_FAKE_BACKEND = '1';
  await build({ root: ROOT, logLevel: 'warn', build: { outDir: OUT, emptyOutDir: true } });
  const server = await preview({ root: ROOT, logLevel: 'warn', build: { outDir: OUT }, preview: { port: 0, host: '127.0.0.1', strictPort: false } });
  const url = server.resolvedUrls?.local?.[0];
  if (!url) throw new Error('the preview server gave no address');
  return { server, url };
}

/** Waits for a selector, failing with a clear message. */
async function until(page, css, what) {
  try {
    await page.waitForSelector(css, { state: 'visible', timeout: 8000 });
  } catch {
    throw new Error(`${what}: ${css} did not appear`);
  }
}

async function check(page, label, run) {
  const name = `${run} ${label}`;
  await page.waitForTimeout(150);
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  for (const v of result) problems.push(`${name}: [${v.impact}] ${v.id}: ${v.help}\n      ${v.nodes.join('\n      ')}`);

  // Touch targets: every visible control at least 44x44 CSS px (a radio or checkbox through its label).
  const small = await page.evaluate(() => {
    const out = [];
    const sel = 'button, select, textarea, input:not([type=radio]):not([type=checkbox]), label.choice, a[href]';
    for (const el of document.querySelectorAll(sel)) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (getComputedStyle(el).visibility === 'hidden') continue;
      if (el.closest('.visually-hidden')) continue;
      if (r.width < 44 || r.height < 44) out.push(`${el.tagName.toLowerCase()} "${(el.textContent || el.getAttribute('aria-label') || el.id).trim().slice(0, 40)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
    return out;
  });
  for (const s of small) problems.push(`${name}: touch target under 44 px: ${s}`);

  // Text at 200%: nothing may be pushed off the side of the screen.
  const overflow = await page.evaluate(async () => {
    const root = document.documentElement;
    const before = root.style.fontSize;
    root.style.fontSize = '200%';
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const wide = root.scrollWidth - root.clientWidth;
    root.style.fontSize = before;
    return wide;
  });
  if (overflow > 1) problems.push(`${name}: at 200% text the page scrolls sideways by ${overflow}px`);

  if (SHOTS) {
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, `${run.replace(/\s+/g, '-')}-${label}.png`), fullPage: true });
  }
  checked.push(name);
  console.log(`  ${result.length + small.length + (overflow > 1 ? 1 : 0) === 0 ? 'ok  ' : 'FAIL'} ${name}`);
}

async function walk(page, run) {
  const click = (css) => page.click(css);
  const fill = (css, v) => page.fill(css, v);

  await until(page, '[data-screen="setup"]', 'setup');
  await check(page, 'setup', run);
  await click('[data-action="setup"]');
  await until(page, '.field-error', 'setup errors');
  await check(page, 'setup-errors', run);

  await fill('[data-field="officer"]', 'officer-17');
  await fill('[data-field="secret"]', SECRET);
  await fill('[data-field="confirm"]', SECRET);
  await click('[data-action="setup"]');
  await until(page, '[data-screen="home"]', 'home');
  await check(page, 'home', run);

  await click('[data-action="enroll"]');
  await until(page, '[data-part="enroll-form"]', 'enroll form');
  await check(page, 'home-enroll-form', run);
  await click('[data-action="enroll-cancel"]');

  await click('[data-action="new-screening"]');
  await until(page, '[data-screen="new-screening"]', 'new screening');
  await page.selectOption('[data-field="encounter-type"]', 'traffic-stop');
  await click('[data-protocol="test-adult"]');
  await click('[data-language="es"]');
  await click('[data-interpreter="screen"]');
  await check(page, 'new-screening', run);
  await click('[data-action="start"]');

  await until(page, '[data-item-id="q-safe-now"]', 'first item');
  await check(page, 'item-safety-question', run);
  await click('[data-token="yes"]');
  await until(page, '[data-item-id="s-consent"]', 'consent');
  await check(page, 'item-script', run);

  await click('[data-action="handover"]');
  await until(page, '[data-screen="handover"]', 'hand-over');
  await check(page, 'handover', run);
  await click('[data-action="officer"]');
  await fill('[data-field="handover-secret"]', 'not the secret');
  await click('[data-action="officer-unlock"]');
  await until(page, '#handover-secret-error:not(:empty)', 'hand-over wrong secret');
  await check(page, 'handover-officer-error', run);
  await click('[data-token="yes"]');
  await until(page, '[data-part="hand-back"]', 'hand-back');
  await check(page, 'handover-give-back', run);
  await fill('[data-field="handover-secret"]', SECRET);
  await click('[data-action="officer-unlock"]');

  await until(page, '[data-item-id="o-locks"]', 'observation');
  await check(page, 'item-observation', run);
  await click('[data-token="seen"]');
  await until(page, '[data-item-id="q-threats"]', 'question');
  await click('[data-token="yes"]');
  await until(page, '[data-item-id="q-papers"]', 'question');
  await click('[data-token="declined"]');
  await until(page, '[data-item-id="q-pay"]', 'choice');
  await check(page, 'item-choice', run);
  // A command error, shown in the alert region on the item screen.
  await page.evaluate(() =>
    window.fieldscreenFake.failNext('answer', { kind: 'database', message: 'The answer could not be saved. Try again.' }),
  );
  await click('[data-token="not-sure"]');
  await until(page, '[data-part="error"] p', 'command error');
  await check(page, 'item-error', run);
  await click('[data-choice="not-paid"]');
  await until(page, '[data-item-id="s-closing"]', 'closing');
  await click('[data-token="read"]');

  await until(page, '[data-screen="outcome"]', 'outcome');
  await click('[data-referral="nhth"] [data-choice="accepted"]');
  await page.waitForTimeout(100);
  await check(page, 'outcome', run);

  await click('[data-action="card"]');
  await until(page, '[data-screen="card"]', 'resource card');
  await check(page, 'resource-card', run);
  await click('[data-action="card-back"]');

  await until(page, '[data-screen="outcome"]', 'outcome again');
  await click('[data-action="notes"]');
  await until(page, '[data-screen="notes"]', 'notes');
  await page.type('[data-field="notes"]', 'Spoke with the prostitute at the roadside.', { delay: 5 });
  await until(page, '[data-flag]', 'a flag');
  await check(page, 'notes-with-flag', run);
  await click('[data-action="save-notes"]');

  await until(page, '[data-screen="outcome"]', 'outcome after notes');
  await click('[data-action="finalize"]');
  await until(page, '[data-screen="finalize"]', 'finalize');
  await check(page, 'finalize-confirm', run);
  await click('[data-action="confirm-finalize"]');
  await until(page, '[data-record-id]', 'home with a record');
  await until(page, '[data-part="sync"][data-sync-state="not-enrolled"]', 'sync panel, not enrolled');
  await check(page, 'home-with-record', run);

  // The sync panel of an enrolled device that is offline, with a record the hub did not take.
  await page.evaluate(() =>
    window.fieldscreenFake.setSync({
      enrolled: true,
      hub_url: 'https://hub.unit.example:8443',
      online: false,
      last_sync: '2026-03-01T01:00:00Z',
      last_error: 'the hub is not reachable; records stay queued',
      errors: [{ record_id: 'r-9', kind: 'conflict', message: 'the hub holds a different record with this id', at: '2026-03-01T01:00:00Z' }],
    }),
  );
  await page.evaluate(() => window.fieldscreenFake.emitSync());
  await until(page, '[data-sync-error]', 'sync panel with errors');
  await check(page, 'home-sync-offline', run);

  // Export: the form, an error, the progress bar, the done panel.
  await click('[data-action="export"]');
  await until(page, '[data-screen="export"] [data-field="export-secret"]', 'export form');
  await check(page, 'export-form', run);
  await click('[data-recipient="Trafficking unit custodian"]');
  await fill('[data-field="export-secret"]', 'wrong secret');
  await click('[data-action="do-export"]');
  await until(page, '#export-secret-error', 'export wrong secret');
  await check(page, 'export-error', run);
  await page.evaluate(() => window.fieldscreenFake.holdExport());
  await fill('[data-field="export-secret"]', SECRET);
  await click('[data-action="do-export"]');
  await until(page, '[role="progressbar"]', 'export progress');
  await check(page, 'export-progress', run);
  await page.evaluate(() => window.fieldscreenFake.releaseExport());
  await until(page, '[data-part="export-done"]', 'export done');
  await check(page, 'export-done', run);
  await click('[data-action="export-home"]');
  await until(page, '[data-screen="home"]', 'home after export');

  // No unit custodians in the policy: said instead of the form.
  await page.evaluate(() => window.fieldscreenFake.setRecipients([]));
  await click('[data-action="export"]');
  await until(page, '[data-part="no-recipients"]', 'export with no recipients');
  await check(page, 'export-no-recipients', run);
  await click('[data-action="export-home"]');
  await until(page, '[data-screen="home"]', 'home after no recipients');

  await click('[data-action="lock"]');
  await until(page, '[data-screen="unlock"]', 'unlock');
  await check(page, 'unlock', run);
  await fill('[data-field="unlock-secret"]', 'wrong secret');
  await click('[data-action="unlock"]');
  await until(page, '[data-part="error"] p', 'unlock error');
  await check(page, 'unlock-error', run);
  await fill('[data-field="unlock-secret"]', SECRET);
  await click('[data-action="unlock"]');
  await until(page, '[data-screen="home"]', 'home after unlock');

  // The stop path: the person wants to stop; a partial outcome.
  await click('[data-action="new-screening"]');
  await until(page, '[data-screen="new-screening"]', 'new screening');
  await page.selectOption('[data-field="encounter-type"]', 'welfare-check');
  await click('[data-protocol="test-minor"]');
  await click('[data-language="en"]');
  await click('[data-interpreter="not-needed"]');
  await click('[data-action="start"]');
  await until(page, '[data-item-id="q-safe-now"]', 'minor first item');
  await click('[data-action="stop"]');
  await until(page, '[data-part="partial"]', 'partial outcome');
  await check(page, 'outcome-stopped', run);
}

async function main() {
  const { server, url } = await serve();
  let failed = false;
  try {
    for (const vp of VIEWPORTS) {
      for (const theme of THEMES) {
        const run = `${vp.name} ${theme}`;
        console.log(`a11y: ${run}`);
        const profile = mkdtempSync(join(tmpdir(), 'fieldscreen-a11y-'));
        const context = await chromium.launchPersistentContext(profile, {
          executablePath: CHROMIUM,
          headless: true,
          viewport: { width: vp.width, height: vp.height },
          colorScheme: theme === 'light' ? 'light' : 'dark',
          args: [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        });
        try {
          const page = context.pages()[0] ?? (await context.newPage());
          page.on('pageerror', (e) => problems.push(`${run}: page error: ${e.message}`));
          await page.goto(`${url}?phase=setup`);
          await until(page, '[data-action="contrast"]', 'header');
          if (theme === 'high-contrast') await page.click('[data-action="contrast"]');
          await walk(page, run);
        } catch (e) {
          failed = true;
          problems.push(`${run}: the walk failed: ${e.message}`);
        } finally {
          await context.close();
          rmSync(profile, { recursive: true, force: true });
        }
      }
    }
  } finally {
    await new Promise((r) => server.httpServer.close(r));
  }
  console.log(`a11y: ${checked.length} screens checked`);
  if (problems.length || failed) {
    console.error(`a11y: ${problems.length} problem(s):`);
    for (const p of problems) console.error(`  - ${p}`);
    process.exit(1);
  }
  console.log('a11y: no violations');
}

main().catch((e) => {
  console.error(`a11y: ${e.stack ?? e}`);
  process.exit(1);
});
