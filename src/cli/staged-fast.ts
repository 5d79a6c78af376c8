/**
 * The pre-commit hook's path: `neevscan scan --staged` and the scan options it
 * may carry, run without commander. `npm run build` bundles this module and
 * what it imports into one CommonJS file, dist/bundle/staged.cjs
 * (scripts/bundle-cli.mjs), which bin/neevscan.js loads for such a command line.
 * Anything else on the line (help, paths, --git, a bad value) goes to main.ts,
 * whose commander parses it and words its errors as before.
 */
import { runScan, type ScanOptions } from './commands/scan.js';
import { errorStatus } from './error-status.js';
import { SCAN_DEFAULTS, SCAN_FORMATS } from './scan-options.js';

const FORMATS = new Set<string>(SCAN_FORMATS);

/** The options that take a value (main.ts declares them with `<value>`), by flag. */
const VALUE_OPTIONS = new Map<string, 'format' | 'output' | 'rules' | 'maxFileSize' | 'baseline' | 'writeBaseline'>([
  ['--format', 'format'],
  ['--output', 'output'],
  ['--rules', 'rules'],
  ['--max-file-size', 'maxFileSize'],
  ['--baseline', 'baseline'],
  ['--write-baseline', 'writeBaseline'],
]);

/**
 * `argv` (after `node neevscan.js`) as commander parses `scan` in main.ts, with
 * its defaults, when it is `scan --staged` with long options only; undefined
 * for anything else. As in commander, a flag's value is the next argument
 * whatever it looks like, or follows `=`; a repeated flag's last value counts;
 * `--rules` collects.
 */
export function parseStagedArgs(argv: readonly string[]): ScanOptions | undefined {
  if (argv[0] !== 'scan') return undefined;
  const options: ScanOptions = { ...SCAN_DEFAULTS, rules: [] };
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--staged') options.staged = true;
    else if (arg === '--no-color') options.color = false;
    else {
      const equals = arg.indexOf('=');
      const key = VALUE_OPTIONS.get(equals > 2 ? arg.slice(0, equals) : arg);
      if (key === undefined) return undefined;
      const value = equals > 2 ? arg.slice(equals + 1) : argv[++i];
      if (value === undefined || (key === 'format' && !FORMATS.has(value))) return undefined; // commander's message
      if (key === 'rules') options.rules.push(value);
      else options[key] = value;
    }
  }
  return options.staged ? options : undefined;
}

/** Runs the scan and resolves to the exit status, as main.ts would; undefined (synchronously) when main.ts must parse `argv`. */
export function runStagedFast(argv: readonly string[]): Promise<number> | undefined {
  const options = parseStagedArgs(argv);
  if (!options) return undefined;
  return runScan([], options).catch(errorStatus);
}
