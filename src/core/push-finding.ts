/**
 * What a push scan reports for each key it found, as the pipeline turns it
 * into exposures and the push memo keeps it in Redis. This module imports
 * nothing of the project.
 */

/** What every push finding has; never the secret itself. */
interface PushFindingBase {
  /** The file's path; for a key in the path itself, the path with the key replaced by its hint (`inPath`). */
  path: string;
  column: number;
  commit: string;
  secretSha256: string;
  redacted: string;
  ruleId: string;
  /** `neevscan:allow` does not hide a key (the marker is the pusher's to write): this says the line carried one. */
  allowMarker?: true;
}

/** A key in a file's content, at its line. */
export interface ContentFinding extends PushFindingBase {
  line: number;
  inPath?: undefined;
  /**
   * Set when the file's name holds a key (another one): `path` then has each key replaced by its hint,
   * and this is the deepest folder holding none, to link to.
   */
  folder?: string;
}

/** A key in the file's (or a folder's) name, not its content: no line. */
export interface NameFinding extends PushFindingBase {
  line: null;
  inPath: true;
  /** The deepest folder holding no key, to link to (`path` has each key replaced by its hint). */
  folder: string;
}

/** One secret the push (or a repository scan, or a wiki edit) added. */
export type PushFinding = ContentFinding | NameFinding;
