import { availableParallelism } from 'node:os';
import type { CompiledRule } from '../../rules/types.js';
import { scanBuffer } from '../../scanner/scan-buffer.js';
import type { Progress, SourceResult } from '../types.js';
import { indexBlobs } from './blob-index.js';
import { blobSizes } from './blob-sizes.js';
import { readBlobs } from './cat-file.js';
import { keysAtBoundary } from './boundary-keys.js';
import { FirstSightings } from './first-sightings.js';
import { historyRoot } from './run.js';
import { splitByWeight } from './shares.js';
import { SkippedBlobs } from './skipped-blobs.js';

/** Below this much content, a second git process is not worth starting. */
const PARALLEL_MIN_BYTES = 8 * 1024 * 1024;
const MAX_READERS = 4;

export interface HistoryOptions {
  rules: readonly CompiledRule[];
  maxFileSize: number;
  onProgress?: Progress;
  /** `git cat-file` processes reading blobs side by side; default one per core, at most 4. */
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
  const index = await indexBlobs(root, range);
  const result: SourceResult = { findings: [], files: 0, bytes: 0, warnings: [] };
  const sizes = await blobSizes(root, [...index.blobs.keys()]);

  const skipped = new SkippedBlobs(index.commits);
  const toRead: Array<{ oid: string; size: number }> = [];
  for (const [oid, introductions] of index.blobs) {
    const size = sizes.get(oid);
    if (size === undefined) skipped.add(introductions, 'missing from the repository (shallow or partial clone?)');
    else if (options.maxFileSize > 0 && size > options.maxFileSize) skipped.add(introductions, 'larger than --max-file-size', size);
    else toRead.push({ oid, size });
  }

  const sightings = new FirstSightings();
  const total = toRead.length;
  const totalBytes = toRead.reduce((sum, blob) => sum + blob.size, 0);
  // Several `git cat-file` processes, each inflating its share on a core, all drained by this thread, which
  // scans each blob as it arrives (scanning is ~10x faster than git can produce). Worker threads as readers were
  // tried: they cost twice the CPU for no gain on 2 cores.
  const readers = totalBytes < PARALLEL_MIN_BYTES ? 1 : (options.readers ?? Math.min(MAX_READERS, availableParallelism()));
  const shares = splitByWeight(toRead, (blob) => blob.size, readers).map((share) => share.map((blob) => blob.oid));
  const [old] = await Promise.all([
    keysAtBoundary(root, index.boundary, options.rules, options.maxFileSize),
    ...shares.map((share) =>
      readBlobs(
        root,
        share,
        (oid, content) => {
          result.files++;
          result.bytes += content.length;
          const found = scanBuffer(content, options.rules);
          if (found.length > 0) sightings.add(found, index.blobs.get(oid)!);
          options.onProgress?.({ files: result.files, bytes: result.bytes, total });
        },
        (oid, reason) => skipped.add(index.blobs.get(oid) ?? [], reason),
        options.maxFileSize,
        // transient: findings keep hashes and positions, never the bytes. A larger delta cache: reading
        // every version of every file in history order is the case it is for (a third less CPU on the bench).
        { transient: true, deltaBaseCacheLimit: '256m' },
      ),
    ),
  ]);
  result.findings = sightings.findings(index.commits, old);
  result.warnings = skipped.warnings();
  return result;
}
