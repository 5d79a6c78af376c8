import type { RepoScanJob } from './queues.js';

interface RepoRef {
  name?: string;
  full_name?: string;
  owner?: { login?: string };
}

interface InstallationPayload {
  action?: string;
  installation?: { id?: number; account?: { login?: string } };
  repositories?: RepoRef[];
  repositories_added?: RepoRef[];
  repository?: RepoRef;
}

/** Repositories beyond this in one delivery are left to a later scan (an installation on a huge organisation). */
const MAX_REPOSITORIES_PER_DELIVERY = 1000;

/**
 * The whole-repository scans a delivery asks for: `installation` created and
 * `installation_repositories` added scan each repository's default branch;
 * `public` (a repository just made public) scans its history as well.
 */
export function repoScanJobsFrom(event: string, payload: InstallationPayload, deliveryId: string, receivedAt: Date): { jobs: RepoScanJob[] } | { ignored: string } {
  const installationId = payload.installation?.id;
  if (typeof installationId !== 'number') return { ignored: `${event} without an installation` };
  let repos: RepoRef[] = [];
  let kind: RepoScanJob['kind'] = 'install';
  if (event === 'installation' && payload.action === 'created') repos = payload.repositories ?? [];
  else if (event === 'installation_repositories' && payload.action === 'added') repos = payload.repositories_added ?? [];
  else if (event === 'public' && payload.repository) {
    repos = [payload.repository];
    kind = 'public';
  } else return { ignored: `${event}${payload.action ? ` ${payload.action}` : ''} asks for no scan` };
  const jobs = repos.slice(0, MAX_REPOSITORIES_PER_DELIVERY).flatMap((r) => {
    const [owner, name] = r.full_name?.split('/') ?? [r.owner?.login ?? payload.installation?.account?.login, r.name];
    return owner && name ? [{ deliveryId, installationId, owner, repo: name, kind, receivedAt: receivedAt.toISOString() }] : [];
  });
  return jobs.length ? { jobs } : { ignored: 'no repositories to scan' };
}
