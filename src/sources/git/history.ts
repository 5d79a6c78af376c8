import { availableParallelism } from 'node:os';
import type { CompiledRule } from '../../rules/types.js';
import { scanBuffer } from '../../scanner/scan-buffer.js';
import type { Progress, SourceResult } from '../types.js';
import type { Located } from '../../scanner/finding.js';
import { indexBlobs, type BlobIndex } from './blob-index.js';
import { BlobReaders } from './blob-readers.js';
import { keysAtBoundary } from './boundary-keys.js';
import { FirstSightings } from './first-sightings.js';
import { historyRoot } from './run.js';
import { SkippedBlobs } from './skipped-blobs.js';

/** Blobs the first reader is given before a second starts: a short history is not worth another git process. */
const SECOND_READER_AFTER = 64;
const MAX_READERS = 4;

export interface HistoryOptions {
  rules: readonly CompiledRule[];
  maxFileSize: number;
  onProgress?: Progress;
  /** `git cat-file` processes reading blobs side by side; default one per core, at most 4, more than one for long histories. */
  readers?: number;
}

/**
 * `neevscan scan --git [RANGE]`: scans every blob a history introduced, once,
 * however many commits and paths hold it (as Nosey Parker does), and reports
 * each key at the commit and path that introduced it. Without RANGE: the
 * commits reachable from any ref (`git log --all`); with it, what `git log
 * RANGE` lists (`main..HEAD`, or one revision for its whole ancestry), less
 * keys the files already held where the range starts. A repository with no
 * commits yet has no history: nothing found, no error. Works in bare and
 * mirror clones (a server's copy) too: only objects are read, never the work tree.
 */
export async function scanHistory(cwd: string, range: string | undefined, options: HistoryOptions): Promise<SourceResult> {
  const root = await historyRoot(cwd);
  const result: SourceResult = { findings: [], files: 0, bytes: 0, warnings: [] };
  // What reading found, by blob: a blob's paths are only all known once the log has ended, so credit waits till then.
  const found = new Map<string, Located[]>();
  const notRead = new Map<string, { reason: string; size: number }>();
  // Set once the log has ended; read before that by the progress callback (so not a const).
  // eslint-disable-next-line prefer-const
  let total: number | undefined;
  // git's zlib inflation is the cost: one `git cat-file` per core, fed while the log still streams, each drained by
  // this thread, which scans blobs as they arrive (scanning is a few percent of git's time). Worker threads as
  // readers were tried: they cost twice the CPU for no gain on 2 cores.
  const readers = new BlobReaders(root, {
    readers: options.readers ?? Math.min(MAX_READERS, availableParallelism()),
    startMoreAfter: options.readers === undefined ? SECOND_READER_AFTER : 0,
    maxSize: options.maxFileSize,
    // A larger delta cache: reading every version of every file in history order is the case it is for.
    deltaBaseCacheLimit: '256m',
    onBlob: (oid, content) => {
      result.files++;
      result.bytes += content.length;
      // Findings keep hashes and positions, never the bytes: the reader reuses `content`'s buffer.
      const located = scanBuffer(content, options.rules);
      if (located.length > 0) found.set(oid, located);
      options.onProgress?.({ files: result.files, bytes: result.bytes, total });
    },
    onSkipped: (oid, reason, size) =>
      notRead.set(
        oid,
        reason.startsWith('missing')
          ? { reason: 'missing from the repository (shallow or partial clone?)', size: 0 }
          : { reason: 'larger than --max-file-size', size },
      ),
  });
  let index: BlobIndex;
  try {
    index = await indexBlobs(root, range, { blob: (oid, path) => readers.add(oid, path), chunk: () => readers.flush() });
  } catch (error) {
    readers.abort();
    throw error;
  }
  total = index.blobs.size - notRead.size;
  const [old] = await Promise.all([keysAtBoundary(root, index.boundary, options.rules, options.maxFileSize), readers.finish()]);

  // In the log's order, whatever order the readers finished in: the same report every time.
  const sightings = new FirstSightings();
  const skipped = new SkippedBlobs(index.commits);
  for (const [oid, introductions] of index.blobs) {
    const located = found.get(oid);
    if (located) sightings.add(located, introductions);
    const skip = notRead.get(oid);
    if (skip) skipped.add(introductions, skip.reason, skip.size);
  }
  result.findings = sightings.findings(index.commits, old);
  result.warnings = skipped.warnings();
  return result;
}
