import type { RedisClient } from '../stores/redis.js';
import type { GitHubClient } from '../github/client.js';

/** The check run's name, fixed for integrators (docs/github-app.md). */
export const CHECK_RUN_NAME = 'neevscan';
/** GitHub takes at most 50 annotations per create or update request. */
const ANNOTATIONS_PER_REQUEST = 50;

export interface CheckRunFinding {
  /** For a key in a file's name, the name with the key replaced by its hint (`inPath`). */
  path: string;
  /** Null for a key in a file's name. */
  line: number | null;
  inPath?: boolean;
  /**
   * The file's name holds a key, so `path` has it replaced by its hint: no annotation (GitHub attaches
   * one to the real path, which would hold the key), it is listed in the summary instead.
   */
  pathHidden?: boolean;
  redacted: string;
  /** What happened to the key, for the annotation: "revoked at once", "not revoked: the repository is private". */
  outcome: string;
  /** The alert of a revoked key, whose proof of revocation the check run shows (check-run-proof.ts). */
  alertId?: string;
}

/** What part of a push could not be read (PushScanResult's `notRead` and `unread`). */
export interface NotRead {
  reasons: string[];
  files: number;
  commits: number;
}

/**
 * Reports a push's findings as the `neevscan` check run on its head commit:
 * `failure` with an annotation per finding (a key in a file's name is listed
 * in the summary: GitHub annotates lines of files, and the real name holds the
 * key); `neutral`, saying what was not scanned, when nothing was found but part
 * of the push could not be read; `success` only when all of it was read and
 * nothing found. A retried job updates the run it created rather than adding a
 * second one.
 */
export async function reportCheckRun(
  octokit: GitHubClient,
  redis: RedisClient,
  redisPrefix: string,
  target: { owner: string; repo: string; headSha: string },
  findings: readonly CheckRunFinding[],
  notRead?: NotRead,
): Promise<number> {
  const annotations = findings
    .flatMap((f) => (f.line === null || f.pathHidden ? [] : [{ path: f.path, line: f.line, redacted: f.redacted, outcome: f.outcome }]))
    .map((f) => ({
      path: f.path,
      start_line: f.line,
      end_line: f.line,
      annotation_level: 'failure' as const,
      title: 'NeevCloud API key committed',
      message:
        `A NeevCloud API key (${f.redacted}) is in this file: ${f.outcome}. ` +
        'Create a new key, update the applications that used this one, remove the key from the code and its history, ' +
        'and keep keys in a secrets manager or environment variables.',
    }));
  const incomplete = notRead !== undefined && notRead.reasons.length > 0;
  const inNames = findings.filter((f) => f.line === null || f.pathHidden);
  const summary = [
    findings.length
      ? 'neevscan found NeevCloud API keys added by this push. Keys in public repositories are revoked at once; see the annotations.'
      : incomplete
        ? 'neevscan found no NeevCloud API key in the part of this push it could read, but not all of it could be read: keys may be in what was not.'
        : 'neevscan found no NeevCloud API key in what this push added.',
    ...(inNames.length
      ? [
          '',
          'Keys in file or folder names, and in files so named (names shown with each key replaced by its hint):',
          ...inNames.map(
            (f) =>
              `- \`${f.path}\`${f.line === null ? '' : `, line ${f.line}`}: a NeevCloud API key (${f.redacted}) ${f.line === null ? 'in the name' : 'in the file'}: ${f.outcome}.`,
          ),
        ]
      : []),
    ...(incomplete
      ? ['', `Not scanned (${notRead.files} files, ${notRead.commits} commits):`, ...notRead.reasons.map((r) => `- ${r}`)]
      : []),
  ].join('\n');
  const output = {
    title: findings.length
      ? `${findings.length} NeevCloud API key${findings.length === 1 ? '' : 's'} found${incomplete ? '; part of the push not scanned' : ''}`
      : incomplete
        ? 'Part of this push could not be scanned'
        : 'No NeevCloud API keys found',
    // GitHub takes at most 65,535 characters.
    summary: summary.length > 65_000 ? `${summary.slice(0, 65_000)}\n…` : summary,
  };
  const memo = `${redisPrefix}{wh}:checkrun:${target.owner}/${target.repo}@${target.headSha}`;
  const known = await redis.get(memo);
  const conclusion = findings.length ? ('failure' as const) : incomplete ? ('neutral' as const) : ('success' as const);
  const base = { owner: target.owner, repo: target.repo, status: 'completed' as const, conclusion };
  let id: number;
  if (known) {
    // A retry: the run and its annotations exist (GitHub appends annotations on update, so they are not sent again).
    await octokit.rest.checks.update({ ...base, check_run_id: Number(known), output });
    return Number(known);
  } else {
    const created = await octokit.rest.checks.create({
      ...base,
      name: CHECK_RUN_NAME,
      head_sha: target.headSha,
      output: { ...output, annotations: annotations.slice(0, ANNOTATIONS_PER_REQUEST) },
    });
    id = created.data.id;
    await redis.set(memo, String(id), 'EX', 30 * 24 * 3600);
  }
  for (let at = ANNOTATIONS_PER_REQUEST; at < annotations.length; at += ANNOTATIONS_PER_REQUEST) {
    await octokit.rest.checks.update({
      owner: target.owner,
      repo: target.repo,
      check_run_id: id,
      output: { ...output, annotations: annotations.slice(at, at + ANNOTATIONS_PER_REQUEST) },
    });
  }
  return id;
}
