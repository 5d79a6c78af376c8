import { availableParallelism } from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FileResult } from './file-batch.js';
import { toFileResult } from './file-batch.js';
import { keywordTails, keywordsOf, nativePrefilter, type Addon } from './native-prefilter.js';
import { FileScanner } from './read-file.js';
import type { WalkedFile } from './walk.js';
import { scanWithEngine, type ScanFilesOptions } from './worker-pool.js';

/** The first batch is small, so that the addon's threads start reading while the walk has barely begun. */
const FIRST_BATCH = 256;
/** Files per later call to the native pre-filter: enough to keep its threads busy, few enough for steady progress. */
const NATIVE_BATCH = 2048;
/** Batches the addon reads at once: one being read while the verdicts of another are handled. */
const IN_FLIGHT = 2;
/** How long this thread scans flagged files before it lets the addon's verdicts in. */
const YIELD_MS = 20;

/**
 * A folder scan fed while its walk is still listing files. With the native
 * pre-filter (native-prefilter.ts), the addon's threads read the first files
 * as soon as they are listed, while this thread walks on; the files they
 * flag (a keyword, a byte-order mark, anything they leave to JavaScript) are
 * scanned by the engine on this thread while later batches are read. Done
 * one after another (walk, then read, then the engine), each phase left the
 * other cores idle: this thread waited on the addon, the addon's threads on the walk.
 * What the engine has left once every batch is read goes through
 * scanWithEngine (worker threads when there is enough of it).
 * Results are reported in the order files were added, whoever scanned them.
 */
export class FolderScan {
  private readonly files: WalkedFile[] = [];
  /** Each file's result once known, until reported: a clean file's size alone, or what the engine gave. */
  private readonly results: Array<FileResult | number | undefined> = [];
  private emitted = 0;
  private readonly native: { addon: Addon; keywords: Buffer[]; tails: Buffer[] } | undefined;
  private readonly threads: number;
  /** Files handed to the addon so far (a prefix of `files`). */
  private submitted = 0;
  private inFlight = 0;
  private walked = false;
  /** Indices of files the addon left to the engine, and how many of them this thread has scanned. */
  private readonly flagged: number[] = [];
  private flaggedDone = 0;
  private scanner: FileScanner | undefined;
  /** Wakes finish() when a batch's verdicts are in. */
  private wake: (() => void) | undefined;
  /** What handling a batch's verdicts threw (a result handler's error): finish() throws it. */
  private failure: Error | undefined;

  constructor(private readonly options: ScanFilesOptions) {
    const addon = nativePrefilter();
    const keywords = addon && keywordsOf(options.rules);
    this.native = addon && keywords ? { addon, keywords, tails: keywordTails(options.rules) } : undefined;
    this.threads = Math.max(1, options.threads ?? availableParallelism());
  }

  /** One more file, in the order results are to be reported. */
  add(file: WalkedFile): void {
    this.files.push(file);
    if (this.native && this.inFlight < IN_FLIGHT) this.submit();
  }

  /** The walk is over: scans what is left and resolves once every file's result has been reported. */
  async finish(): Promise<void> {
    this.walked = true;
    if (!this.native) return scanWithEngine(this.files, this.options);
    this.submit();
    for (;;) {
      if (this.failure) throw this.failure;
      const allRead = this.inFlight === 0 && this.submitted === this.files.length;
      if (allRead) break;
      if (this.flaggedDone < this.flagged.length) {
        this.scanFlagged();
        await nextTurn(); // lets the addon's verdicts in
      } else {
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    }
    if (this.failure) throw this.failure;
    // Every batch is read: what the engine has left may be worth worker threads.
    const rest = this.flagged.slice(this.flaggedDone);
    let next = 0;
    await scanWithEngine(
      rest.map((index) => this.files[index]!),
      {
        ...this.options,
        onResult: (result) => {
          this.results[rest[next++]!] = result;
          this.flush();
        },
      },
    );
  }

  /** Hands the addon the next batches, up to IN_FLIGHT at once; while walking, only full ones. */
  private submit(): void {
    const { addon, keywords, tails } = this.native!;
    while (this.inFlight < IN_FLIGHT) {
      const size = this.submitted === 0 ? FIRST_BATCH : NATIVE_BATCH;
      const available = this.files.length - this.submitted;
      if (available === 0 || (!this.walked && available < size)) return;
      const from = this.submitted;
      const count = Math.min(size, available);
      this.submitted += count;
      this.inFlight++;
      // One string, NUL between the paths: the walk's paths cannot hold NUL, nor can a PATH argument (fs refuses it).
      let paths = this.files[from]!.path;
      for (let i = 1; i < count; i++) paths += '\0' + this.files[from + i]!.path;
      let reading: Promise<Float64Array>;
      try {
        reading = addon.scan(paths, keywords, {
          threads: Math.min(this.threads, count),
          maxFileSize: this.options.readOptions.maxFileSize,
          tails,
        });
      } catch (error) {
        reading = Promise.reject(error as Error);
      }
      reading
        // A batch the addon failed on (out of memory), or answered for another number of files, is left to the engine.
        .then((verdicts) => (verdicts.length === count ? verdicts : undefined))
        .catch(() => undefined)
        .then((verdicts) => {
          this.inFlight--;
          try {
            if (!this.failure) {
              this.take(from, count, verdicts);
              this.submit();
            }
          } catch (error) {
            this.failure = error as Error;
          }
          const wake = this.wake;
          this.wake = undefined;
          wake?.();
        });
    }
  }

  /** A batch's verdicts: a clean file's size, or a negative number for "the engine must see it". */
  private take(from: number, count: number, verdicts: Float64Array | undefined): void {
    for (let i = 0; i < count; i++) {
      const bytes = verdicts === undefined ? -1 : verdicts[i]!;
      if (bytes >= 0) this.results[from + i] = bytes;
      else this.flagged.push(from + i);
    }
    this.flush();
  }

  /** Scans flagged files on this thread for up to YIELD_MS. */
  private scanFlagged(): void {
    this.scanner ??= new FileScanner(this.options.rules, this.options.readOptions);
    const until = performance.now() + YIELD_MS;
    while (this.flaggedDone < this.flagged.length && performance.now() < until) {
      const index = this.flagged[this.flaggedDone++]!;
      this.results[index] = toFileResult(this.files[index]!, this.scanner.scan(this.files[index]!.path));
    }
    this.flush();
  }

  private flush(): void {
    const { files, results } = this;
    const { onResult, onClean } = this.options;
    for (; this.emitted < files.length; this.emitted++) {
      const result = results[this.emitted];
      if (result === undefined) break;
      if (typeof result !== 'number') onResult(result);
      else if (onClean) onClean(result);
      else {
        const file = files[this.emitted]!;
        onResult({ relative: file.relative, path: file.path, bytes: result, findings: [] });
      }
      results[this.emitted] = undefined;
    }
  }
}

/** Scans a list of files known in full: a FolderScan given them all at once. */
export async function scanFiles(files: readonly WalkedFile[], options: ScanFilesOptions): Promise<void> {
  const scan = new FolderScan(options);
  for (const file of files) scan.add(file);
  await scan.finish();
}
