/** The `files` array of commit and compare answers, from `git diff-tree` between two tree-ishes. */
import { git } from './git.js';
import { encodePath } from './http.js';
import { repoApiUrl, repoHtmlUrl, type Repo, type Urls } from './repos.js';

/** When a file's patch is left out, as GitHub leaves out patches of large diffs. */
export interface PatchLimits {
  /** Largest patch kept, in bytes. Default 500 KiB: "No single file's diff may exceed … 500 KB of raw diff data" (docs: repository-limits). */
  maxPatchBytes: number;
  /** Most patch lines kept. Default 20,000: "No single file's diff may exceed 20,000 lines" (same page). */
  maxPatchLines: number;
}

export const DEFAULT_PATCH_LIMITS: PatchLimits = { maxPatchBytes: 500 * 1024, maxPatchLines: 20_000 };

export interface DiffFile {
  sha: string;
  filename: string;
  status: 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed';
  additions: number;
  deletions: number;
  changes: number;
  blob_url: string;
  raw_url: string;
  contents_url: string;
  patch?: string;
  previous_filename?: string;
}

interface RawEntry {
  letter: string;
  oldSha: string;
  newSha: string;
  path: string;
  previousPath?: string;
}

const STATUS: Record<string, DiffFile['status']> = { A: 'added', D: 'removed', M: 'modified', R: 'renamed', C: 'copied', T: 'changed' };

/** Every changed file from `from` to `to` (tree-ishes), in git's order, with links into `headCommit`. */
export async function diffFiles(
  repo: Repo,
  urls: Urls,
  from: string,
  to: string,
  headCommit: string,
  limits: PatchLimits,
): Promise<DiffFile[]> {
  const common = ['diff-tree', '-r', '-M', '--no-commit-id', '--no-ext-diff', '--no-textconv'];
  const [raw, patch] = await Promise.all([
    git(repo.path, [...common, '-z', '--raw', from, to]),
    git(repo.path, [...common, '-p', from, to]),
  ]);
  const sections = patchSections(patch.toString('utf8'));
  const files: DiffFile[] = [];
  for (const entry of parseRaw(raw.toString('utf8'))) {
    const section = sections.shift();
    // git prints a type change (file <-> symlink) as a deletion and an addition: two sections, no one patch.
    if (entry.letter === 'T') sections.shift();
    files.push(toFile(repo, urls, entry, entry.letter === 'T' ? undefined : section, headCommit, limits));
  }
  return files;
}

function parseRaw(text: string): RawEntry[] {
  const fields = text.split('\0');
  const entries: RawEntry[] = [];
  for (let i = 0; i + 1 < fields.length;) {
    const [, , oldSha = '', newSha = '', status = ''] = fields[i++]!.slice(1).split(' ');
    const letter = status[0] ?? 'M';
    if (letter === 'R' || letter === 'C') {
      const previousPath = fields[i++]!;
      entries.push({ letter, oldSha, newSha, previousPath, path: fields[i++]! });
    } else {
      entries.push({ letter, oldSha, newSha, path: fields[i++]! });
    }
  }
  return entries;
}

/** The patch text split at each file's `diff --git` header; no content line can start with it. */
function patchSections(text: string): string[][] {
  const sections: string[][] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('diff --git ')) sections.push([]);
    else sections.at(-1)?.push(line);
  }
  return sections;
}

function toFile(repo: Repo, urls: Urls, entry: RawEntry, section: string[] | undefined, headCommit: string, limits: PatchLimits): DiffFile {
  const hunkStart = section?.findIndex((line) => line.startsWith('@@ ')) ?? -1;
  const hunks = hunkStart < 0 ? [] : section!.slice(hunkStart);
  while (hunks.length > 0 && hunks.at(-1) === '') hunks.pop();
  let additions = 0;
  let deletions = 0;
  for (const line of hunks) {
    if (line.startsWith('+')) additions++;
    else if (line.startsWith('-')) deletions++;
  }
  const patch = hunks.join('\n');
  const keepPatch = hunks.length > 0 && hunks.length <= limits.maxPatchLines && Buffer.byteLength(patch) <= limits.maxPatchBytes;
  const removed = entry.letter === 'D';
  const path = encodePath(entry.path);
  return {
    // For a removed file, the blob it had: the one a client can still fetch.
    sha: removed ? entry.oldSha : entry.newSha,
    filename: entry.path,
    status: STATUS[entry.letter] ?? 'modified',
    additions,
    deletions,
    changes: additions + deletions,
    blob_url: `${repoHtmlUrl(repo, urls)}/blob/${headCommit}/${path}`,
    raw_url: `${repoHtmlUrl(repo, urls)}/raw/${headCommit}/${path}`,
    contents_url: `${repoApiUrl(repo, urls)}/contents/${path}?ref=${headCommit}`,
    ...(keepPatch ? { patch } : {}),
    ...(entry.previousPath !== undefined ? { previous_filename: entry.previousPath } : {}),
  };
}
