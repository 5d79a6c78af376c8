/**
 * The scan command's fast path: `neevscan scan --staged` (the pre-commit hook),
 * `neevscan scan --git [RANGE]` and `neevscan scan [PATH...]` with the long
 * options they may carry, run without commander. `npm run build` bundles this
 * module and what it imports three times (scripts/bundle-cli.mjs):
 * dist/bundle/staged.cjs, which leaves the folder scan and the history out,
 * dist/bundle/history.cjs for `--git`, which leaves the folder scan out, and
 * dist/bundle/scan.cjs, which bin/neevscan.js loads for every other `scan`
 * command line. Anything else on the line (help, stdin, a short flag, a bad
 * value) goes to main.ts, whose commander parses it and words its errors as before.
 */
import { runScan, type ScanOptions } from './commands/scan.js';
import { errorStatus } from './error-status.js';
import { SCAN_DEFAULTS, SCAN_FORMATS } from './scan-options.js';

const FORMATS = new Set<string>(SCAN_FORMATS);

/** The options that take a value (main.ts declares them with `<value>`), by flag. */
const VALUE_OPTIONS = new Map<string, 'format' | 'output' | 'rules' | 'maxFileSize' | 'baseline' | 'writeBaseline' | 'threads'>([
  ['--format', 'format'],
  ['--output', 'output'],
  ['--rules', 'rules'],
  ['--max-file-size', 'maxFileSize'],
  ['--baseline', 'baseline'],
  ['--write-baseline', 'writeBaseline'],
  ['--threads', 'threads'],
]);

/**
 * `argv` (after `node neevscan.js`) as commander parses `scan` in main.ts, with
 * its defaults: the paths and the options, when it is `scan` with long options
 * only and no stdin (`-`), help or `--`; undefined for anything else.
 * As in commander, a flag's value is the next argument whatever it looks like,
 * or follows `=`; `--git`'s (optional) value is the next argument unless that
 * looks like an option; a repeated flag's last value counts; `--rules`
 * collects; paths may come between options.
 */
export function parseScanArgs(argv: readonly string[]): { paths: string[]; options: ScanOptions } | undefined {
  if (argv[0] !== 'scan') return undefined;
  const options: ScanOptions = { ...SCAN_DEFAULTS, rules: [] };
  const paths: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--staged') options.staged = true;
    else if (arg === '--no-color') options.color = false;
    else if (arg === '--git') {
      // commander's optional value: the next argument, unless it is a flag ('-' alone is a value).
      const next = argv[i + 1];
      options.git = next !== undefined && !(next.length > 1 && next.startsWith('-')) ? argv[++i]! : true;
    } else if (arg.startsWith('--git=')) {
      if (arg.length === '--git='.length) return undefined; // an empty range: main.ts's to word
      options.git = arg.slice('--git='.length);
    } else if (!arg.startsWith('-')) paths.push(arg);
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
  // A staged or history scan takes no PATH, nor both at once: runScan words those errors, but main.ts's path is the
  // one the tests pin down.
  if ((options.staged || options.git !== undefined) && paths.length > 0) return undefined;
  if (options.staged && options.git !== undefined) return undefined;
  return { paths, options };
}

/** The options of `scan --staged` as parseScanArgs reads them; undefined for any other command line. */
export function parseStagedArgs(argv: readonly string[]): ScanOptions | undefined {
  const parsed = parseScanArgs(argv);
  return parsed?.options.staged && parsed.paths.length === 0 ? parsed.options : undefined;
}

/** Runs the scan and resolves to the exit status, as main.ts would; undefined (synchronously) when main.ts must parse `argv`. */
export function runScanFast(argv: readonly string[]): Promise<number> | undefined {
  const parsed = parseScanArgs(argv);
  if (!parsed) return undefined;
  return runScan(parsed.paths, parsed.options).catch(errorStatus);
}
