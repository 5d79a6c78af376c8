import type { Located } from '../scanner/finding.js';
import { fingerprintOf } from '../scanner/fingerprint.js';
import type { SourceFinding } from './types.js';

/** Names the place of the engine's findings: the file (and commit) they were found in. */
export function placeFindings(found: readonly Located[], file: string, commit: string | null): SourceFinding[] {
  return found.map((f) => ({
    ruleId: f.ruleId,
    file,
    line: f.line,
    column: f.column,
    endLine: f.endLine,
    endColumn: f.endColumn,
    commit,
    secretSha256: f.secretSha256,
    redacted: f.redacted,
    fingerprint: fingerprintOf({ ruleId: f.ruleId, file, line: f.line, commit, secretSha256: f.secretSha256 }),
    allowed: f.allowed,
  }));
}
