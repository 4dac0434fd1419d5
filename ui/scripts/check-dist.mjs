// The production build must not carry the fake backend used by tests and the accessibility check.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const DIST = new URL('../dist/', import.meta.url).pathname;
const MARKERS = ['test-adult', 'van-workers', 'correct horse battery', 'shouldMockEvents'];
const files = [];
const walk = (d) => {
  for (const e of readdirSync(d, { withFileTypes: true })) {
    if (e.isDirectory()) walk(join(d, e.name));
    else files.push(join(d, e.name));
  }
};
walk(DIST);
const found = files.flatMap((f) => MARKERS.filter((m) => readFileSync(f, 'utf8').includes(m)).map((m) => `${f}: ${m}`));
if (found.length) {
  console.error(`check-dist: the fake backend is in the production build:\n  ${found.join('\n  ')}`);
  process.exit(1);
}
console.log(`check-dist: ${files.length} files, no fake backend`);
