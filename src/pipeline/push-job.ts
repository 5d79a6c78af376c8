import { isoTime, list, obj, str } from './payload-fields.js';
import type { PushJob } from './queues.js';

const ZERO_SHA = /^0+$/;
/** A commit SHA: SHA-1, or SHA-256 in a repository that uses it. */
const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** A push delivery as it arrives: signed by GitHub, but every field is checked before use (a wrong type is refused, never thrown on). */
interface PushPayload {
  ref?: unknown;
  before?: unknown;
  after?: unknown;
  created?: unknown;
  deleted?: unknown;
  forced?: unknown;
  commits?: unknown;
  head_commit?: { timestamp?: unknown } | null;
  repository?: {
    name?: unknown;
    owner?: { login?: unknown; name?: unknown } | null;
    private?: unknown;
    default_branch?: unknown;
    master_branch?: unknown;
    html_url?: unknown;
    pushed_at?: unknown;
  } | null;
  installation?: { id?: unknown } | null;
}

/**
 * The job for a push delivery, or a reason to ignore it. Tag pushes are
 * ignored: a tag points at commits a branch push already brought (or at
 * commits outside any push, which the installation scan covers).
 */
export function pushJobFrom(payload: PushPayload, deliveryId: string, receivedAt: Date): { job: PushJob } | { ignored: string } {
  const repository = obj(payload.repository);
  const repoOwner = obj(repository?.owner);
  const owner = str(repoOwner?.login) ?? str(repoOwner?.name);
  const name = str(repository?.name);
  const { before, after } = payload;
  if (!repository || !name || !owner || typeof after !== 'string' || typeof before !== 'string') {
    return { ignored: 'not a push payload (no repository, before or after)' };
  }
  if (!SHA.test(before) || !SHA.test(after)) return { ignored: 'not a push payload (before and after are not commit SHAs)' };
  const ref = str(payload.ref);
  if (!ref?.startsWith('refs/heads/')) return { ignored: `not a branch push (${ref ?? 'no ref'})` };
  if (payload.deleted === true || ZERO_SHA.test(after)) return { ignored: 'branch deleted' };
  const pushedAt = isoTime(obj(payload.head_commit)?.timestamp) ?? isoTime(repository.pushed_at);
  const installationId = obj(payload.installation)?.id;
  return {
    job: {
      deliveryId,
      installationId: Number.isSafeInteger(installationId) ? (installationId as number) : null,
      owner,
      repo: name,
      htmlUrl: str(repository.html_url) ?? `https://github.com/${owner}/${name}`,
      private: repository.private !== false,
      defaultBranch: str(repository.default_branch) ?? str(repository.master_branch) ?? 'main',
      ref,
      before,
      after,
      created: payload.created === true || ZERO_SHA.test(before),
      deleted: false,
      forced: payload.forced === true,
      commitShas: list(payload.commits).flatMap((c) => str(obj<{ id?: unknown }>(c)?.id) ?? []),
      pushedAt,
      receivedAt: receivedAt.toISOString(),
    },
  };
}
