import type { CompiledRule } from '../../rules/types.js';
import { scanBuffer } from '../../scanner/scan-buffer.js';
import { placeFindings } from '../locate.js';
import type { SourceResult } from '../types.js';
import { readBlobs } from './cat-file.js';
import { inRanges, parseAddedLines, parseRawZ } from './diff.js';
import { repoRoot, runGit } from './run.js';

const SUBMODULE = '160000';
const SYMLINK = '120000';
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
  const root = await repoRoot(cwd);
  const [raw, patch] = await Promise.all([
    runGit([...DIFF, '--raw', '-z', '--no-abbrev'], root),
    runGit([...DIFF, '-U0', '--src-prefix=a/', '--dst-prefix=b/', '--no-color'], root),
  ]);
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
