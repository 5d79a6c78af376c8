import { isoTime, list, obj, str } from '../pipeline/payload-fields.js';
import type { PushJob } from '../pipeline/queues.js';

const ZERO_SHA = /^0+$/;
/** A commit SHA: SHA-1, or SHA-256 in a repository that uses it. */
const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** A push delivery as it arrives: signed by GitHub, but every field is checked before use (a wrong type is refused, never thrown on). */
export interface PushPayload {
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
    full_name?: unknown;
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
  const { pushedAt, committedAt } = pushTimes(payload, receivedAt);
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
      committedAt,
      receivedAt: receivedAt.toISOString(),
    },
  };
}

/**
 * When the push happened, and apart from it when its head commit was made.
 * Push-to-revoke runs from the push: `repository.pushed_at` (Unix seconds in
 * push payloads), never the commit's `timestamp`, which is the committer's own
 * clock at commit time (a commit made last week and pushed now would read as a
 * week's latency). GitHub's push time has whole seconds and cannot be after
 * the delivery arrived: a later one (clock skew) is the receipt. Null when the
 * payload has none; latency then runs from the receipt.
 */
export function pushTimes(
  payload: Pick<PushPayload, 'head_commit' | 'repository'>,
  receivedAt: Date,
): { pushedAt: string | null; committedAt: string | null } {
  const now = receivedAt.getTime();
  const pushed = isoTime(obj(payload.repository)?.pushed_at, now);
  const pushedAt = pushed === null ? null : Date.parse(pushed) > now ? receivedAt.toISOString() : pushed;
  return { pushedAt, committedAt: isoTime(obj(payload.head_commit)?.timestamp, now) };
}
