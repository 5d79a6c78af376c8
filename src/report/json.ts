import type { Finding } from '../scanner/finding.js';
import type { ReportInput } from './types.js';

/** `--format json`: the object docs/cli.md's "Output" documents, one line per finding field set, no raw secret. */
export function renderJson(input: ReportInput): string {
  const findings = input.findings.map((f: Finding) => ({
    ruleId: f.ruleId,
    file: f.file,
    line: f.line,
    column: f.column,
    endLine: f.endLine,
    endColumn: f.endColumn,
    commit: f.commit,
    secretSha256: f.secretSha256,
    redacted: f.redacted,
    fingerprint: f.fingerprint,
  }));
  const output = {
    version: 1,
    findings,
    stats: {
      files: input.stats.files,
      bytes: input.stats.bytes,
      durationMs: input.stats.durationMs,
      skipped: input.warnings.length,
      suppressed: input.suppressed,
    },
    warnings: input.warnings,
  };
  return JSON.stringify(output, null, 2) + '\n';
}
