// Part of `npm run build`, after tsc: bundles the CLI's scan path (dist/cli/main.js, commander, the scan command,
// the sources, the scanner, the rules loader, the reports) into one file, dist/bundle/neevscan.js, which
// bin/neevscan.js runs. One file instead of ~50 ES modules and commander's CommonJS files saves the module
// loader's resolving, reading and linking of each, a large part of a pre-commit scan's start-up.
//
// What stays outside the bundle, loaded from dist/ or node_modules as before:
// - the other commands (serve, worker, poll, owners, keys, rules, install-hook): they keep their own imports,
//   so the service's dependencies still never load for `scan`;
// - dist/errors.js, so that `instanceof NeevscanError` in main holds for errors those commands throw;
// - every package but commander (re2 is a native addon; yaml and ignore are required lazily).
// `import.meta.url` in each bundled module is rewritten to the URL its dist/ file would have, so paths built from
// it (package.json, rules/, builtin-rules.json, the worker script) point where they did.
import { readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const OUT_DIR = join(DIST, 'bundle');
const ENTRY = join(DIST, 'cli', 'main.js');
const BUNDLED_PACKAGES = new Set(['commander']);
const BUNDLED_COMMANDS = new Set(['./commands/scan.js']);
// What each CommonJS bundle leaves as imports of dist/ files: the sources its command lines never run.
const sourcesAt = (...files) => new Set(files.map((file) => join(DIST, 'sources', file)));
const SCAN_EXTERNAL = sourcesAt('stdin.js', join('git', 'history.js'));
const STAGED_EXTERNAL = sourcesAt('paths.js', 'stdin.js', join('git', 'history.js'));
const HISTORY_EXTERNAL = sourcesAt('paths.js', 'stdin.js');

const toPosix = (path) => path.split(sep).join('/');
const fromBundle = (file) => {
  const rel = toPosix(relative(OUT_DIR, file));
  return rel.startsWith('.') ? rel : `./${rel}`;
};

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // Installs without dev dependencies have no esbuild; bin/neevscan.js then runs dist/cli/main.js, as before.
  console.error('bundle-cli: esbuild is not installed; the CLI will run unbundled from dist/');
  process.exit(0);
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const external = Object.keys(pkg.dependencies ?? {}).filter((name) => !BUNDLED_PACKAGES.has(name));

/**
 * Keeps dist/'s layout for what stays outside a bundle: `external(importer, target)` names the dist/ files left
 * as imports (of their dist/ path, relative to the bundle), and `import.meta.url` in each bundled module becomes
 * the URL its dist/ file would have (`base`: the bundle file's own URL, as an expression).
 * @returns {import('esbuild').Plugin}
 */
const keepDistLayout = (external, base) => ({
  name: 'keep-dist-layout',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (!args.importer.startsWith(DIST)) return undefined;
      const target = join(dirname(args.importer), args.path);
      if (external(args.importer, args.path, target)) return { path: fromBundle(target), external: true };
      return undefined;
    });
    build.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(DIST + sep)) return undefined;
      const text = readFileSync(args.path, 'utf8');
      const url = `new URL(${JSON.stringify(fromBundle(args.path))}, ${base}).href`;
      return { contents: text.replaceAll('import.meta.url', url), loader: 'js', resolveDir: dirname(args.path) };
    });
  },
});

const common = { bundle: true, platform: 'node', target: 'node20', outdir: OUT_DIR, legalComments: 'none', logLevel: 'warning' };

await esbuild.build({
  ...common,
  entryPoints: { neevscan: ENTRY },
  format: 'esm',
  external,
  plugins: [
    keepDistLayout(
      (importer, path, target) =>
        (importer === ENTRY && path.startsWith('./commands/') && !BUNDLED_COMMANDS.has(path)) || target === join(DIST, 'errors.js'),
      'import.meta.url',
    ),
  ],
  // commander is CommonJS and requires Node's built-ins; an ES module has no `require` of its own.
  banner: { js: "import { createRequire as __neevscanRequire } from 'node:module';\nconst require = __neevscanRequire(import.meta.url);" },
  // Modules the CLI imports lazily stay in chunks of their own (a staged scan never loads the folder walker, the
  // worker pool or the history reader); every file lands in dist/bundle/, which `import.meta.url` above relies on.
  splitting: true,
  chunkNames: 'chunk-[hash]',
});

// `scan --staged`, `scan PATH...` and `scan --git [RANGE]` (src/cli/scan-fast.ts): CommonJS files, no commander, no
// chunks. CommonJS because Node loads them with `require` straight from bin/neevscan.js: no ES module loader, and
// Node's built-ins come without the ES module facade that reads every export (for node:fs that loads its streams);
// through the ES module loader and its chunks, a folder scan spent ~35 ms more, a history scan ~30 ms. Three bundles
// of the same entry: staged.cjs for the pre-commit hook, without the folder scan (a third more code to load for
// every commit) or the history; scan.cjs with the folder scan; history.cjs with the history. What a bundle's command
// lines never run (stdin always) stays an import of its dist/ file.
for (const [name, leftOut] of [
  ['staged', STAGED_EXTERNAL],
  ['scan', SCAN_EXTERNAL],
  ['history', HISTORY_EXTERNAL],
]) {
  await esbuild.build({
    ...common,
    entryPoints: { [name]: join(DIST, 'cli', 'scan-fast.js') },
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
    external: Object.keys(pkg.dependencies ?? {}),
    plugins: [keepDistLayout((importer, path, target) => leftOut.has(target), '__neevscanUrl')],
    banner: { js: "const __neevscanUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
}
