// Part of `prepare` and `npm run build`: builds native/scan_prefilter.node (the folder scan's native pre-filter,
// native/scan-prefilter.c) with node-gyp against the running Node's own headers, so nothing is downloaded.
// It never fails the install or the build: without the addon, scans take the JavaScript path, which gives the
// same results (see src/sources/native-prefilter.ts). Skipped when the addon is newer than its sources.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NATIVE = join(dirname(fileURLToPath(import.meta.url)), '..', 'native');
const ADDON = join(NATIVE, 'build', 'Release', 'scan_prefilter.node');
// Every source beside binding.gyp: a file left off a hand-kept list would not trigger a rebuild when it changed.
const SOURCES = readdirSync(NATIVE)
  .filter((name) => /\.(c|h|gyp)$/.test(name))
  .map((name) => join(NATIVE, name));

const mtime = (path) => statSync(path, { throwIfNoEntry: false })?.mtimeMs;
const built = mtime(ADDON);
if (process.env.NEEVSCAN_NATIVE === '0') process.exit(0);
if (built !== undefined && SOURCES.every((source) => (mtime(source) ?? Infinity) <= built)) process.exit(0);

// The headers of the running Node (a distribution's package or the official tarball puts them in <prefix>/include/node).
const prefix = dirname(dirname(process.execPath));
const nodedir = existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
try {
  execFileSync(npx, ['--no-install', 'node-gyp', 'rebuild', '--silent', ...nodedir], {
    cwd: NATIVE,
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 180_000,
    shell: process.platform === 'win32',
  });
} catch (error) {
  const detail = String(error.stderr ?? error.message)
    .trim()
    .split('\n')
    .slice(-3)
    .join('\n');
  console.error(`neevscan: the native pre-filter was not built; folder scans use the JavaScript path (same results).\n${detail}`);
}
