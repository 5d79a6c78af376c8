/** What a push added, read through the GitHub API: one compare when it shows every file, else commit by commit. */
import type { BlobMemo } from '../stores/blob-memo.js';
import type { CompiledRule } from '../rules/types.js';
import { attributeToCommits } from './attribute.js';
import { DEFAULT_TREE_LIMITS, PushScanState, type PushFinding, type TreeReadLimits } from './changed-files.js';
import type { GitHubClient, Log } from './client.js';
import { commitFiles } from './commit-files.js';
import { GitData, isMissing, type RepoRef } from './git-data.js';
import { commitsInRange } from './range-commits.js';

export type { PushFinding } from './changed-files.js';

/** The parts of a `push` webhook payload the scan needs. */
export interface PushInput {
  owner: string;
  repo: string;
  /** The branch's old head; all zeros for a new branch. */
  before: string;
  /** The new head; all zeros for a deleted branch. */
  after: string;
  /** The payload's `commits[].id`, oldest first; GitHub lists at most 20. */
  commitShas: string[];
  forced: boolean;
  created: boolean;
  deleted: boolean;
  defaultBranch: string;
}

export interface PushScanOptions {
  /**
   * Files read from GitHub's file lists (compare, get-a-commit) per push; past it, and for a commit
   * whose list GitHub caps at 3,000 files, the scan reads trees and blobs instead (Git Data API).
   * @defaultValue 3000
   */
  maxFiles?: number;
  /**
   * Commits walked one by one (when a compare cannot list every file); older ones are read as one diff and reported unread.
   * @defaultValue 1000
   */
  maxCommits?: number;
  /**
   * Commits read tree by tree (each a recursive tree of up to 100,000 entries) per push; the rest are read as one diff to the head
   * and reported unread.
   * @defaultValue 100
   */
  maxTreeCommits?: number;
  /** Blobs and bytes read through the Git Data API per push. */
  treeLimits?: Partial<TreeReadLimits>;
  log?: Log;
  /** Blob scans shared across pushes, repositories and forks (a blob is the same bytes everywhere). */
  memo?: BlobMemo;
}

/** A commit's message as the scan read it (from a compare or the commit itself): scanned for keys by the caller, never stored. */
export interface ReadMessage {
  sha: string;
  message: string;
}

export interface PushScanResult {
  findings: PushFinding[];
  /** The messages of the commits the scan read, oldest first: GitHub's compare and commit answers carry them, at no extra request. */
  messages: ReadMessage[];
  /** Some of the push was not read (a cap, or GitHub's own limits): findings may be missing. Never "clean". */
  truncated: boolean;
  filesScanned: number;
  /** What was not read, in words (at most MAX_REASONS lines); empty when everything was. */
  notRead: string[];
  /** How many files and commits `notRead` covers (a tree GitHub cut short counts its commit). */
  unread: { files: number; commits: number };
}

/** Reasons kept in a result: enough to say what was missed without a check run summary of thousands of lines. */
const MAX_REASONS = 20;

/** "The response will include a comparison of up to 300 files" (compare-two-commits): 300 may mean more. */
const COMPARE_FILES_LIMIT = 300;
/** GitHub's push payload lists at most 20 commits. */
const PAYLOAD_COMMITS_LIMIT = 20;
/** Up to this many commits, a compare's findings are credited to the commit that added them (one request each). */
const ATTRIBUTE_MAX_COMMITS = 20;
const ZERO_SHA = /^0+$/;

/**
 * The secrets a push added, on added lines, numbered as in the new files, and in the names of files
 * it added; a line marked `neevscan:allow` is reported like any other (with `allowMarker`). A deleted
 * branch adds nothing. What could not be read is said in `notRead`, never passed over as clean.
 */
export async function findSecretsInPush(
  octokit: GitHubClient,
  push: PushInput,
  rules: readonly CompiledRule[],
  options: PushScanOptions = {},
): Promise<PushScanResult> {
  const data = new GitData(octokit, { owner: push.owner, repo: push.repo });
  const state = new PushScanState(data, rules, options.maxFiles ?? 3000, options.memo, undefined, {
    ...DEFAULT_TREE_LIMITS,
    ...options.treeLimits,
  });
  const messages = new Map<string, string>();
  if (!push.deleted && !ZERO_SHA.test(push.after)) await scanPush(octokit, push, state, options, messages);
  const notRead =
    state.notRead.length > MAX_REASONS
      ? [...state.notRead.slice(0, MAX_REASONS - 1), `and ${state.notRead.length - MAX_REASONS + 1} more`]
      : [...state.notRead];
  if (notRead.length > 0)
    options.log?.(
      `github: push ${push.owner}/${push.repo}@${push.after.slice(0, 12)} not wholly scanned (${state.unread.files} files, ${state.unread.commits} commits unread): ${notRead.join('; ')}`,
    );
  return {
    findings: state.findings,
    messages: [...messages].map(([sha, message]) => ({ sha, message })),
    truncated: state.truncated,
    filesScanned: state.filesScanned,
    notRead,
    unread: { ...state.unread },
  };
}

async function scanPush(
  octokit: GitHubClient,
  push: PushInput,
  state: PushScanState,
  options: PushScanOptions,
  messages: Map<string, string>,
): Promise<void> {
  const log = options.log ?? (() => {});
  const maxCommits = options.maxCommits ?? 1000;
  const where: RepoRef = { owner: push.owner, repo: push.repo };
  const newBranch = push.created || ZERO_SHA.test(push.before);
  // A new branch is compared with the default branch: only what it adds to the repository is new.
  const base = newBranch ? push.defaultBranch : push.before;
  const compared = await compare(octokit, where, base, push.after);
  if (compared === null) {
    // The old head is gone (a force push after GC) or shares no history: the payload's commits are what we have.
    log(
      `github: compare ${base.slice(0, 12)}...${push.after.slice(0, 12)} not found in ${where.owner}/${where.repo}; scanning the pushed commits`,
    );
    const shas = push.commitShas.includes(push.after) ? push.commitShas : [...push.commitShas, push.after];
    if (push.commitShas.length >= PAYLOAD_COMMITS_LIMIT) {
      state.missed(
        `the old head ${base.slice(0, 12)} is not on GitHub: only the ${push.commitShas.length} commits the push payload lists were read, and it lists at most ${PAYLOAD_COMMITS_LIMIT}`,
      );
    }
    return walk(where, shas, state, options, messages);
  }
  if (newBranch && compared.status === 'identical' && push.commitShas.length > 0) {
    // The first push of the default branch: nothing to compare with, its whole history is new.
    const shas = await history(octokit, where, push.after, maxCommits);
    if (shas.length > maxCommits) return readRest(where, null, shas.slice(-maxCommits), shas.length - maxCommits, state, options, messages);
    return walk(where, shas, state, options, messages);
  }
  if (compared.files === undefined || compared.files.length >= COMPARE_FILES_LIMIT) {
    const range = await commitsInRange(octokit, where, base, push.after, maxCommits);
    for (const m of range.messages) messages.set(m.sha, m.message);
    if (range.truncated)
      return readRest(
        where,
        compared.merge_base_commit.sha,
        range.shas,
        Math.max(1, compared.total_commits - range.shas.length),
        state,
        options,
        messages,
      );
    return walk(where, range.shas, state, options, messages);
  }
  for (const c of compared.commits) messages.set(c.sha, c.commit.message);
  if (compared.commits.length < compared.total_commits) {
    // A compare lists at most 250 commits: the others' messages are read from its pages of 100.
    const range = await commitsInRange(octokit, where, base, push.after, maxCommits);
    if (range.truncated)
      state.missed(`the push has more than ${maxCommits} commits: the messages of the older ones were not read`, {
        commits: compared.total_commits - range.shas.length,
      });
    for (const m of range.messages) messages.set(m.sha, m.message);
  }
  if (PushScanState.wanted(compared.files).length > state.filesLeft) {
    // More files than the listing cap: the head's tree against the merge base's, by blob SHA.
    return state.scanTreeDiff(compared.merge_base_commit.sha, push.after);
  }
  await state.scanFiles(compared.files, compared.merge_base_commit.sha, push.after);
  const shas = compared.commits.map((c) => c.sha);
  if (state.findings.length > 0 && shas.length > 1 && shas.length <= ATTRIBUTE_MAX_COMMITS && shas.length === compared.total_commits) {
    try {
      state.findings.splice(0, state.findings.length, ...(await attributeToCommits(octokit, where, state, state.findings, shas)));
    } catch (error) {
      // Best effort: the findings stand, credited to the head commit.
      log(`github: could not credit findings to their commits in ${where.owner}/${where.repo}: ${(error as Error).message}`);
    }
  }
}

type Comparison = Awaited<ReturnType<GitHubClient['repos']['compareCommitsWithBasehead']>>['data'];

async function compare(octokit: GitHubClient, where: RepoRef, base: string, head: string): Promise<Comparison | null> {
  try {
    return (await octokit.repos.compareCommitsWithBasehead({ ...where, basehead: `${base}...${head}` })).data;
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

/**
 * Each commit against its first parent, oldest first; a secret is credited to the first commit that adds
 * it. GitHub's file lists are read until the file cap, or until a commit whose list GitHub caps (3,000
 * files); from there each commit is read as its tree against its parent's (Git Data API), up to
 * `maxTreeCommits`, and what is left as one diff to the head, which is reported as not wholly read.
 */
async function walk(
  where: RepoRef,
  shas: readonly string[],
  state: PushScanState,
  options: PushScanOptions,
  messages: Map<string, string>,
): Promise<void> {
  const octokit = state.data.client;
  const maxTrees = options.maxTreeCommits ?? 100;
  let listing = true;
  let trees = 0;
  for (const [index, sha] of shas.entries()) {
    if (listing && state.filesLeft > 0) {
      const { parent, files, message, truncated } = await commitFiles(octokit, where, sha);
      messages.set(sha, message);
      if (!truncated && PushScanState.wanted(files).length <= state.filesLeft) {
        await state.scanFiles(files, parent, sha);
        continue;
      }
      listing = false;
      trees++;
      await state.scanTreeDiff(parent, sha);
      continue;
    }
    const commit = await state.data.commit(sha);
    if (commit === undefined) {
      state.missed(`commit ${sha.slice(0, 12)} could not be read`, { commits: 1 });
      continue;
    }
    messages.set(sha, commit.message);
    const rest = shas.length - index;
    if (trees >= maxTrees && rest > 1) {
      const head = shas[shas.length - 1]!;
      state.missed(
        `${rest} commits past the first ${maxTrees} read tree by tree were read as one diff (${sha.slice(0, 12)}^..${head.slice(0, 12)}): a key added and removed between them would not be seen`,
        { commits: rest },
      );
      return state.scanTreeDiff(commit.parent, head);
    }
    trees++;
    await state.scanTreeDiff(commit.parent, sha);
  }
}

/**
 * A range longer than the commit cap: the newest `shas` are walked; the `older` commits before them are
 * read as one diff from `base` (null: from nothing) to the first walked commit's parent, so every key they
 * left behind is found, and reported as not read one by one.
 */
async function readRest(
  where: RepoRef,
  base: string | null,
  shas: readonly string[],
  older: number,
  state: PushScanState,
  options: PushScanOptions,
  messages: Map<string, string>,
): Promise<void> {
  const first = shas[0];
  if (first !== undefined) {
    const parent = await state.data.firstParent(first);
    state.missed(
      `${older} older commits of the push, past the cap of ${shas.length}, were read as one diff: a key added and removed among them would not be seen`,
      { commits: older },
    );
    if (parent) await state.scanTreeDiff(base, parent);
  }
  return walk(where, shas, state, options, messages);
}

/** Up to `max + 1` commits reachable from `head`, oldest first (one more than `max` says there are more). */
async function history(octokit: GitHubClient, where: RepoRef, head: string, max: number): Promise<string[]> {
  const shas: string[] = [];
  for (let page = 1; shas.length <= max; page++) {
    const { data } = await octokit.repos.listCommits({ ...where, sha: head, per_page: 100, page });
    shas.push(...data.map((c) => c.sha));
    if (data.length < 100) return shas.reverse();
  }
  return shas.slice(0, max + 1).reverse();
}
