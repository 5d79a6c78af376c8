import { availableParallelism } from 'node:os';
import type { CompiledRule } from '../../rules/types.js';
import { scanBuffer } from '../../scanner/scan-buffer.js';
import { mark } from '../../util/marks.js';
import { keywordTails, keywordsOf, nativePrefilter } from '../native-prefilter.js';
import type { Progress, SourceResult } from '../types.js';
import type { Located } from '../../scanner/finding.js';
import { indexBlobs, type BlobIndex } from './blob-index.js';
import { BlobReaders } from './blob-readers.js';
import { keysAtBoundary } from './boundary-keys.js';
import { PackedHistory } from './pack-blobs.js';
import { FirstSightings } from './first-sightings.js';
import { historyRoot } from './run.js';
import { SkippedBlobs } from './skipped-blobs.js';

/** Blobs the first reader is given before a second starts: a short history is not worth another git process. */
const SECOND_READER_AFTER = 64;
const MAX_READERS = 4;
/**
 * The pack reader's threads: all but one core, which `git log` (the longer task) keeps. On 2 cores one thread read
 * trufflehog's 762 MiB of blobs in ~0.6 s beside a 1.2 s log; a second only took CPU from the log.
 */
const PACK_THREADS = Math.max(1, Math.min(4, availableParallelism() - 1));

export interface HistoryOptions {
  rules: readonly CompiledRule[];
  maxFileSize: number;
  onProgress?: Progress;
  /** `git cat-file` processes reading blobs side by side; default one per core, at most 4, more than one for long histories. */
  readers?: number;
  /** Take git's output (the log's, cat-file's) apart in the native addon when it is built (default); false: in JavaScript (the results are the same). */
  native?: boolean;
  /** Read a whole history's blobs from the pack files with the addon (default); false: through `git cat-file` (the same results). */
  packs?: boolean;
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
  // Progress counts every blob read, a pack's unreachable ones too; the result counts the history's alone.
  const seen = { files: 0, bytes: 0 };
  const progress = (files: number, bytes: number) => {
    seen.files += files;
    seen.bytes += bytes;
    // A pack may hold blobs no ref reaches, read all the same: never more than the history's count on the bar.
    options.onProgress?.({ files: total === undefined ? seen.files : Math.min(seen.files, total), bytes: seen.bytes, total });
  };
  const scanBlob = (oid: string, content: Buffer) => {
    // Findings keep hashes and positions, never the bytes: the reader reuses `content`'s buffer.
    const located = scanBuffer(content, options.rules);
    if (located.length > 0) found.set(oid, located);
  };
  const onSkipped = (oid: string, reason: string, size: number) => notRead.set(oid, whyNotRead(reason, size));
  const native = options.native === false ? undefined : nativeReader(options.rules);
  const onBlob = (oid: string, content: Buffer) => {
    progress(1, content.length);
    scanBlob(oid, content);
  };
  // A whole history with the addon: blobs in packs are read from the pack files on the addon's thread while the
  // log streams (pack-blobs.ts); git reads the rest.
  const packed =
    range === undefined && options.packs !== false && native?.addon.readPacks
      ? new PackedHistory(
          root,
          { readPacks: native.addon.readPacks },
          { keywords: native.keywords, tails: native.tails, maxSize: options.maxFileSize, threads: PACK_THREADS },
          { onClean: progress, onBlob, onSkipped },
          { add: (oid, path) => readers.add(oid, path), flush: () => readers.flush() },
        )
      : undefined;
  // git is the cost (the log's tree diffs, cat-file's inflation): one `git cat-file` per core, fed while the log still
  // streams. Where the addon is built, each one's output is taken apart on a thread of its own, which passes over
  // blobs without a keyword (nearly all) and hands this thread the rest to scan; without it, this thread reads and
  // scans every blob (Node's stream handling then cost more CPU than git). Worker threads as JavaScript readers were
  // tried: they cost twice the CPU for no gain on 2 cores.
  const count = (files: number, bytes: number) => {
    result.files += files;
    result.bytes += bytes;
    progress(files, bytes);
  };
  const readers = new BlobReaders(root, {
    native,
    onClean: count,
    readers: options.readers ?? Math.min(MAX_READERS, availableParallelism()),
    startMoreAfter: options.readers === undefined ? SECOND_READER_AFTER : 0,
    maxSize: options.maxFileSize,
    // A larger delta cache: reading every version of every file in history order is the case it is for.
    deltaBaseCacheLimit: '256m',
    onBlob: (oid, content) => {
      count(1, content.length);
      scanBlob(oid, content);
    },
    onSkipped,
  });
  let index: BlobIndex;
  try {
    index = await indexBlobs(
      root,
      range,
      {
        blob: (oid, path) => (packed ? packed.add(oid, path) : readers.add(oid, path)),
        chunk: () => readers.flush(),
      },
      { native: options.native !== false },
    );
  } catch (error) {
    readers.abort();
    throw error;
  }
  mark('git:log-ended');
  total = index.blobs.size - notRead.size;
  // What the packs gave is counted here (a pack may hold blobs no ref reaches); what they did not give, git reads.
  for (const [oid, size] of (await packed?.finish(index.blobs)) ?? []) {
    if (notRead.has(oid)) continue;
    result.files++;
    result.bytes += size;
  }
  mark('git:packs-read');
  const [old] = await Promise.all([keysAtBoundary(root, index.boundary, options.rules, options.maxFileSize), readers.finish()]);
  mark('git:read');

  result.findings = findingsOf(index, found, old);
  result.warnings = warningsOf(index, notRead);
  return result;
}

/** The report's reason for a blob a reader did not give. */
function whyNotRead(reason: string, size: number): { reason: string; size: number } {
  return reason.startsWith('missing')
    ? { reason: 'missing from the repository (shallow or partial clone?)', size: 0 }
    : { reason: 'larger than --max-file-size', size };
}

/** Each key where it came in, in the log's order whatever order the readers finished in: the same report every time. */
function findingsOf(index: BlobIndex, found: Map<string, Located[]>, old: Awaited<ReturnType<typeof keysAtBoundary>>) {
  const sightings = new FirstSightings();
  for (const [oid, introductions] of index.blobs) {
    const located = found.get(oid);
    if (located) sightings.add(located, introductions);
  }
  return sightings.findings(index.commits, old);
}

function warningsOf(index: BlobIndex, notRead: Map<string, { reason: string; size: number }>) {
  const skipped = new SkippedBlobs(index.commits);
  for (const [oid, introductions] of index.blobs) {
    const skip = notRead.get(oid);
    if (skip) skipped.add(introductions, skip.reason, skip.size);
  }
  return skipped.warnings();
}

/** The native blob reader with every rule's keyword, when the addon is built and every rule has keywords. */
function nativeReader(rules: readonly CompiledRule[]) {
  const addon = nativePrefilter();
  const keywords = keywordsOf(rules);
  return addon && typeof addon.readBlobs === 'function' && keywords ? { addon, keywords, tails: keywordTails(rules) } : undefined;
}
