import type { EmitterWebhookEvent } from '@octokit/webhooks';
import type { QueuedJob } from '../core/queued-job.js';
import type { Exposure } from '../core/exposure.js';
import { PUSH_QUEUE } from '../core/queue-names.js';
import type { CompiledRule } from '../rules/types.js';
import { commitMessageExposures, listedMessages, type MessageContext } from '../pipeline/commit-messages.js';
import { obj, str } from '../pipeline/payload-fields.js';
import type { PushJob } from '../pipeline/queues.js';
import { isHttpUrl } from '../util/text.js';
import { pushJobFrom, pushTimes, type PushPayload } from './push-job.js';
import { exposureJobs, type DeliveryContext, type Planned } from './planned.js';

/**
 * `push`: the push queued as references (the worker fetches what it added),
 * and the keys in the commit messages it lists as exposures, found here so
 * that no message is queued. The exposures go first, like a wiki's titles: a
 * retried delivery re-adds neither, both being keyed by the delivery.
 */
export function planPush(event: EmitterWebhookEvent<'push'>, { deliveryId, receivedAt, rules }: DeliveryContext): Planned {
  const payload: PushPayload = event.payload;
  const exposures = exposuresFromPushMessages(payload, receivedAt, rules);
  const planned = pushJobFrom(payload, deliveryId, receivedAt);
  if ('ignored' in planned && exposures.length === 0) return planned;
  const jobs: QueuedJob[] = exposureJobs(exposures, deliveryId);
  if ('job' in planned) jobs.push({ queue: PUSH_QUEUE, data: planned.job satisfies PushJob, jobId: deliveryId });
  return { jobs, counts: exposures.length ? { exposures: exposures.length } : {} };
}

/**
 * The keys in the commit messages a push delivery lists, as exposures with
 * source `commit`. Every push delivery is read, a tag push or one whose job is
 * ignored included: a message is text someone wrote, wherever it was pushed.
 * Only a repository GitHub says is public makes them public.
 */
export function exposuresFromPushMessages(payload: PushPayload, receivedAt: Date, rules: readonly CompiledRule[]): Exposure[] {
  const messages = listedMessages(payload, receivedAt);
  if (messages.length === 0) return [];
  const repository = obj(payload.repository);
  const owner = obj(repository?.owner);
  const login = str(owner?.login) ?? str(owner?.name);
  const name = str(repository?.name);
  const repo = str(repository?.full_name) ?? (login && name ? `${login}/${name}` : null);
  const htmlUrl = str(repository?.html_url) ?? (repo ? `https://github.com/${repo}` : null);
  const context: MessageContext = {
    repo,
    htmlUrl: htmlUrl !== null && isHttpUrl(htmlUrl) ? htmlUrl : null,
    public: repository?.private === false,
    pushedAt: pushTimes(payload, receivedAt).pushedAt,
    receivedAt: receivedAt.toISOString(),
  };
  return commitMessageExposures(messages, context, rules);
}
