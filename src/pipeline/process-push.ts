import { findSecretsInPush } from '../github/push-changes.js';
import { reportCheckRun, type CheckRunFinding } from './check-run.js';
import type { CheckRunJob } from './check-run-queue.js';
import type { AppJobDeps } from './deps.js';
import { commitMessageExposures } from './commit-messages.js';
import { handleExposure } from './handle-exposure.js';
import type { PushJob } from './queues.js';
import { repoExposure, type RepoContext } from './repo-exposure.js';
import { mapLimit } from '../util/map-limit.js';
import { pipelineMetrics } from '../metrics/pipeline-metrics.js';

export interface PushResult {
  findings: number;
  revoked: number;
  truncated: boolean;
}

const OUTCOME_TEXT: Record<string, string> = {
  revoked: 'it was revoked at once',
  'already-revoked': 'it was already revoked',
  expired: 'it had already expired',
  'alert-only': 'it was not revoked (the repository is private; REVOKE_POLICY=public), and the security team was alerted',
  unknown: 'it is not a key NeevCloud issued, or it no longer exists',
};

/**
 * One push: fetch what it added, scan it, confirm and revoke each key by
 * policy, record alerts, and report the check run. Every step is idempotent,
 * so a retried or redelivered job revokes, alerts and annotates once.
 */
export async function processPush(job: PushJob, deps: AppJobDeps): Promise<PushResult> {
  if (job.installationId === null) throw new Error(`push ${job.deliveryId} names no App installation`);
  const octokit = deps.github.forInstallation(job.installationId);
  const scanned = await findSecretsInPush(
    octokit,
    {
      owner: job.owner,
      repo: job.repo,
      before: job.before,
      after: job.after,
      commitShas: job.commitShas,
      forced: job.forced,
      created: job.created,
      deleted: job.deleted,
      defaultBranch: job.defaultBranch,
    },
    deps.rules,
    { memo: deps.blobMemo, log: deps.log },
  );
  const context: RepoContext = {
    source: 'push',
    owner: job.owner,
    repo: job.repo,
    htmlUrl: job.htmlUrl,
    public: !job.private,
    pushedAt: job.pushedAt,
    committedAt: job.committedAt ?? null,
    receivedAt: job.receivedAt,
    seenAt: new Date().toISOString(),
    scanIncomplete: scanned.truncated,
  };
  if (scanned.truncated) pipelineMetrics.scansIncomplete().inc({ source: 'push' });
  // The push's keys are confirmed and revoked together: each is a few round trips to the key store, none waits on another.
  const handled = await mapLimit(scanned.findings, 16, (finding) => handleExposure(deps, repoExposure(finding, context)));
  const outcomes = handled.map((result) => result.outcome);
  // Messages of commits the delivery did not list (it lists 20): the receiver scanned the listed ones.
  const listed = new Set(job.commitShas);
  const unlisted = scanned.messages.filter((m) => !listed.has(m.sha)).map((m) => ({ ...m, committedAt: null }));
  const inMessages = commitMessageExposures(
    unlisted,
    { repo: `${job.owner}/${job.repo}`, htmlUrl: job.htmlUrl, public: !job.private, pushedAt: job.pushedAt, receivedAt: job.receivedAt },
    deps.rules,
  );
  await mapLimit(inMessages, 16, (exposure) => handleExposure(deps, exposure));
  const revoked = outcomes.filter((outcome) => outcome === 'revoked').length;
  const findings: CheckRunFinding[] = scanned.findings.flatMap((finding, i) =>
    // A marked line that holds no key NeevCloud knows is the test fixture its marker says it is; a known key is reported whatever the marker.
    finding.allowMarker && outcomes[i] === 'unknown'
      ? []
      : [
          {
            path: finding.path,
            line: finding.inPath ? null : finding.line,
            ...(finding.inPath ? { inPath: true } : {}),
            ...(finding.folder !== undefined ? { pathHidden: true } : {}),
            redacted: finding.redacted,
            outcome: OUTCOME_TEXT[outcomes[i]!] ?? outcomes[i]!,
            // The check run reads the revocation's proof from the alert when it is reported.
            ...(handled[i]!.alert?.revokedAt ? { alertId: handled[i]!.alert!.id } : {}),
          },
        ],
  );
  const notRead = scanned.truncated ? { reasons: scanned.notRead, ...scanned.unread } : undefined;
  const checkRun: CheckRunJob = {
    deliveryId: job.deliveryId,
    installationId: job.installationId,
    owner: job.owner,
    repo: job.repo,
    headSha: job.after,
    findings,
    ...(notRead ? { notRead } : {}),
  };
  if (deps.enqueueCheckRun) await deps.enqueueCheckRun(checkRun);
  else
    await reportCheckRun(
      octokit,
      deps.redis,
      deps.redisPrefix,
      { owner: job.owner, repo: job.repo, headSha: job.after },
      findings,
      notRead,
    );
  return { findings: scanned.findings.length, revoked, truncated: scanned.truncated };
}
