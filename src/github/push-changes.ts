/** What a push added, read through the GitHub API: one compare when it shows every file, else commit by commit. */
import type { BlobMemo } from '../stores/blob-memo.js';
import type { CompiledRule } from '../rules/types.js';
import { attributeToCommits } from './attribute.js';
import { PushScanState, type PushFinding } from './changed-files.js';
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
   * Files read per push before the scan stops and reports `truncated`.
   * @defaultValue 3000
   */
  maxFiles?: number;
  /**
   * Commits walked one by one (when a compare cannot list every file) before `truncated`.
   * @defaultValue 1000
   */
  maxCommits?: number;
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
  /** Some of the push was not read (a cap, or GitHub's own limits): findings may be missing. */
  truncated: boolean;
  filesScanned: number;
}

/** "The response will include a comparison of up to 300 files" (compare-two-commits): 300 may mean more. */
const COMPARE_FILES_LIMIT = 300;
/** GitHub's push payload lists at most 20 commits. */
const PAYLOAD_COMMITS_LIMIT = 20;
/** Up to this many commits, a compare's findings are credited to the commit that added them (one request each). */
const ATTRIBUTE_MAX_COMMITS = 20;
const ZERO_SHA = /^0+$/;

/**
 * The secrets a push added, on added lines, numbered as in the new files; `neevscan:allow` lines
 * are dropped. A deleted branch adds nothing.
 */
export async function findSecretsInPush(octokit: GitHubClient, push: PushInput, rules: readonly CompiledRule[], options: PushScanOptions = {}): Promise<PushScanResult> {
  const state = new PushScanState(new GitData(octokit, { owner: push.owner, repo: push.repo }), rules, options.maxFiles ?? 3000, options.memo);
  const messages = new Map<string, string>();
  if (!push.deleted && !ZERO_SHA.test(push.after)) await scanPush(octokit, push, state, options, messages);
  return { findings: state.findings, messages: [...messages].map(([sha, message]) => ({ sha, message })), truncated: state.truncated, filesScanned: state.filesScanned };
}

async function scanPush(octokit: GitHubClient, push: PushInput, state: PushScanState, options: PushScanOptions, messages: Map<string, string>): Promise<void> {
  const log = options.log ?? (() => {});
  const maxCommits = options.maxCommits ?? 1000;
  const where: RepoRef = { owner: push.owner, repo: push.repo };
  const newBranch = push.created || ZERO_SHA.test(push.before);
  // A new branch is compared with the default branch: only what it adds to the repository is new.
  const base = newBranch ? push.defaultBranch : push.before;
  const compared = await compare(octokit, where, base, push.after);
  if (compared === null) {
    // The old head is gone (a force push after GC) or shares no history: the payload's commits are what we have.
    log(`github: compare ${base.slice(0, 12)}...${push.after.slice(0, 12)} not found in ${where.owner}/${where.repo}; scanning the pushed commits`);
    const shas = push.commitShas.includes(push.after) ? push.commitShas : [...push.commitShas, push.after];
    if (push.commitShas.length >= PAYLOAD_COMMITS_LIMIT) state.truncated = true;
    return walk(octokit, where, shas, state, messages);
  }
  if (newBranch && compared.status === 'identical' && push.commitShas.length > 0) {
    // The first push of the default branch: nothing to compare with, its whole history is new.
    return walk(octokit, where, await history(octokit, where, push.after, maxCommits, state), state, messages);
  }
  if (compared.files === undefined || compared.files.length >= COMPARE_FILES_LIMIT) {
    const range = await commitsInRange(octokit, where, base, push.after, maxCommits);
    if (range.truncated) state.truncated = true;
    return walk(octokit, where, range.shas, state, messages);
  }
  for (const c of compared.commits) messages.set(c.sha, c.commit.message);
  if (compared.commits.length < compared.total_commits) {
    // A compare lists at most 250 commits: the others' messages are read from its pages of 100.
    const range = await commitsInRange(octokit, where, base, push.after, maxCommits);
    if (range.truncated) state.truncated = true;
    for (const m of range.messages) messages.set(m.sha, m.message);
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

/** Each commit against its first parent, oldest first; a secret is credited to the first commit that adds it. */
async function walk(octokit: GitHubClient, where: RepoRef, shas: readonly string[], state: PushScanState, messages: Map<string, string>): Promise<void> {
  for (const sha of shas) {
    if (state.filesLeft <= 0) {
      state.truncated = true;
      return;
    }
    const { parent, files, message, truncated } = await commitFiles(octokit, where, sha);
    messages.set(sha, message);
    if (truncated) state.truncated = true;
    await state.scanFiles(files, parent, sha);
  }
}

/** Up to `max` commits reachable from `head`, oldest first. */
async function history(octokit: GitHubClient, where: RepoRef, head: string, max: number, state: PushScanState): Promise<string[]> {
  const shas: string[] = [];
  for (let page = 1; shas.length < max; page++) {
    const { data } = await octokit.repos.listCommits({ ...where, sha: head, per_page: 100, page });
    shas.push(...data.map((c) => c.sha));
    if (data.length < 100) return shas.reverse();
  }
  state.truncated = true;
  return shas.slice(0, max).reverse();
}
