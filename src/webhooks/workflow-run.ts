import type { EmitterWebhookEvent } from '@octokit/webhooks';
import { CI_LOG_QUEUE } from '../core/queue-names.js';
import type { CiLogJob } from '../pipeline/ci-log-job.js';
import { obj, str } from '../pipeline/payload-fields.js';
import type { DeliveryContext, Planned } from './planned.js';

const SHA = /^[0-9a-f]{40}$/;

/**
 * `workflow_run` `completed`: a job downloading and scanning the run's logs (GitHub's own secret
 * scanning does not read them). Names, ids and links only: the logs are read by the worker.
 */
export function planWorkflowRun(event: EmitterWebhookEvent<'workflow_run'>, { deliveryId, receivedAt }: DeliveryContext): Planned {
  const planned = ciLogJobFrom(event.payload, deliveryId, receivedAt);
  if ('ignored' in planned) return planned;
  return { jobs: [{ queue: CI_LOG_QUEUE, data: planned, jobId: deliveryId }], counts: { runs: 1 } };
}

interface WorkflowRunPayload {
  action?: unknown;
  workflow_run?: { id?: unknown; html_url?: unknown; head_sha?: unknown } | null;
  repository?: { full_name?: unknown; private?: unknown; html_url?: unknown } | null;
  installation?: { id?: unknown } | null;
}

/** A completed run's logs job, or why there is none. */
export function ciLogJobFrom(payload: WorkflowRunPayload, deliveryId: string, receivedAt: Date): CiLogJob | { ignored: string } {
  if (payload.action !== 'completed')
    return { ignored: `workflow_run ${String(str(payload.action) ?? '')} (only completed runs have logs)`.trim() };
  const run = obj(payload.workflow_run);
  const repository = obj(payload.repository);
  const [owner, repo, extra] = str(repository?.full_name)?.split('/') ?? [];
  const runId = run?.id;
  if (!run || !owner || !repo || extra !== undefined || !Number.isSafeInteger(runId) || (runId as number) <= 0)
    return { ignored: 'not a workflow_run payload' };
  const installationId = obj(payload.installation)?.id;
  // A run's logs need a token even for a public repository.
  if (!Number.isSafeInteger(installationId)) return { ignored: "no App installation to read the run's logs" };
  const headSha = str(run.head_sha);
  return {
    deliveryId,
    installationId: installationId as number,
    owner,
    repo,
    runId: runId as number,
    htmlUrl:
      webUrl(str(run.html_url)) ??
      `${webUrl(str(repository?.html_url)) ?? `https://github.com/${owner}/${repo}`}/actions/runs/${String(runId)}`,
    headSha: headSha && SHA.test(headSha) ? headSha : null,
    // Only a repository GitHub says is public has public logs.
    public: repository?.private === false,
    receivedAt: receivedAt.toISOString(),
  };
}

/** An http(s) link, else undefined: alerts and notices show it. */
function webUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}
