#!/usr/bin/env node
import { statSync } from 'node:fs';

// Marks (here, in `scan` and in `--staged`) cost nothing unless read; `npm run bench:staged` reads them.
performance.mark('neevscan:start');

// `npm run build` bundles the CLI into dist/bundle/neevscan.js (scripts/bundle-cli.mjs), which starts faster than
// dist/cli/main.js and its ~50 modules. A bundle older than the last tsc build (`npx tsc` alone, during
// development) would run stale code, so then, or without a bundle, the CLI runs from dist/cli/main.js.
const mtime = (path) => statSync(new URL(path, import.meta.url), { throwIfNoEntry: false })?.mtimeMs;
const bundled = mtime('../dist/bundle/neevscan.js');
const compiled = mtime('../dist/.tsbuildinfo');
const { main } = await (bundled !== undefined && (compiled === undefined || bundled >= compiled)
  ? import('../dist/bundle/neevscan.js')
  : import('../dist/cli/main.js'));
performance.mark('neevscan:loaded');

process.exitCode = await main(process.argv.slice(2));
