/**
 * What a push scan reports for each key it found, as the pipeline turns it
 * into exposures and the push memo keeps it in Redis. This module imports
 * nothing of the project.
 */

/**
 * One secret the push added; never the secret itself. `neevscan:allow` does not hide it (the marker
 * is the pusher's to write): `allowMarker` says the line carried one.
 */
export interface PushFinding {
  /** The file's path; for a key in the path itself, the path with the key replaced by its hint (`inPath`). */
  path: string;
  /** Null for a key in the path. */
  line: number | null;
  column: number;
  commit: string;
  secretSha256: string;
  redacted: string;
  ruleId: string;
  allowMarker?: true;
  /** The key was in the file's (or a folder's) name, not its content. */
  inPath?: true;
  /**
   * Set when the path holds a key (this one, or another in the same file's name): `path` then has
   * each key replaced by its hint, and this is the deepest folder holding none, to link to.
   */
  folder?: string;
}
