import type { CompiledRule } from '../../rules/types.js';
import type { Located } from '../../scanner/finding.js';
import type { SourceResult } from '../types.js';
import { mark } from '../../util/marks.js';
import { BatchParser, readBlobs } from './cat-file.js';
import { inRanges, parseAddedLines, parseRawZ } from './diff.js';
import { GIT_ENV_OVERRIDES, gitExitError, gitStartError, repoRoot, runGit } from './run.js';
import { spawnGit } from './spawn-git.js';
import { knownWorkTreeTop } from './work-tree.js';

const SUBMODULE = '160000';
const SYMLINK = '120000';
const PATCH = ['-p', '-U0', '--src-prefix=a/', '--dst-prefix=b/', '--no-color'];
const DIFF = ['diff', '--cached', '--no-ext-diff', '--no-textconv', '--no-relative', '--find-renames', '--diff-filter=ACMRT'];

export interface StagedOptions {
  rules: readonly CompiledRule[];
  maxFileSize: number;
}

/**
 * Scans what is staged for the next commit: the staged blobs (not the working
 * files, so a partly staged file is judged by what will be committed), keeping
 * only findings on added lines, numbered as in the staged version. Works in a
 * repository with no commits yet (git diffs the index against the empty tree).
 * Binary files have no lines to diff: their secrets count as added unless the
 * committed version already held them.
 */
export async function scanStaged(cwd: string, options: StagedOptions): Promise<SourceResult> {
  return startStaged(cwd).scan(options);
}

export interface StagedScan {
  /** Scans once git has answered; every git error surfaces here. */
  scan(options: StagedOptions): Promise<SourceResult>;
  /** Stops git when the scan will not happen (a bad argument or rule file found meanwhile). */
  cancel(): void;
}

/**
 * Starts the git processes a staged scan needs, so that they run while the
 * caller loads its rules. A pre-commit hook waits on every git process in
 * turn, so they start together: the work-tree check (rev-parse, unless
 * knownWorkTreeTop can tell without git), one diff that gives both the file
 * list and the added lines, and the blob reader, which is handed the object
 * names once the diff is in. The diff runs from `cwd` (`--no-relative` keeps
 * its paths relative to the top folder); its answer is only used once a work
 * tree is found, since `git diff --cached` also answers inside .git and in a
 * bare repository. Node waits for each process to start before it starts the
 * next, so the diff, which takes git the longest, goes first, and the blob
 * reader, needed last, last.
 */
export function startStaged(cwd: string): StagedScan {
  const diff = runGit([...DIFF, '--raw', '-z', '--no-abbrev', ...PATCH], cwd);
  const top = knownWorkTreeTop(cwd);
  const answers = Promise.allSettled([top !== undefined ? Promise.resolve(top) : repoRoot(cwd), diff]);
  const blobs = startBlobReader(cwd);
  return { scan: (options) => scanWith(answers, blobs, options), cancel: () => blobs.cancel() };
}

async function scanWith(
  answers: Promise<[PromiseSettledResult<string>, PromiseSettledResult<Buffer>]>,
  blobs: BlobReader,
  options: StagedOptions,
): Promise<SourceResult> {
  // The scanner loads while git works: the processes start before it (node:crypto only once a key is found).
  const [{ scanBuffer }, { placeFindings }] = await Promise.all([import('../../scanner/scan-buffer.js'), import('../locate.js')]);
  const [top, diff] = await answers;
  if (top.status === 'rejected' || diff.status === 'rejected') {
    blobs.cancel();
    throw top.status === 'rejected' ? top.reason : (diff as PromiseRejectedResult).reason;
  }
  const root = top.value;
  mark('git-diff');
  const { raw, patch } = splitRawAndPatch(diff.value);
  const entries = parseRawZ(raw).filter((e) => e.newMode !== SUBMODULE && e.newMode !== SYMLINK);
  const added = parseAddedLines(patch);
  const result: SourceResult = { findings: [], files: 0, bytes: 0, warnings: [] };

  const byOid = new Map<string, string[]>();
  const oldOf = new Map<string, string>(); // path → the committed blob, for binary files
  for (const entry of entries) {
    byOid.set(entry.newOid, [...(byOid.get(entry.newOid) ?? []), entry.path]);
    if (added.get(entry.path)?.binary && !/^0+$/.test(entry.oldOid)) oldOf.set(entry.path, entry.oldOid);
  }
  // Staged binary files with a committed version (rare) need that version's secrets too: a second reader, alongside.
  const oldSecrets = new Map<string, Set<string>>();
  const readOld = readBlobs(root, [...new Set(oldOf.values())], (oid, content) => {
    oldSecrets.set(oid, new Set(scanBuffer(content, options.rules).map((f) => f.secretSha256)));
  });
  const scanned = new Map<string, { found: Located[]; size: number }>();
  const readNew = blobs.read(
    [...byOid.keys()],
    (oid, content) => scanned.set(oid, { found: scanBuffer(content, options.rules), size: content.length }),
    (oid, reason) => {
      for (const path of byOid.get(oid) ?? []) result.warnings.push({ path, reason });
    },
    options.maxFileSize,
  );
  compileWhereKeywordsAdded(options.rules, patch);
  const [oldDone, newDone] = await Promise.allSettled([readOld, readNew]);
  if (oldDone.status === 'rejected' || newDone.status === 'rejected') {
    blobs.cancel();
    throw oldDone.status === 'rejected' ? oldDone.reason : (newDone as PromiseRejectedResult).reason;
  }

  for (const [oid, paths] of byOid) {
    const blob = scanned.get(oid);
    if (!blob) continue; // skipped: reported as a warning
    for (const path of paths) {
      result.files++;
      result.bytes += blob.size;
      const lines = added.get(path);
      const before = oldSecrets.get(oldOf.get(path) ?? '');
      const fresh = blob.found.filter((f) =>
        lines === undefined ? false : lines.binary ? !before?.has(f.secretSha256) : inRanges(f.line, lines.ranges),
      );
      result.findings.push(...placeFindings(fresh, path, null));
    }
  }
  mark('blobs-scanned');
  return result;
}

/**
 * Compiles, while git reads the blobs, the regex of each rule whose keyword occurs in the patch: an added line
 * with a keyword will need it (and the first regex loads re2, a large native addon). A rule's regex is compiled
 * when first read (rules/load.ts), so a staged change without any keyword loads no regex engine at all.
 */
function compileWhereKeywordsAdded(rules: readonly CompiledRule[], patch: Buffer): void {
  for (const rule of rules) if (rule.keywords.some((keyword) => patch.includes(keyword))) void rule.regex;
}

interface BlobReader {
  /** Asks for the blobs, once; resolves when the last one has been handed over. */
  read(
    oids: readonly string[],
    onBlob: (oid: string, content: Buffer) => void,
    onSkipped: (oid: string, reason: string) => void,
    maxSize: number,
  ): Promise<void>;
  /** Stops git without reading (the scan failed before it needed the blobs). */
  cancel(): void;
}

/**
 * A `git cat-file --batch` process started before the object names are known, so that its start-up overlaps the
 * diff's. The same records as readBlobs (cat-file.ts) parse the output; the handler here is synchronous.
 */
function startBlobReader(cwd: string): BlobReader {
  const child = spawnGit([...GIT_ENV_OVERRIDES, 'cat-file', '--batch', '--buffer'], cwd, 'pipe');
  const stdin = child.stdin!; // asked for as a pipe
  const stderr: Buffer[] = [];
  let spawnError: NodeJS.ErrnoException | undefined;
  let exit: { code: number | null } | undefined;
  let onExit: (() => void) | undefined;
  child.on('error', (error) => {
    spawnError = error;
    onExit?.();
  });
  child.on('close', (code) => {
    exit = { code };
    onExit?.();
  });
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  stdin.on('error', () => {}); // git may exit before reading all input; its exit status tells
  let cancelled = false;
  return {
    read(oids, onBlob, onSkipped, maxSize) {
      return new Promise<void>((resolve, reject) => {
        let failure: Error | undefined;
        const parser = new BatchParser(onBlob, onSkipped, maxSize);
        child.stdout.on('data', (chunk: Buffer) => {
          if (failure) return;
          try {
            parser.push(chunk);
          } catch (error) {
            failure = error as Error; // the handler's error
            child.kill();
          }
        });
        onExit = () => {
          if (failure) return reject(failure);
          if (spawnError) return reject(gitStartError(spawnError));
          if (!exit) return;
          if (exit.code === 0) return resolve();
          reject(gitExitError('cat-file', stderr, exit.code));
        };
        if (spawnError || exit) onExit();
        stdin.end(oids.length ? oids.join('\n') + '\n' : undefined);
      });
    },
    cancel() {
      if (cancelled) return;
      cancelled = true;
      child.stdout.resume();
      stdin.end();
      child.kill();
    },
  };
}

/**
 * `git diff --raw -z -p` prints the NUL-separated raw records, then one more NUL, then the patch. No raw record is
 * empty (each is ":modes oids status" or a path), so the first empty field, "\0\0", is where the patch starts.
 */
export function splitRawAndPatch(output: Buffer): { raw: Buffer; patch: Buffer } {
  const end = output.indexOf('\0\0');
  if (end === -1) return { raw: output, patch: output.subarray(output.length) };
  return { raw: output.subarray(0, end + 1), patch: output.subarray(end + 2) };
}
