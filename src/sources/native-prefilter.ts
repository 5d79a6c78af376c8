/**
 * The native pre-filter (native/scan-prefilter.c, an N-API addon built by
 * `npm run build`): reads a batch of files on several threads, off the main
 * thread, and answers which hold none of the rules' keywords. Those files are
 * clean as the engine would find them (it runs no regex where no keyword
 * occurs); every other file is scanned by the JavaScript path as before. When
 * the addon is missing or NEEVSCAN_NATIVE=0, everything takes that path.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { CompiledRule } from '../rules/types.js';

export interface PrefilterOptions {
  threads: number;
  /** Larger files are left to the JavaScript path, which reports them skipped (0: no limit). */
  maxFileSize: number;
  /** What must follow each keyword (keywordTails), in the order of the keywords. */
  tails?: Buffer[];
}

/**
 * What the `scan --git` blob reader (native/git-blobs.c) hands over per batch: `records` holds GIT_RECORD_FIELDS
 * numbers per record (kind, name start, name length, content start, size; names and contents are in `data`);
 * `files` and `bytes` count the blobs it found no keyword in since the last batch (clean: never handed over).
 */
export type GitBatchHandler = (data: Buffer, records: Float64Array, files: number, bytes: number) => void;
export const GIT_RECORD_FIELDS = 5;
/** A record's kind: a blob for the engine (a keyword or a UTF-16 byte-order mark in it), a missing name, a blob over maxSize. */
export const GIT_RECORD = { blob: 0, missing: 1, tooLarge: 2 } as const;

export interface Addon {
  /**
   * Per path: the bytes of a file without any keyword, or a negative number for "scan it in JavaScript". The paths
   * may come joined by NUL in one string (one conversion for the batch), which none of them may then hold.
   */
  scan(paths: string[] | string, keywords: Buffer[], options: PrefilterOptions): Promise<Float64Array>;
  /** A pipe for a `git cat-file --batch` process's stdout: [read end, write end], both close-on-exec. */
  pipe(): [number, number];
  /**
   * Reads `git cat-file --batch` output from `fd` (which it closes at the end) on a thread of its own, passing
   * over blobs without a keyword there; settles once the last batch has been handed to `onBatch` (rejected with
   * what onBatch threw, if it threw).
   */
  readBlobs(fd: number, keywords: Buffer[], options: { maxSize: number; tails?: Buffer[] }, onBatch: GitBatchHandler): Promise<void>;
  /**
   * Reads every blob of the given pack files (each with its version-2 .idx beside it) on `threads` threads of its
   * own, handing batches to `onBatch` as readBlobs does (names in hex); settles with each pack's blob sizes in its
   * .idx's order, -1 for an object it did not read (not a blob, damaged, a base outside the pack), and an empty
   * array for a pack it could not open. Missing from an addon built before it was added (see git/pack-blobs.ts).
   */
  readPacks?: (
    packs: string[],
    keywords: Buffer[],
    options: { maxSize: number; tails?: Buffer[]; threads?: number },
    onBatch: GitBatchHandler,
  ) => Promise<Float64Array[]>;
  /**
   * Takes `git log --raw -z` output (the whole-history index's) apart from `fd` (which it closes at the end) on a
   * thread of its own: batches of commits, new paths and first sightings of blobs at paths (native/git-log.c).
   * Missing from an addon built before it was added (see git/native-log.ts).
   */
  readLog?: (fd: number, onBatch: (data: Buffer, records: Float64Array) => void) => Promise<void>;
  /** How many `\n` bytes buffer[start, end) holds; missing from an addon built before it was added. */
  countNewlines?: (buffer: Buffer, start: number, end: number) => number;
  /**
   * Starts `file` (looked up on PATH) with posix_spawn in `cwd`: stdin a pipe (its write end) or /dev/null (-1),
   * stdout and stderr pipes (their read ends). Throws an Error whose code is the errno name. Missing where the C
   * library has no posix_spawn_file_actions_addchdir_np (see git/spawn-git.ts).
   */
  spawnPiped?: (
    file: string,
    argv: string[],
    cwd: string,
    pipeStdin: boolean,
  ) => { pid: number; stdin: number; stdout: number; stderr: number };
  /** Reaps the child on a thread of its own; `callback` gets its exit code (-1 if none) and the signal number (0 if none). */
  waitExit?: (pid: number, callback: (code: number, signal: number) => void) => void;
  /** Ends the process at once with `status` (_exit): see bin/neevscan.js. */
  exitNow?: (status: number) => never;
}

let addon: Addon | null | undefined;

/** The addon, or undefined when it was not built, does not load, or NEEVSCAN_NATIVE=0 turns it off. */
export function nativePrefilter(): Addon | undefined {
  if (addon === undefined) {
    addon = null;
    if (process.env.NEEVSCAN_NATIVE !== '0') {
      try {
        const path = fileURLToPath(new URL('../../native/build/Release/scan_prefilter.node', import.meta.url));
        addon = createRequire(import.meta.url)(path) as Addon;
      } catch {
        // not built (no compiler at install time): the JavaScript path scans everything
      }
    }
  }
  return addon ?? undefined;
}

/**
 * Every keyword of every rule, or undefined when a rule has none: its regex
 * reads every file, so no file can be passed over for lack of a keyword.
 */
export function keywordsOf(rules: readonly CompiledRule[]): Buffer[] | undefined {
  const keywords: Buffer[] = [];
  for (const rule of rules) {
    if (rule.keywords.length === 0) return undefined;
    keywords.push(...rule.keywords);
  }
  return keywords;
}

/** A keyword (or a class's member) the tail parser takes literally: no regex syntax in it. */
const LITERAL = /^[A-Za-z0-9_]+$/;
/** A whole pattern that is a keyword, then one character class repeated: `neev_[0-9A-Za-z]{38}`. */
const KEYWORD_THEN_CLASS = /^([A-Za-z0-9_]+)\[((?:[A-Za-z0-9_]-[A-Za-z0-9_]|[A-Za-z0-9_])+)\](?:\{(\d+)(?:,\d*)?\}|(\+))$/;

/**
 * For each keyword keywordsOf lists, what must follow it for its rule to match there, as the addon reads it: a
 * 33-byte Buffer (how many bytes, at most 255, then a 256-bit set of the bytes allowed), or an empty one for
 * nothing. Only a rule whose whole pattern is the keyword then one character class repeated N times (the built-in
 * `neev_[0-9A-Za-z]{38}`) has one: no match of it can start anywhere else, so a keyword not followed by N such bytes
 * (`neev_region`, `neev_` at the end of a file) is no reason to hand a file to the engine. Anything else (another
 * shape, alternation, flags, escapes) asks for nothing, which only passes more files to the engine.
 */
export function keywordTails(rules: readonly CompiledRule[]): Buffer[] {
  const tails: Buffer[] = [];
  for (const rule of rules) {
    const shape = KEYWORD_THEN_CLASS.exec(rule.spec.pattern);
    for (const keyword of rule.keywords) {
      const text = keyword.toString('utf8');
      if (!shape || shape[1] !== text || !LITERAL.test(text)) {
        tails.push(Buffer.alloc(0));
        continue;
      }
      const tail = Buffer.alloc(33);
      tail[0] = Math.min(255, shape[4] ? 1 : Number(shape[3]));
      for (const [, from, to] of shape[2]!.matchAll(/(.)(?:-(.))?/g)) {
        for (let byte = from!.charCodeAt(0); byte <= (to ?? from!).charCodeAt(0); byte++) tail[1 + (byte >> 3)]! |= 1 << (byte & 7);
      }
      tails.push(tail);
    }
  }
  return tails;
}
