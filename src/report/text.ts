import { terminalSafe } from './terminal-safe.js';
import type { ReportInput } from './types.js';

export interface TextStyle {
  color: boolean;
}

const paint = (on: boolean, code: string) => (text: string) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);

/** Human-readable size: 1.2 MiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * `--format text`: one line per finding (file:line:column, rule, redacted key,
 * commit), then what to do about each rule that fired, then a summary. Names
 * from outside (files, paths, the scope) are printed terminal-safe.
 */
export function renderText(input: ReportInput, style: TextStyle): string {
  const bold = paint(style.color, '1');
  const red = paint(style.color, '31');
  const dim = paint(style.color, '2');
  const yellow = paint(style.color, '33');
  const lines: string[] = [];
  for (const f of input.findings) {
    const commit = f.commit ? dim(`  commit ${f.commit.slice(0, 12)}`) : '';
    lines.push(
      `${bold(`${terminalSafe(f.file)}:${f.line}:${f.column}`)}  ${red(terminalSafe(f.ruleId))}  ${terminalSafe(f.redacted)}${commit}`,
    );
  }
  const fired = new Set(input.findings.map((f) => f.ruleId));
  for (const rule of input.rules) {
    if (!fired.has(rule.id)) continue;
    lines.push(
      '',
      `${bold('What to do')} (${terminalSafe(rule.description)}):`,
      `  ${terminalSafe(rule.remediation ?? 'Remove the secret, revoke it and issue a new one.')}`,
    );
    lines.push(
      `  A test fixture that must stay: add ${bold('neevscan:allow')} in a comment on its line, or record it with --write-baseline.`,
    );
  }
  for (const w of input.warnings) lines.push(yellow(`warning: ${terminalSafe(w.path)}: ${terminalSafe(w.reason)}`));
  if (lines.length > 0) lines.push('');
  lines.push(summary(input, style));
  return lines.join('\n') + '\n';
}

export function summary(input: ReportInput, style: TextStyle): string {
  const n = input.findings.length;
  const head =
    n === 0 ? paint(style.color, '32')('no secrets found') : paint(style.color, '1;31')(`${n} secret${n === 1 ? '' : 's'} found`);
  const parts = [
    `${input.stats.files} file${input.stats.files === 1 ? '' : 's'}`,
    formatBytes(input.stats.bytes),
    `${input.stats.durationMs} ms`,
  ];
  const suppressed = input.suppressed.inline + input.suppressed.baseline;
  if (suppressed > 0) parts.push(`${suppressed} allowed`);
  if (input.warnings.length > 0) parts.push(`${input.warnings.length} skipped`);
  return `neevscan: ${head} in ${terminalSafe(input.scope)} (${parts.join(', ')})`;
}
