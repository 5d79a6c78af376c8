// npm may skip the install scripts of dependencies (npm 11's allowScripts, or
// --ignore-scripts), which leaves `re2` without its native binding. This runs
// from `prepare`: if re2 does not load, build it from source with node-gyp.
import { execSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function loads() {
  try {
    const RE2 = require('re2');
    return new RE2('a+').exec('baa')?.[0] === 'aa';
  } catch {
    return false;
  }
}

if (!loads()) {
  console.error('neevscan: building the re2 native module (npm skipped its install script)…');
  // No prebuilt download: build from the sources in the package.
  execSync('npm rebuild re2 --ignore-scripts=false', {
    stdio: 'inherit',
    env: { ...process.env, RE2_DOWNLOAD_SKIP_PATH: '1', RE2_DOWNLOAD_SKIP_VER: '1' },
  });
  if (!loads()) {
    console.error('neevscan: re2 still does not load; trying node-gyp directly');
    execSync('npx --no-install node-gyp rebuild -j max', {
      stdio: 'inherit',
      cwd: new URL('../node_modules/re2/', import.meta.url).pathname,
    });
  }
  if (!loads()) {
    console.error('neevscan: could not build re2 (it needs python3, make and a C++ compiler)');
    process.exit(1);
  }
}
