import type { CompiledRule } from '../rules/types.js';
import type { Finding } from '../scanner/finding.js';
import type { SourceWarning } from '../sources/types.js';

export interface ReportInput {
  findings: Finding[];
  rules: readonly CompiledRule[];
  stats: { files: number; bytes: number; durationMs: number };
  warnings: SourceWarning[];
  /** Findings left out by `neevscan:allow` and by the baseline. */
  suppressed: { inline: number; baseline: number };
  /** What was scanned, for the text summary: "staged changes", "history main..HEAD", a folder. */
  scope: string;
}
