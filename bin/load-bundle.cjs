// Loads a CommonJS bundle as `require` would, but compiled with V8's code cache: `file`.cache, written by
// `npm run build` (scripts/scan-code-cache.mjs) after the bundle. V8 checks a cache against its own version,
// its flags and the source's length, not the source itself, so one older than the bundle is never used.
'use strict';
const { readFileSync, statSync } = require('node:fs');
const { createRequire, wrap } = require('node:module');
const { dirname } = require('node:path');
const { Script } = require('node:vm');

/** The cache beside `file` when it was made after it, else undefined. */
function freshCache(file) {
  const cache = `${file}.cache`;
  const made = statSync(cache, { throwIfNoEntry: false })?.mtimeMs;
  return made !== undefined && made >= statSync(file).mtimeMs ? readFileSync(cache) : undefined;
}

/** Runs the bundle; returns its exports and the compiled script (whose createCachedData() makes the cache). */
function loadBundle(file, cachedData = freshCache(file)) {
  const script = new Script(wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return { script, exports: module.exports };
}

module.exports = { loadBundle };
