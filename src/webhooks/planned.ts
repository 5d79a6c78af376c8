import type { EmitterWebhookEvent, EmitterWebhookEventName } from '@octokit/webhooks';
import type { QueuedJob } from '../core/queued-job.js';
import type { Exposure } from '../core/exposure.js';
import { deliveryJobId, EXPOSURE_QUEUE, type ExposureJob } from '../pipeline/queues.js';
import type { CompiledRule } from '../rules/types.js';

/** What every handler is given beside the event: the delivery it came in, when, and the rules to scan its text with. */
export interface DeliveryContext {
  deliveryId: string;
  receivedAt: Date;
  rules: readonly CompiledRule[];
}

/** The counts the receiver answers with when a delivery is queued (`{"status":"queued", …}`), in the order they are written. */
export type QueuedCounts = Partial<Record<'repositories' | 'pages' | 'runs' | 'exposures', number>>;

/**
 * What a delivery becomes: the jobs to queue (each under an id of the delivery's) and the counts to
 * answer with, or the reason it asks for nothing.
 */
export type Planned = { jobs: QueuedJob[]; counts: QueuedCounts } | { ignored: string };

/**
 * One event family's handler: the verified, parsed delivery in, the planned
 * work out. The payload's types name GitHub's fields; every field is still
 * checked before use, since a signed delivery carries user text all the same.
 */
export type Handler<E extends EmitterWebhookEventName> = (event: EmitterWebhookEvent<E>, context: DeliveryContext) => Planned;

/**
 * A delivery's keys as exposure jobs, numbered in the delivery, so that queueing
 * the delivery again (a retry after a partial failure) adds nothing twice.
 */
export function exposureJobs(exposures: readonly Exposure[], deliveryId: string): QueuedJob<ExposureJob>[] {
  return exposures.map((exposure, i) => ({ queue: EXPOSURE_QUEUE, data: { deliveryId, exposure }, jobId: deliveryJobId(deliveryId, i) }));
}
