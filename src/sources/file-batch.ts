import type { Located } from '../scanner/finding.js';
import type { FileOutcome } from './read-file.js';
import type { WalkedFile } from './walk.js';

/** What scanning one file of a folder gave, as the folder scan reports it. */
export interface FileResult {
  relative: string;
  path: string;
  bytes: number;
  findings: Located[];
  /** Set when the file could not be scanned. */
  skipped?: string;
}

export function toFileResult(file: WalkedFile, outcome: FileOutcome): FileResult {
  return outcome.kind === 'scanned'
    ? { relative: file.relative, path: file.path, bytes: outcome.bytes, findings: outcome.findings }
    : { relative: file.relative, path: file.path, bytes: 0, findings: [], skipped: outcome.reason };
}
