#!/usr/bin/env node
// CommonJS (bin/package.json says so): Node then runs this file without setting up its ES module loader, which
// `scan --staged` in a pre-commit hook never needs. Every other command imports its ES modules, as before.
'use strict';
const { statSync } = require('node:fs');
const { join } = require('node:path');

// Phase marks for `npm run bench:staged` (src/util/marks.ts); `performance` is not touched otherwise.
const mark = process.env.NEEVSCAN_MARKS === '1' ? (name) => performance.mark(`neevscan:${name}`) : () => {};
mark('start');

// `npm run build` bundles the CLI (scripts/bundle-cli.mjs): dist/bundle/staged.cjs, dist/bundle/scan.cjs and
// dist/bundle/history.cjs, one CommonJS file each for `scan --staged`, `scan PATH...` and `scan --git [RANGE]` (all
// src/cli/scan-fast.ts; each leaves out the sources its command lines never run), compiled with the code cache the build leaves beside each (load-bundle.cjs), and
// dist/bundle/neevscan.js for everything (the scan command and commander in one file, the other commands apart).
// A bundle older than the last tsc build (`npx tsc` alone, during development) would run stale code, so then, or
// without a bundle, the CLI runs from dist/cli/main.js.
const dist = join(__dirname, '..', 'dist');
const mtime = (path) => statSync(join(dist, path), { throwIfNoEntry: false })?.mtimeMs;
const compiled = mtime('.tsbuildinfo');
const fresh = (bundle) => {
  const built = mtime(bundle);
  return built !== undefined && (compiled === undefined || built >= compiled);
};

const argv = process.argv.slice(2);
let run;
const history = argv.some((arg) => arg === '--git' || arg.startsWith('--git='));
const scanBundle =
  argv[0] === 'scan' ? (argv.includes('--staged') ? 'bundle/staged.cjs' : history ? 'bundle/history.cjs' : 'bundle/scan.cjs') : undefined;
if (scanBundle && fresh(scanBundle)) {
  const { runScanFast } = require('./load-bundle.cjs').loadBundle(join(dist, scanBundle)).exports;
  mark('loaded');
  run = runScanFast(argv); // undefined: options it does not parse, for commander in main.js
}
run ??= import(fresh('bundle/neevscan.js') ? '../dist/bundle/neevscan.js' : '../dist/cli/main.js').then(({ main }) => {
  mark('loaded');
  return main(argv);
});
run.then((status) => {
  process.exitCode = status;
  if (argv[0] === 'scan') exitNow(status);
});

/**
 * Ends a scan as soon as it has said everything: Node's own teardown after the report (its platform's threads,
 * libuv's pool, the heap) took 6-7 ms of a pre-commit scan's ~150 (the rest of the 25 ms from the 'exit' event to
 * the parent seeing the process gone is the kernel's). The native addon's exitNow calls _exit. Only on Linux
 * (stdout and stderr, files, pipes and terminals alike, are written synchronously there), with nothing left in
 * either stream's buffer, and never where something still has to happen at exit: a profiler, coverage or a
 * preloaded module (any node flag or NODE_OPTIONS, but bench:staged's marks), or NEEVSCAN_NATIVE=0. 'exit'
 * listeners still run first. Anything else: Node exits as it always did. The addon's path is the one
 * src/sources/native-prefilter.ts loads (this CommonJS file cannot import that module without the ES module loader).
 */
function exitNow(status) {
  if (process.platform !== 'linux') return;
  // bench:staged's phase marks (NEEVSCAN_MARKS=1, preloaded with -r) are written by an 'exit' listener: allowed.
  if ((process.execArgv.length > 0 || process.env.NODE_OPTIONS) && process.env.NEEVSCAN_MARKS !== '1') return;
  if (process.env.NODE_V8_COVERAGE || process.env.NEEVSCAN_NATIVE === '0') return;
  if (process.stdout.writableLength > 0 || process.stderr.writableLength > 0) return;
  let addon;
  try {
    addon = require(join(__dirname, '..', 'native', 'build', 'Release', 'scan_prefilter.node'));
  } catch {
    return; // not built: Node's own exit
  }
  if (typeof addon.exitNow !== 'function') return;
  process.emit('exit', status);
  addon.exitNow(status);
}
