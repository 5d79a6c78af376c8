import { writeFileSync } from 'node:fs';
import { NeevscanError } from '../../errors.js';
import type { CompiledRule } from '../../rules/types.js';
import type { Finding } from '../../scanner/finding.js';
import type { ReportInput } from '../../report/types.js';
import type { SourceFinding, SourceResult } from '../../sources/types.js';
import { terminalSafe } from '../../report/terminal-safe.js';
import { clockMs, mark } from '../../util/marks.js';
import { readBaseline, writeBaseline } from '../baseline.js';
import { progressBar } from '../progress.js';
import { SCAN_FORMATS } from '../scan-options.js';

export interface ScanOptions {
  staged?: boolean;
  git?: string | boolean;
  format: string;
  output?: string;
  rules: string[];
  color: boolean;
  maxFileSize: string;
  baseline?: string;
  writeBaseline?: string;
  threads?: string;
}

const FORMATS: readonly string[] = SCAN_FORMATS;

function parseCount(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new NeevscanError(`${flag} takes a whole number of bytes, not "${value}"`, 'bad-argument');
  return Number(value);
}

/** `neevscan scan`: returns the exit status (0 nothing found, 1 findings). Errors throw NeevscanError (exit 2). */
export async function runScan(paths: string[], options: ScanOptions): Promise<number> {
  const started = clockMs();
  if (!FORMATS.includes(options.format))
    throw new NeevscanError(`--format must be one of ${FORMATS.join(', ')}, not "${options.format}"`, 'bad-argument');
  const maxFileSize = parseCount(options.maxFileSize, '--max-file-size');
  if (options.staged && options.git !== undefined) throw new NeevscanError('--staged and --git cannot be used together', 'bad-argument');
  if ((options.staged || options.git !== undefined) && paths.length > 0) {
    throw new NeevscanError(
      `--${options.staged ? 'staged' : 'git'} scans the repository of the current folder and takes no PATH`,
      'bad-argument',
    );
  }
  const baseline = options.baseline ? readBaseline(options.baseline) : undefined;
  // git answers while the rules load; the rules loader (with re2, a large native addon) is imported after git has
  // started for the same reason.
  const staged = options.staged ? (await import('../../sources/git/staged.js')).startStaged(process.cwd()) : undefined;
  mark('git-started');
  let rules: CompiledRule[];
  let progress: ReturnType<typeof progressBar>;
  try {
    rules = (await import('../../rules/load.js')).loadRules(options.rules);
    mark('rules');
    // A staged scan draws no progress (it takes a moment): nor does it need stderr, which a text report never writes.
    progress = staged ? { update: () => {}, done: () => {} } : progressBar();
  } catch (error) {
    staged?.cancel(); // or git's blob reader would wait for object names
    throw error;
  }

  let source: SourceResult;
  let scope: string;
  try {
    if (staged) {
      source = await staged.scan({ rules, maxFileSize });
      scope = 'staged changes';
    } else if (options.git !== undefined) {
      const range = typeof options.git === 'string' ? options.git : undefined;
      const { scanHistory } = await import('../../sources/git/history.js');
      source = await scanHistory(process.cwd(), range, { rules, maxFileSize, onProgress: progress.update });
      scope = range ? `history ${range}` : 'git history';
    } else if (paths.length === 1 && paths[0] === '-') {
      const { scanStdin } = await import('../../sources/stdin.js');
      source = await scanStdin(rules);
      scope = 'stdin';
    } else {
      if (paths.includes('-')) throw new NeevscanError("'-' (stdin) cannot be mixed with other paths", 'bad-argument');
      const { scanPaths } = await import('../../sources/paths.js');
      const targets = paths.length ? paths : ['.'];
      source = await scanPaths(targets, {
        rules,
        readOptions: { maxFileSize },
        onProgress: progress.update,
        threads: options.threads ? parseCount(options.threads, '--threads') : undefined,
      });
      scope = targets.join(' ');
    }
  } finally {
    progress.done();
  }

  const { findings, suppressed } = suppress(source.findings, baseline);
  const input: ReportInput = {
    findings: sortFindings(findings),
    rules,
    stats: { files: source.files, bytes: source.bytes, durationMs: Math.round(clockMs() - started) },
    warnings: source.warnings,
    suppressed,
    scope,
  };

  if (options.writeBaseline) {
    const count = writeBaseline(options.writeBaseline, input.findings);
    process.stderr.write(`neevscan: wrote ${count} secret${count === 1 ? '' : 's'} to baseline ${terminalSafe(options.writeBaseline)}\n`);
    return 0;
  }
  await emit(input, options);
  mark('reported');
  return input.findings.length > 0 ? 1 : 0;
}

function suppress(all: readonly SourceFinding[], baseline: Set<string> | undefined) {
  const suppressed = { inline: 0, baseline: 0 };
  const findings: Finding[] = [];
  for (const { allowed, ...finding } of all) {
    if (allowed) suppressed.inline++;
    else if (baseline?.has(finding.secretSha256)) suppressed.baseline++;
    else findings.push(finding);
  }
  return { findings, suppressed };
}

function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      a.column - b.column ||
      (a.commit ?? '').localeCompare(b.commit ?? ''),
  );
}

async function emit(input: ReportInput, options: ScanOptions): Promise<void> {
  const toFile = options.output !== undefined;
  const color = options.color && !toFile && process.stdout.isTTY === true && !process.env.NO_COLOR;
  let text: string;
  if (options.format === 'json') text = (await import('../../report/json.js')).renderJson(input);
  else if (options.format === 'sarif') text = (await import('../../report/sarif.js')).renderSarif(input);
  else text = (await import('../../report/text.js')).renderText(input, { color });
  if (toFile) {
    try {
      writeFileSync(options.output!, text);
    } catch (error) {
      throw new NeevscanError(`cannot write ${options.output}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, 'bad-output');
    }
  } else {
    await new Promise<void>((resolve) => process.stdout.write(text, () => resolve()));
  }
  if (options.format !== 'text' || toFile) {
    const { summary } = await import('../../report/text.js');
    process.stderr.write(summary(input, { color: options.color && process.stderr.isTTY === true && !process.env.NO_COLOR }) + '\n');
  }
}
