// Part of `npm run build`, after bundle-cli.mjs: writes V8's code cache for dist/bundle/scan.cjs (the
// `scan --staged` and `scan PATH` bundle) to dist/bundle/scan.cjs.cache, which bin/neevscan.js hands to V8 so that
// it compiles none of the functions a pre-commit scan or a folder scan runs. The cache is made after such scans (of
// a throw-away repository with a staged key, and of its folder, in a child process whose output is dropped), so it
// holds those functions, not only the top level. V8 refuses a cache made by another Node version, for other flags or other source; the
// bundle is then compiled as usual.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUNDLE = join(ROOT, 'dist', 'bundle', 'scan.cjs');
const CACHE = `${BUNDLE}.cache`;

if (process.argv[2] === '--warm') {
  // In the throw-away repository: compile the bundle as bin/neevscan.js does, scan, then save what V8 compiled.
  const { loadBundle } = (await import('../bin/load-bundle.cjs')).default;
  const { script, exports } = loadBundle(BUNDLE, undefined);
  // The hook's text report and the JSON one (the benchmark's), so that both paths are in the cache.
  const text = await exports.runScanFast(['scan', '--staged']);
  const json = await exports.runScanFast(['scan', '--staged', '--format', 'json']);
  const folder = await exports.runScanFast(['scan', '.', '--format', 'json']);
  process.exitCode = text === json && json === folder ? text : 2;
  process.on('exit', () => writeFileSync(CACHE, script.createCachedData()));
} else {
  rmSync(CACHE, { force: true });
  const repo = mkdtempSync(join(tmpdir(), 'neevscan-code-cache-'));
  try {
    const git = (...args) => spawnSync('git', args, { cwd: repo, stdio: 'ignore' });
    git('init', '-q');
    const { generateKey } = await import('../dist/key-format/key.js');
    writeFileSync(join(repo, 'config.ts'), `export const NEEV_API_KEY = "${generateKey()}";\n`);
    git('add', '-A');
    const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--warm'], { cwd: repo, stdio: 'ignore' });
    if (run.status !== 1) {
      rmSync(CACHE, { force: true });
      console.error(`staged-code-cache: the warm-up scan exited ${run.status}; no code cache (the CLI works without one)`);
    }
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}
