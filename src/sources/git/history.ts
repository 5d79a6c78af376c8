import { availableParallelism } from 'node:os';
import type { CompiledRule } from '../../rules/types.js';
import { scanBuffer } from '../../scanner/scan-buffer.js';
import { keywordTails, keywordsOf, nativePrefilter } from '../native-prefilter.js';
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
  /** Take git's output apart in the native addon when it is built (default); false: in JavaScript (the results are the same). */
  native?: boolean;
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
  // git is the cost (the log's tree diffs, cat-file's inflation): one `git cat-file` per core, fed while the log still
  // streams. Where the addon is built, each one's output is taken apart on a thread of its own, which passes over
  // blobs without a keyword (nearly all) and hands this thread the rest to scan; without it, this thread reads and
  // scans every blob (Node's stream handling then cost more CPU than git). Worker threads as JavaScript readers were
  // tried: they cost twice the CPU for no gain on 2 cores.
  const readers = new BlobReaders(root, {
    native: options.native === false ? undefined : nativeReader(options.rules),
    onClean: (files, bytes) => {
      result.files += files;
      result.bytes += bytes;
      options.onProgress?.({ files: result.files, bytes: result.bytes, total });
    },
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

/** The native blob reader with every rule's keyword, when the addon is built and every rule has keywords. */
function nativeReader(rules: readonly CompiledRule[]) {
  const addon = nativePrefilter();
  const keywords = keywordsOf(rules);
  return addon && typeof addon.readBlobs === 'function' && keywords ? { addon, keywords, tails: keywordTails(rules) } : undefined;
}
