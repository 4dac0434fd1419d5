// Language access in the real app window, through tauri-driver and WebKitWebDriver (run by
// scripts/e2e.sh under Xvfb, on its own fresh data folder).
//
// Walk 1: a screening in Arabic through the hand-over view with read aloud on: the person's
//         screen right to left, "Listen" hands WAV bytes for the current item to the player, and
//         no file appears in the data folder or the temp folder while it speaks.
// Walk 2: the same in Chinese.
// Walk 3: axe-core (from ui/node_modules) on the language picker, the person's picker, the
//         point-to-your-language card, and the hand-over view in every shipped language.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fail, sleep, withApp } from './webdriver.mjs';
import { SECRET, newScreening, setupDevice } from './walks.mjs';

const require = createRequire(new URL('../ui/package.json', import.meta.url));
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Every file under `dir` (a set of paths), to prove a step added none. */
function files(dir) {
  const out = new Set();
  const walkDir = (d) => {
    let entries = [];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const n of entries) {
      const p = join(d, n);
      let s;
      try {
        s = statSync(p);
      } catch {
        continue;
      }
      if (s.isDirectory()) walkDir(p);
      else out.add(p);
    }
  };
  walkDir(dir);
  return out;
}
const added = (before, after) => [...after].filter((p) => !before.has(p));

/** axe-core on the page as it is; fails on any violation. */
async function axe(page, what) {
  await page.js(`if (!window.axe) { ${AXE} ; window.axe = axe; } window.__axe = null;
    window.axe.run(document, { resultTypes: ['violations'] }).then((r) => { window.__axe = r.violations.map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).join(', ')); }, (e) => { window.__axe = ['axe failed: ' + e]; });`);
  for (let i = 0; i < 100; i++) {
    const v = await page.js('return window.__axe');
    if (v) {
      if (v.length) fail(`axe on ${what}:\n  ${v.join('\n  ')}`);
      return;
    }
    await sleep(100);
  }
  fail(`axe on ${what} did not finish`);
}

/** In the hand-over view: Listen, then the bytes the player got, for the item on screen. */
async function listen(page) {
  const item = await page.attr('[data-screen="handover"]', 'data-item-id');
  await page.click('[data-action="listen"]');
  for (let i = 0; i < 100; i++) {
    const got = await page.attr('[data-part="read-aloud"]', 'data-audio-item');
    if (got === item) break;
    await sleep(100);
  }
  const bytes = Number(await page.attr('[data-part="read-aloud"]', 'data-audio-bytes'));
  const got = await page.attr('[data-part="read-aloud"]', 'data-audio-item');
  if (got !== item || !(bytes > 10000)) fail(`read aloud gave ${bytes} bytes for ${got}, not audio for ${item}`);
  return { item, bytes };
}

/** From the item screen: hand over, read two items aloud and answer them, then take the device back. */
async function handoverWithAudio(page, lang, shot) {
  await page.find('[data-item-id="in-danger"]', 15000);
  const notice = await page.text('[data-part="before-handover"]');
  if (!notice.includes('Not checked by a translator')) fail(`${lang}: no unreviewed-translation notice before the hand-over: ${notice}`);
  await page.click('[data-action="handover"]');
  await page.find('[data-screen="handover"]');
  const dir = await page.attr('[data-screen="handover"] h1', 'dir');
  const wantDir = lang === 'ar' ? 'rtl' : 'ltr';
  if (dir !== wantDir) fail(`${lang}: the question is ${dir}, not ${wantDir}`);
  const data = process.env.FIELDSCREEN_DATA_DIR;
  const beforeData = files(data);
  const beforeTmp = files(tmpdir());
  const heard = [];
  for (let n = 0; n < 2; n++) {
    heard.push(await listen(page));
    if (n === 0 && shot) await page.shot(shot);
    const before = await page.attr('[data-screen="handover"]', 'data-item-id');
    await page.click('[data-screen="handover"] [data-token="no"]');
    for (let i = 0; i < 50 && (await page.attr('[data-screen="handover"]', 'data-item-id')) === before; i++) await sleep(100);
  }
  const newData = added(beforeData, files(data));
  const newTmp = added(beforeTmp, files(tmpdir())).filter((p) => !p.includes('fieldscreen-e2e') && !p.includes('xvfb-run'));
  if (newData.length) fail(`${lang}: read aloud left files in the data folder: ${newData.join(', ')}`);
  if (newTmp.some((p) => /\.(wav|ogg|mp3|raw|pcm)$/i.test(p))) fail(`${lang}: audio files appeared in ${tmpdir()}: ${newTmp.join(', ')}`);
  await page.click('[data-action="officer"]');
  await page.type('[data-field="handover-secret"]', SECRET);
  await page.click('[data-action="officer-unlock"]');
  await page.gone('[data-screen="handover"]', 15000);
  console.log(`  ${lang}: read aloud ${heard.map((h) => `${h.item} ${h.bytes} bytes`).join(', ')}; no new files`);
}

/** Back home from the item screen: stop, then leave the outcome (the draft stays). */
async function leave(page) {
  await page.click('[data-action="stop"]');
  await page.find('[data-screen="outcome"]', 15000);
  await page.click('[data-action="leave"]');
  await page.find('[data-screen="home"]', 15000);
}

async function main() {
  let passed = 0;
  await withApp('e2e-languages', async (page) => {
    await setupDevice(page);
    await page.click('[data-action="setup"]');
    await page.find('[data-screen="home"]', 30000);

    // ---- Walks 1 and 2: Arabic and Chinese through the hand-over view, read aloud on ----
    for (const [lang, shot] of [
      ['ar', '20-handover-arabic-rtl'],
      ['zh', '21-handover-chinese'],
    ]) {
      await newScreening(page, { protocol: 'adult-roadside', language: lang, interpreter: 'screen' });
      await handoverWithAudio(page, lang, shot);
      if (lang === 'ar') {
        // The resource card in Arabic: right to left, numbers kept left to right.
        await page.click('[data-action="stop"]');
        await page.find('[data-screen="outcome"]', 15000);
        await page.click('[data-action="card"]');
        await page.find('[data-screen="card"]');
        const cardDir = await page.attr('[data-part="card"]', 'dir');
        if (cardDir !== 'rtl') fail(`the Arabic resource card is ${cardDir}, not rtl`);
        await page.shot('25-resource-card-arabic');
        await page.click('[data-action="card-back"]');
        await page.find('[data-screen="outcome"]');
        await page.click('[data-action="leave"]');
        await page.find('[data-screen="home"]', 15000);
      } else {
        await leave(page);
      }
      passed++;
    }

    // ---- Walk 3: axe on the pickers, the card and the hand-over view in every language ----
    await page.click('[data-action="new-screening"]');
    await page.find('[data-screen="new-screening"]');
    await page.click('[data-protocol="adult-roadside"]');
    await page.find('[data-part="language-picker"]');
    const langs = await page.js('return [...document.querySelectorAll("[data-language]")].map((e) => e.dataset.language)');
    if (langs.length < 10) fail(`the picker offers ${langs.length} languages, not at least ten: ${langs}`);
    await page.click('[data-language="ar"]');
    await page.shot('22-language-picker', '[data-part="language-picker"]');
    await axe(page, 'the language picker');
    await page.click('[data-action="person-picks"]');
    await page.find('[data-part="person-language-picker"]');
    await page.shot('23-person-picks-language');
    await axe(page, "the person's language picker");
    await page.click('[data-pick-language="vi"]');
    await page.find('[data-screen="new-screening"]');
    if (!(await page.selected('[data-language="vi"]'))) fail('the language the person tapped is not chosen');
    await page.click('[data-action="language-card"]');
    await page.find('[data-part="point-card"]');
    await page.shot('24-point-to-your-language');
    await axe(page, 'the point-to-your-language card');
    await page.click('[data-action="close-card"]');
    await page.find('[data-screen="new-screening"]');
    await page.click('[data-action="cancel"]');
    await page.find('[data-screen="home"]');
    for (const lang of langs) {
      await newScreening(page, { protocol: 'adult-roadside', language: lang, interpreter: 'screen' });
      await page.find('[data-item-id="in-danger"]', 15000);
      await page.click('[data-action="handover"]');
      await page.find('[data-screen="handover"]');
      const shown = await page.attr('[data-screen="handover"] h1', 'lang');
      if (shown !== lang) fail(`the hand-over question is marked ${shown}, not ${lang}`);
      await axe(page, `the hand-over view in ${lang}`);
      await page.click('[data-action="officer"]');
      await page.type('[data-field="handover-secret"]', SECRET);
      await page.click('[data-action="officer-unlock"]');
      await page.gone('[data-screen="handover"]', 15000);
      await leave(page);
    }
    console.log(`  axe: pickers, card and the hand-over view in ${langs.length} languages (${langs.join(' ')}): no violations`);
    passed++;
  });
  console.log(`e2e-languages: ${passed} passed, 0 failed`);
}

main().catch((e) => {
  console.error(`e2e-languages: ${e.message}`);
  process.exit(1);
});
