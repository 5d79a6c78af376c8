import type { EmitterWebhookEvent } from '@octokit/webhooks';
import { REPO_SCAN_QUEUE } from '../core/queue-names.js';
import { list, obj, str } from '../pipeline/payload-fields.js';
import { deliveryJobId, type RepoScanJob } from '../pipeline/queues.js';
import type { DeliveryContext, Planned } from './planned.js';

/** The events that can ask for whole-repository scans. */
export type RepoScanEvent = 'installation' | 'installation_repositories' | 'public';

/**
 * `installation`, `installation_repositories` and `public`: one scan job per
 * repository, numbered in the delivery (a retried delivery adds none twice).
 */
export function planRepoScans(event: EmitterWebhookEvent<RepoScanEvent>, { deliveryId, receivedAt }: DeliveryContext): Planned {
  const planned = repoScanJobsFrom(event.name, event.payload, deliveryId, receivedAt);
  if ('ignored' in planned) return planned;
  return {
    jobs: planned.jobs.map((data, i) => ({ queue: REPO_SCAN_QUEUE, data, jobId: deliveryJobId(deliveryId, i) })),
    counts: { repositories: planned.jobs.length },
  };
}

interface RepoRef {
  name?: unknown;
  full_name?: unknown;
  owner?: { login?: unknown } | null;
}

interface InstallationPayload {
  action?: unknown;
  /** The account is a user or organisation (with a login) or an enterprise (without one). */
  installation?: { id?: unknown; account?: unknown } | null;
  repositories?: unknown;
  repositories_added?: unknown;
  repository?: unknown;
}

/** Repositories beyond this in one delivery are left to a later scan (an installation on a huge organisation). */
const MAX_REPOSITORIES_PER_DELIVERY = 1000;

/**
 * The whole-repository scans a delivery asks for: `installation` created and
 * `installation_repositories` added scan each repository's default branch;
 * `public` (a repository just made public) scans its history as well.
 */
export function repoScanJobsFrom(
  event: string,
  payload: InstallationPayload,
  deliveryId: string,
  receivedAt: Date,
): { jobs: RepoScanJob[] } | { ignored: string } {
  const installation = obj(payload.installation);
  const installationId = installation?.id;
  if (typeof installationId !== 'number' || !Number.isSafeInteger(installationId)) return { ignored: `${event} without an installation` };
  const action = str(payload.action);
  let repos: readonly unknown[];
  let kind: RepoScanJob['kind'] = 'install';
  if (event === 'installation' && action === 'created') repos = list(payload.repositories);
  else if (event === 'installation_repositories' && action === 'added') repos = list(payload.repositories_added);
  else if (event === 'public' && obj(payload.repository)) {
    repos = [payload.repository];
    kind = 'public';
  } else return { ignored: `${event}${action ? ` ${action}` : ''} asks for no scan` };
  const account = str(obj(installation?.account)?.login);
  const jobs = repos.slice(0, MAX_REPOSITORIES_PER_DELIVERY).flatMap((item) => {
    const r = obj<RepoRef>(item);
    if (!r) return [];
    const [owner, name] = str(r.full_name)?.split('/') ?? [str(obj(r.owner)?.login) ?? account, str(r.name)];
    return owner && name ? [{ deliveryId, installationId, owner, repo: name, kind, receivedAt: receivedAt.toISOString() }] : [];
  });
  return jobs.length ? { jobs } : { ignored: 'no repositories to scan' };
}
