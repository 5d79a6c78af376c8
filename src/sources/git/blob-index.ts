import { nativePrefilter } from '../native-prefilter.js';
import type { IndexListener, Introduction } from './introduction.js';
import { RawLogParser, type LogEntry } from './log-parser.js';
import { nativeLogIndex } from './native-log.js';
import { streamGit } from './stream-git.js';

export type { IndexListener, Introduction } from './introduction.js';

const REGULAR_FILES = new Set(['100644', '100755', '100664']); // 100664: group-writable, written by very old gits, still in some histories
const NO_OBJECT = /^0+$/;
/** An all-zeros name: no object (an added or deleted side). */
const isNoObject = (oid: string) => oid.charCodeAt(0) === 0x30 && NO_OBJECT.test(oid);

export interface BlobIndex {
  /** Commit SHAs, parents before children. */
  commits: string[];
  /** Every blob the history added, in the order it first appeared, with each path it appeared at. */
  blobs: Map<string, Introduction[]>;
  /**
   * Versions from just outside a range that commits in it changed: blob → paths.
   * Keys already in them were not introduced by the range. Empty without a range.
   */
  boundary: Map<string, Set<string>>;
}

/**
 * Lists the blobs a history introduced, from one `git log --raw` pass (tree
 * diffs only, no file content). `--reverse --topo-order` puts parents before
 * children, so the first time a blob shows up at a path is the commit that
 * introduced it there. Merges get git's first-parent diff: only files that differ
 * from every parent (conflict resolutions, evil merges); the rest came from
 * one side, whose commits introduced them, or from outside a range.
 * Without a range, all refs are read (`--all`), not only HEAD: a key pushed on
 * any branch has leaked. Deletions, submodules (160000) and symlinks (120000)
 * carry no file content to scan.
 */
export async function indexBlobs(
  root: string,
  range: string | undefined,
  listener?: IndexListener,
  { native = true }: { native?: boolean } = {},
): Promise<BlobIndex> {
  const blobs = new Map<string, Introduction[]>();
  const boundary = new Map<string, Set<string>>();
  const paths = new Map<string, string>(); // interned: one string per path, however many versions it has
  const seenAt = (oid: string, path: string) => blobs.get(oid)?.some((intro) => intro.path === path) === true;

  // A parent's version never seen at this path lies outside the range; with no range, every parent's version was
  // seen, so the parser need not even read the parents' side (most of each entry's strings).
  const parser = new RawLogParser((entry: LogEntry) => {
    if (!REGULAR_FILES.has(entry.newMode) || isNoObject(entry.newOid)) return;
    let path = paths.get(entry.path);
    if (path === undefined) paths.set(entry.path, (path = entry.path));
    for (let i = 0; i < entry.oldOids.length; i++) {
      const old = entry.oldOids[i]!;
      if (isNoObject(old) || !REGULAR_FILES.has(entry.oldModes[i]!) || seenAt(old, path)) continue;
      boundary.set(old, (boundary.get(old) ?? new Set()).add(path));
    }
    const seen = blobs.get(entry.newOid);
    if (seen === undefined) {
      blobs.set(entry.newOid, [{ path, commit: entry.commit }]);
      listener?.blob(entry.newOid, path);
    } else if (!seen.some((intro) => intro.path === path)) seen.push({ path, commit: entry.commit });
  }, range !== undefined);
  const args = [
    'log',
    '--topo-order',
    '--reverse',
    '--raw',
    '--no-abbrev',
    '-z',
    '--format=C%H',
    '--root',
    '--diff-merges=combined',
    '--no-renames',
    '--no-ext-diff',
    '--no-textconv',
    '--no-show-signature',
    // No range: every commit reachable from any ref (branches, tags, remotes, stash, notes), like `git log --all`.
    // A range is one revision argument; --end-of-options keeps a range like "--output=x" from being read as an option.
    ...(range === undefined ? ['--all'] : ['--end-of-options', range]),
    '--',
  ];
  // A whole history with the addon: its thread parses the log (native-log.ts); a range needs each parent's side too.
  const addon = native ? nativePrefilter() : undefined;
  if (range === undefined && addon?.readLog && addon.spawnPiped && addon.waitExit) {
    const { readLog, spawnPiped, waitExit } = addon;
    return { ...(await nativeLogIndex({ readLog, spawnPiped, waitExit }, args, root, listener)), boundary };
  }
  await streamGit(args, root, (chunk) => {
    parser.push(chunk);
    listener?.chunk();
  });
  parser.end();
  return { commits: parser.commits, blobs, boundary };
}
