import type { Redis } from 'ioredis';
import type { GitHubClient } from '../github/client.js';

/** The check run's name, fixed for integrators (CONTRACT.md). */
export const CHECK_RUN_NAME = 'neevscan';
/** GitHub takes at most 50 annotations per create or update request. */
const ANNOTATIONS_PER_REQUEST = 50;

export interface CheckRunFinding {
  path: string;
  line: number;
  redacted: string;
  /** What happened to the key, for the annotation: "revoked at once", "not revoked: the repository is private". */
  outcome: string;
}

/**
 * Reports a push's findings as the `neevscan` check run on its head commit:
 * `failure` with an annotation per finding, `success` when clean. A retried
 * job updates the run it created rather than adding a second one.
 */
export async function reportCheckRun(
  octokit: GitHubClient,
  redis: Redis,
  redisPrefix: string,
  target: { owner: string; repo: string; headSha: string },
  findings: readonly CheckRunFinding[],
): Promise<number> {
  const annotations = findings.map((f) => ({
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
  const output = {
    title: findings.length ? `${findings.length} NeevCloud API key${findings.length === 1 ? '' : 's'} found` : 'No NeevCloud API keys found',
    summary: findings.length
      ? 'neevscan found NeevCloud API keys added by this push. Keys in public repositories are revoked at once; see the annotations.'
      : 'neevscan found no NeevCloud API key in what this push added.',
  };
  const memo = `${redisPrefix}{wh}:checkrun:${target.owner}/${target.repo}@${target.headSha}`;
  const known = await redis.get(memo);
  const base = { owner: target.owner, repo: target.repo, status: 'completed' as const, conclusion: findings.length ? ('failure' as const) : ('success' as const) };
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
    await octokit.rest.checks.update({ owner: target.owner, repo: target.repo, check_run_id: id, output: { ...output, annotations: annotations.slice(at, at + ANNOTATIONS_PER_REQUEST) } });
  }
  return id;
}
