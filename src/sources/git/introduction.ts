/** The blob index's vocabulary, shared by the log's two parsers (blob-index.ts, native-log.ts). */

/** Where a blob first appeared at one path: the earliest commit (parents before children) that put it there. */
export interface Introduction {
  path: string;
  /** Index into BlobIndex.commits. */
  commit: number;
}

/** Told of each blob as the log first shows it, so that reading can start before the log ends. */
export interface IndexListener {
  blob(oid: string, path: string): void;
  /** A piece of the log has been parsed: a good moment to pass on the blobs found in it. */
  chunk(): void;
}
