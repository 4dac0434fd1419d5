// The officer flow as the real-window scripts walk it (e2e and the app benchmark): the device
// set up, a new screening started, items answered until the outcome, optionally with the
// hand-over view.
import { fail, sleep } from './webdriver.mjs';

export const OFFICER = 'e2e-officer-7';
export const SECRET = 'lantern orchard quietly 42';

// Answers by item id; anything else gets the default for its answer type.
export const ADULT = {
  'in-danger': 'no',
  'needs-medical': 'no',
  'documents-held': 'seen',
  'companion-answers': 'seen',
  consent: 'yes',
  'under-18': 'no',
  'works-for-someone': 'yes',
  'papers-kept': 'declined',
  'legal-threats': 'yes',
  'afraid-to-leave': 'not-sure',
  'promise-broken': 'yes',
};
export const MINORS = {
  'in-danger': 'no',
  'older-partner-or-group-adult': 'seen',
  'okay-to-ask': 'yes',
  'safe-place': 'not-sure',
  'traded-sex': 'yes',
};
const DEFAULTS = { 'yes-no': 'no', observation: 'not-seen', read: 'read' };
// The person holds the device from the first of these questions until the officer takes it back.
export const HANDOVER_FROM = 'under-18';
export const HANDOVER_UNTIL = 'legal-threats';

const verbose = !!process.env.E2E_VERBOSE;

export async function expectText(page, css, want, what) {
  const text = await page.text(css);
  if (!text.includes(want)) fail(`${what}: "${want}" not in:\n${text}`);
}

export async function newScreening(page, { protocol, language, interpreter, type = 'traffic-stop', setting = 'unknown', shot = null }) {
  await page.click('[data-action="new-screening"]');
  await page.find('[data-screen="new-screening"]');
  await expectText(page, '[data-part="interpreter-warning"]', 'companion', 'the interpreter warning');
  await page.select('[data-field="encounter-type"]', type);
  await page.select('[data-field="setting"]', setting);
  await page.click(`[data-protocol="${protocol}"]`);
  await page.click(`[data-language="${language}"]`);
  await page.click(`[data-interpreter="${interpreter}"]`);
  if (shot) await page.shot(shot);
  await page.click('[data-action="start"]');
}

/** Answers items until the outcome shows; returns the ids walked. */
export async function walk(page, answers, { stopAt = null, shots = {}, handover = null } = {}) {
  const seen = [];
  let inHandover = false;
  for (let step = 0; step < 120; step++) {
    const which = await page.first(['[data-screen="outcome"]', '[data-item-id]', '[data-screen="unlock"]']);
    if (which === 0) return seen;
    if (which === 2) fail(`the app locked itself during the walk (after ${seen.at(-1)})`);
    const id = await page.attr('[data-item-id]', 'data-item-id');
    if (seen.at(-1) === id) {
      await sleep(100);
      continue;
    }
    seen.push(id);
    if (verbose) console.log(`  item ${id}${inHandover ? ' (hand-over)' : ''}`);

    if (handover && id === handover.from && !inHandover) {
      await page.click('[data-action="handover"]');
      await page.find('[data-screen="handover"]');
      inHandover = true;
    }
    if (handover && id === handover.until && inHandover) {
      // The person gives the device back: only the officer's secret leaves the hand-over view.
      if (await page.exists('[data-action="lock"]')) fail('the hand-over view shows the Lock button');
      if (await page.exists('[data-action="back"]')) fail('the hand-over view shows Back');
      await page.click('[data-action="officer"]');
      await page.type('[data-field="handover-secret"]', 'not the secret');
      await page.click('[data-action="officer-unlock"]');
      await page.find('#handover-secret-error:not(:empty)', 15000);
      if (!(await page.exists('[data-screen="handover"]'))) fail('a wrong secret left the hand-over view');
      // After a failure the backend makes the next try wait (a doubling delay, like unlocking).
      await sleep(2500);
      await page.type('[data-field="handover-secret"]', SECRET);
      await page.click('[data-action="officer-unlock"]');
      await page.gone('[data-screen="handover"]', 15000);
      inHandover = false;
      handover.left = true;
    }

    if (inHandover) {
      if (await page.exists('[data-action="stop"]')) fail('the officer stop button is on the hand-over view');
      if (!(await page.exists('[data-action="person-stop"]'))) fail(`no "I want to stop" on hand-over item ${id}`);
      if (shots[`handover:${id}`]) await page.shot(shots[`handover:${id}`]);
      const answer = answers[id] ?? 'no';
      await page.click(`[data-screen="handover"] [data-token="${answer}"]`);
      handover.count = (handover.count ?? 0) + 1;
      continue;
    }

    if (!(await page.exists('[data-action="stop"]'))) fail(`no stop button on item ${id}`);
    const type = await page.attr('section[data-item-id]', 'data-answer-type');
    if (shots[id]) await page.shot(shots[id]);
    if (id === stopAt) {
      await page.click('[data-action="stop"]');
      continue;
    }
    const answer = answers[id] ?? DEFAULTS[type] ?? fail(`no default answer for ${id} (${type})`);
    await page.click(`[data-token="${answer}"]`);
  }
  fail('the walk did not reach an outcome in 120 steps');
}

/** Fills first-run setup with the walk's officer and secret (the caller submits it). */
export async function setupDevice(page) {
  await page.find('[data-screen="setup"]', 30000);
  await page.type('[data-field="officer"]', OFFICER);
  await page.type('[data-field="secret"]', SECRET);
  await page.type('[data-field="confirm"]', SECRET);
}
