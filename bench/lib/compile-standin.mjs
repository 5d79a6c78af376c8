// Compiles the test GitHub stand-in (test/helpers/github) to plain JavaScript under
// bench/.data/standin-js, when its sources are newer than the output, for the benches that fork it
// (bench/lib/github-standin.mjs loads it from there).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const BENCH = join(HERE, '..');
const SRC = join(BENCH, '..', 'test', 'helpers', 'github');
const OUT = join(BENCH, '.data', 'standin-js');

export function compileStandIn(log = console.log) {
  const newest = (dir, ext) =>
    Math.max(
      0,
      ...readdirSync(dir)
        .filter((f) => f.endsWith(ext))
        .map((f) => statSync(join(dir, f)).mtimeMs),
    );
  if (existsSync(join(OUT, 'standin.js')) && newest(OUT, '.js') >= newest(SRC, '.ts')) return;
  log('compiling the GitHub stand-in (test/helpers/github) into bench/.data/standin-js …');
  const r = spawnSync(
    process.execPath,
    [join(BENCH, '..', 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(BENCH, 'standin.tsconfig.json')],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) throw new Error('tsc failed on the stand-in');
}
