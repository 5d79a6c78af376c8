/** What a handler is given, and the knobs every handler may read. */
import type { IncomingHttpHeaders } from 'node:http';
import type { Credential } from './app-auth.js';
import type { PatchLimits } from './diff.js';
import type { Reply } from './http.js';
import type { Repo, Urls } from './repos.js';

export interface Ctx {
  method: string;
  /** The full request URL, with the stand-in's own origin. */
  url: URL;
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: unknown;
  urls: Urls;
  credential: Credential;
  limits: Limits;
}

export interface RepoCtx extends Ctx {
  repo: Repo;
}

export type Handler = (ctx: Ctx) => Promise<Reply> | Reply;

export interface Limits extends PatchLimits {
  /** Files in a compare answer. GitHub: 300 ("includes up to 300 changed files for the entire comparison", compare-two-commits). */
  compareFiles: number;
  /** Commits in a compare answer without page/per_page. GitHub: 250 (same page). */
  compareCommits: number;
  /** Files per page of get-a-commit. GitHub: 300 ("If there are more than 300 files in the commit diff…", get-a-commit). */
  commitFilesPerPage: number;
  /** Files get-a-commit pages through in all. GitHub: 3000 (same note). */
  commitFilesTotal: number;
  /** Entries of a recursive tree before `truncated`. GitHub: 100,000 (get-a-tree). */
  treeEntries: number;
}

export const DEFAULT_LIMITS: Omit<Limits, keyof PatchLimits> = {
  compareFiles: 300,
  compareCommits: 250,
  commitFilesPerPage: 300,
  commitFilesTotal: 3000,
  treeEntries: 100_000,
};
