import type { CompiledRule } from '../../rules/types.js';
import { scanBuffer } from '../../scanner/scan-buffer.js';
import { placeFindings } from '../locate.js';
import type { SourceResult } from '../types.js';
import { readBlobs } from './cat-file.js';
import { inRanges, parseAddedLines, parseRawZ } from './diff.js';
import { repoRoot, runGit } from './run.js';

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
  // One diff gives both the file list and the added lines, and it runs beside the work-tree check instead of after
  // it: a pre-commit hook pays for each git process it waits on. The diff is run from `cwd` (`--no-relative` keeps
  // its paths relative to the top folder); git's answer there is only trusted once rev-parse has found a work tree,
  // since `git diff --cached` also succeeds inside .git and in a bare repository.
  const [top, diff] = await Promise.allSettled([repoRoot(cwd), runGit([...DIFF, '--raw', '-z', '--no-abbrev', ...PATCH], cwd)]);
  if (top.status === 'rejected') throw top.reason;
  if (diff.status === 'rejected') throw diff.reason;
  const root = top.value;
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
  const oldSecrets = new Map<string, Set<string>>();
  await readBlobs(root, [...new Set(oldOf.values())], (oid, content) => {
    oldSecrets.set(oid, new Set(scanBuffer(content, options.rules).map((f) => f.secretSha256)));
  });

  await readBlobs(
    root,
    [...byOid.keys()],
    (oid, content) => {
      const found = scanBuffer(content, options.rules);
      for (const path of byOid.get(oid) ?? []) {
        result.files++;
        result.bytes += content.length;
        const lines = added.get(path);
        const before = oldSecrets.get(oldOf.get(path) ?? '');
        const fresh = found.filter((f) =>
          lines === undefined ? false : lines.binary ? !before?.has(f.secretSha256) : inRanges(f.line, lines.ranges),
        );
        result.findings.push(...placeFindings(fresh, path, null));
      }
    },
    (oid, reason) => {
      for (const path of byOid.get(oid) ?? []) result.warnings.push({ path, reason });
    },
    options.maxFileSize,
  );
  return result;
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
