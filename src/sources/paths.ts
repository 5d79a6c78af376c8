import { closeSync, openSync, opendirSync, statSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { NeevscanError } from '../errors.js';
import type { CompiledRule } from '../rules/types.js';
import type { ReadOptions } from './read-file.js';
import { placeFindings } from './locate.js';
import type { Progress, SourceResult } from './types.js';
import { FolderScan } from './folder-scan.js';
import { walkEach } from './walk.js';

export interface PathsOptions {
  rules: readonly CompiledRule[];
  readOptions: ReadOptions;
  onProgress?: Progress;
  threads?: number;
}

/**
 * Scans files and folders. A PATH that does not exist is an error (exit 2); a
 * file inside a folder that cannot be read is a warning and the scan goes on.
 * With one folder, findings are named relative to it; with several PATHs,
 * relative to the current folder.
 */
export async function scanPaths(paths: readonly string[], options: PathsOptions): Promise<SourceResult> {
  const result: SourceResult = { findings: [], files: 0, bytes: 0, warnings: [] };
  const single = paths.length === 1;
  // Every PATH is checked before anything is read, so that a bad one fails the scan before it starts.
  const named = paths.map((path) => ({ path, isDir: checkPath(path) }));
  // Known once the walk is over; read before that by the progress callback (so not a const).
  // eslint-disable-next-line prefer-const
  let total: number | undefined;
  let done = 0;
  const scan = new FolderScan({
    rules: options.rules,
    readOptions: options.readOptions,
    threads: options.threads,
    onResult: (file) => {
      done++;
      if (file.skipped) {
        result.warnings.push({ path: file.relative, reason: file.skipped });
      } else {
        result.files++;
        result.bytes += file.bytes;
        result.findings.push(...placeFindings(file.findings, file.relative, null));
      }
      options.onProgress?.({ files: done, bytes: result.bytes, total });
    },
    onClean: (bytes) => {
      done++;
      result.files++;
      result.bytes += bytes;
      options.onProgress?.({ files: done, bytes: result.bytes, total });
    },
  });
  let count = 0;
  for (const { path, isDir } of named) {
    if (isDir) {
      const base = single ? resolve(path) : process.cwd();
      // Each file goes to the scan as the walk lists it: the native pre-filter starts reading the first ones at once.
      walkEach(
        path,
        (w) => result.warnings.push(w),
        (file) => {
          count++;
          scan.add(single ? file : { path: file.path, relative: toPosix(relative(base, resolve(file.path))) });
        },
      );
    } else {
      count++;
      scan.add({ path, relative: toPosix(relative(process.cwd(), resolve(path))) || path });
    }
  }
  total = count;
  await scan.finish();
  return result;
}

/** Whether PATH is a folder (else a regular file); a PATH that is neither, or cannot be read, is an error (exit 2). */
function checkPath(path: string): boolean {
  try {
    // A link named on the command line is followed: the user asked for it.
    const stat = statSync(path);
    const isDir = stat.isDirectory();
    if (!isDir && !stat.isFile()) throw new NeevscanError(`${path}: not a regular file or folder`, 'bad-path');
    // What the user named must be readable: a scan that read nothing must not pass as a clean one (exit 0).
    if (isDir) opendirSync(path).closeSync();
    else closeSync(openSync(path, 'r'));
    return isDir;
  } catch (error) {
    if (error instanceof NeevscanError) throw error;
    throw new NeevscanError(`${path}: ${pathProblem((error as NodeJS.ErrnoException).code)}`, 'bad-path');
  }
}

function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}

/** A path's problem in words, from its error code. */
function pathProblem(code: string | undefined): string {
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'no such file or folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ELOOP') return 'symbolic link loop';
  return code ?? 'unreadable';
}
