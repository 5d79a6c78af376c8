import type { Finding } from '../scanner/finding.js';

/** A finding as a source reports it, before suppressions are applied. */
export type SourceFinding = Finding & {
  /** The secret's line carries `neevscan:allow`. */
  allowed: boolean;
};

export interface SourceWarning {
  path: string;
  reason: string;
}

/** What every source (paths, stdin, --staged, --git) hands to the reporters. */
export interface SourceResult {
  findings: SourceFinding[];
  /** Files (or blobs) scanned. */
  files: number;
  bytes: number;
  /** Files that could not be read; the scan went on without them. */
  warnings: SourceWarning[];
}

export interface Progress {
  /** Called now and then with how far the scan is; `total` is unknown for some sources. */
  (done: { files: number; bytes: number; total?: number }): void;
}
