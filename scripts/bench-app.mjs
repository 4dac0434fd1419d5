// App benchmark in the real window (run by scripts/bench-app.sh under Xvfb): cold start to an
// interactive unlock screen, and the memory of the app and its WebKit processes (proportional
// set size, so shared pages are counted once) after a full screening. Figures go to
// FIELDSCREEN_BENCH_OUT as JSON lines, like every other benchmark.
import { appendFileSync, readFileSync, readdirSync } from 'node:fs';
import { withApp } from './webdriver.mjs';
import { ADULT, SECRET, newScreening, setupDevice, walk } from './walks.mjs';

const SMOKE = process.argv.includes('--smoke');
const STARTS = SMOKE ? 1 : 5;

function report(figure, value, unit, goal, note = '') {
  const met = goal == null ? null : value <= goal;
  const mark = SMOKE ? '(smoke run: not a measurement)' : met == null ? '' : met ? 'met' : 'NOT met';
  console.log(`  ${figure.padEnd(58)} ${value.toFixed(value >= 100 ? 0 : 1).padStart(12)} ${unit.padEnd(5)} ${goal == null ? '' : `at most ${goal} ${unit}`.padEnd(22)} ${mark}`);
  if (process.env.FIELDSCREEN_BENCH_OUT) {
    appendFileSync(process.env.FIELDSCREEN_BENCH_OUT, JSON.stringify({ figure, value, unit, goal, better: 'lower', met, note, smoke: SMOKE }) + '\n');
  }
}

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)];

/** Processes of the app under test: the app binary and the WebKit processes it started. */
function appProcesses(app) {
  const procs = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
      procs.push({ pid: Number(pid), ppid, cmd });
    } catch {
      /* gone */
    }
  }
  const root = procs.filter((p) => p.cmd === app).map((p) => p.pid);
  const ours = new Set(root);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) if (!ours.has(p.pid) && ours.has(p.ppid)) (ours.add(p.pid), (grew = true));
  }
  return [...ours];
}

function pssKiB(pid) {
  try {
    const m = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').match(/^Pss:\s+(\d+) kB/m);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

async function main() {
  // First-run setup once, so that every start below lands on the unlock screen.
  await withApp('bench-app-setup', async (page) => {
    await setupDevice(page);
    await page.click('[data-action="setup"]');
    await page.find('[data-screen="home"]', 60000);
  });
  const starts = [];
  for (let i = 0; i < STARTS; i++) {
    const t0 = performance.now();
    await withApp('bench-app-start', async (page) => {
      await page.find('[data-screen="unlock"] [data-field="unlock-secret"]', 60000);
      starts.push(performance.now() - t0);
    });
  }
  report('app cold start to an interactive unlock screen', median(starts), 'ms', 3000, `median of ${STARTS}, includes launching through WebDriver`);

  await withApp('bench-app-memory', async (page) => {
    await page.type('[data-field="unlock-secret"]', SECRET);
    await page.click('[data-action="unlock"]');
    await page.find('[data-screen="home"]', 30000);
    await newScreening(page, { protocol: 'adult-roadside', language: 'es', interpreter: 'screen' });
    await walk(page, ADULT);
    await page.find('[data-screen="outcome"]');
    const app = process.env.FIELDSCREEN_APP;
    const pids = appProcesses(app);
    if (pids.length < 2) throw new Error(`found ${pids.length} processes of ${app}; expected the app and its WebKit processes`);
    const kib = pids.reduce((sum, pid) => sum + pssKiB(pid), 0);
    report('app memory after a full screening (PSS, app + WebKit)', kib / 1024, 'MiB', 400, `${pids.length} processes`);
  });
}

main().catch((e) => {
  console.error(`bench-app: ${e.message}`);
  process.exit(1);
});
