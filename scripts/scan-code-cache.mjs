// Part of `npm run build`, after bundle-cli.mjs: writes V8's code cache for dist/bundle/staged.cjs (`scan --staged`),
// dist/bundle/scan.cjs (`scan PATH`) and dist/bundle/history.cjs (`scan --git`) beside each (`.cache`), which
// bin/neevscan.js hands to V8 so that it compiles none of the functions a pre-commit scan, a folder scan or a history
// scan runs. Each cache is made after such scans (of a throw-away repository with a staged key, of its folder, then
// of its history once the key is committed, in a child process whose output is dropped), so it holds those
// functions, not only the top level. V8 refuses a cache made by another Node version, for other flags
// or other source; the bundle is then compiled as usual.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// Each bundle, and the scans that warm it: the hook's text report and the JSON one (the benchmark's); a folder's.
const WARM_UPS = {
  staged: [
    ['scan', '--staged'],
    ['scan', '--staged', '--format', 'json'],
  ],
  scan: [
    ['scan', '.'],
    ['scan', '.', '--format', 'json'],
  ],
  // After the key is committed: the whole history (the pack-less path: the throw-away repository has loose objects) and a range.
  history: [
    ['scan', '--git'],
    ['scan', '--git', '--format', 'json'],
    ['scan', '--git', 'HEAD'],
  ],
};
const bundleOf = (name) => join(ROOT, 'dist', 'bundle', `${name}.cjs`);

if (process.argv[2] === '--warm') {
  // In the throw-away repository: compile the bundle as bin/neevscan.js does, scan, then save what V8 compiled.
  const name = process.argv[3];
  const { loadBundle } = (await import('../bin/load-bundle.cjs')).default;
  const { script, exports } = loadBundle(bundleOf(name), undefined);
  const statuses = [];
  for (const argv of WARM_UPS[name]) statuses.push(await exports.runScanFast(argv));
  process.exitCode = statuses.every((status) => status === statuses[0]) ? statuses[0] : 2;
  process.on('exit', () => writeFileSync(`${bundleOf(name)}.cache`, script.createCachedData()));
} else {
  for (const name of Object.keys(WARM_UPS)) rmSync(`${bundleOf(name)}.cache`, { force: true });
  const repo = mkdtempSync(join(tmpdir(), 'neevscan-code-cache-'));
  try {
    const git = (...args) => spawnSync('git', args, { cwd: repo, stdio: 'ignore' });
    git('init', '-q');
    const { generateKey } = await import('../dist/key-format/key.js');
    writeFileSync(join(repo, 'config.ts'), `export const NEEV_API_KEY = "${generateKey()}";\n`);
    git('add', '-A');
    for (const name of Object.keys(WARM_UPS)) {
      if (name === 'history') git('-c', 'user.name=neevscan', '-c', 'user.email=build@neevscan.invalid', 'commit', '-q', '-m', 'a key');
      const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--warm', name], { cwd: repo, stdio: 'ignore' });
      if (run.status !== 1) {
        rmSync(`${bundleOf(name)}.cache`, { force: true });
        console.error(`scan-code-cache: the ${name} warm-up scan exited ${run.status}; no code cache for it (the CLI works without one)`);
      }
    }
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}
