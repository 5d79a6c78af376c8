import type { PushJob } from './queues.js';

const ZERO_SHA = /^0+$/;

interface PushPayload {
  ref?: string;
  before?: string;
  after?: string;
  created?: boolean;
  deleted?: boolean;
  forced?: boolean;
  commits?: Array<{ id?: string }>;
  head_commit?: { id?: string; timestamp?: string } | null;
  repository?: { name?: string; owner?: { login?: string; name?: string }; private?: boolean; default_branch?: string; master_branch?: string; html_url?: string; pushed_at?: number | string };
  installation?: { id?: number };
}

/**
 * The job for a push delivery, or a reason to ignore it. Tag pushes are
 * ignored: a tag points at commits a branch push already brought (or at
 * commits outside any push, which the installation scan covers).
 */
export function pushJobFrom(payload: PushPayload, deliveryId: string, receivedAt: Date): { job: PushJob } | { ignored: string } {
  const repository = payload.repository;
  const owner = repository?.owner?.login ?? repository?.owner?.name;
  if (!repository?.name || !owner || typeof payload.after !== 'string' || typeof payload.before !== 'string') {
    return { ignored: 'not a push payload (no repository, before or after)' };
  }
  if (!payload.ref?.startsWith('refs/heads/')) return { ignored: `not a branch push (${payload.ref ?? 'no ref'})` };
  if (payload.deleted || ZERO_SHA.test(payload.after)) return { ignored: 'branch deleted' };
  const pushedAt =
    payload.head_commit?.timestamp ??
    (typeof repository.pushed_at === 'number' ? new Date(repository.pushed_at * 1000).toISOString() : (repository.pushed_at ?? null));
  return {
    job: {
      deliveryId,
      installationId: payload.installation?.id ?? null,
      owner,
      repo: repository.name,
      htmlUrl: repository.html_url ?? `https://github.com/${owner}/${repository.name}`,
      private: repository.private !== false,
      defaultBranch: repository.default_branch ?? repository.master_branch ?? 'main',
      ref: payload.ref,
      before: payload.before,
      after: payload.after,
      created: payload.created === true || ZERO_SHA.test(payload.before),
      deleted: false,
      forced: payload.forced === true,
      commitShas: (payload.commits ?? []).map((c) => c.id).filter((id): id is string => typeof id === 'string'),
      pushedAt,
      receivedAt: receivedAt.toISOString(),
    },
  };
}
