import type { FastifyInstance } from 'fastify';
import type { RedisClient } from '../../stores/redis.js';
import { verifyWebhookSignature } from '../../github/webhook-signature.js';
import { exposuresFromPushMessages } from '../../pipeline/commit-messages.js';
import { pushJobFrom } from '../../pipeline/push-job.js';
import { repoScanJobsFrom } from '../../pipeline/repo-scan-job.js';
import type { ExposureJob, PushJob, RepoScanJob } from '../../pipeline/queues.js';
import { exposuresFromTextEvent, isTextEvent } from '../../pipeline/text-events.js';
import type { CompiledRule } from '../../rules/types.js';
import { wikiJobFrom, type WikiJob } from '../../pipeline/wiki-job.js';
import { pipelineMetrics, webhookEventLabel, webhookOutcome } from '../../metrics/pipeline-metrics.js';
import { limitBodiesInFlight, type BodyBudget } from '../body-budget.js';

/** GitHub caps webhook payloads at 25 MB (it does not send larger ones); memory is bounded by the body budget. */
export const WEBHOOK_BODY_LIMIT = 25 * 1024 * 1024;
/** GitHub redelivers with the same X-GitHub-Delivery for days: remember ids for a week. */
const DELIVERY_TTL_SECONDS = 7 * 24 * 3600;

export interface WebhookOptions {
  secrets: string[];
  redis: RedisClient;
  redisPrefix: string;
  /** Each enqueue names its jobs by the delivery id, so that queueing one delivery twice adds nothing. */
  enqueuePush: (job: PushJob) => Promise<void>;
  /** Queues the keys found in a delivery's text, all or none (the delivery is answered 503 when this throws). */
  enqueueExposures: (jobs: ExposureJob[]) => Promise<void>;
  /** Whole-repository scans (installation, repositories added, a repository made public). */
  enqueueRepoScans: (jobs: RepoScanJob[]) => Promise<void>;
  /** Wiki edits (`gollum`): the page commits to fetch. */
  enqueueWiki: (job: WikiJob) => Promise<void>;
  /** Bytes of unverified bodies being received at once, shared with the partner endpoint. */
  bodyBudget: BodyBudget;
  /** The scanner's rules, loaded once at start: text events are scanned here, where the text arrives. */
  rules: readonly CompiledRule[];
  now?: () => Date;
}

const fail = (code: string, message: string) => ({ error: { code, message } });

/**
 * POST /webhooks/github: verify, dedupe, enqueue, answer 202 — never scan
 * inline. The signature is checked over the raw bytes before anything is
 * parsed; a forged or unsigned delivery gets 401 and changes nothing.
 */
export function githubWebhookRoutes(app: FastifyInstance, options: WebhookOptions): void {
  const deliveryKey = (id: string) => `${options.redisPrefix}{wh}:delivery:${id}`;

  void app.register(async (scope) => {
    // This route alone reads its body as raw bytes (any content type), with GitHub's own size limit.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_request, body, done) => done(null, body));
    // The body is held whole before its signature can be checked: only so many bytes of it at once, from anyone.
    limitBodiesInFlight(scope, options.bodyBudget, WEBHOOK_BODY_LIMIT);
    // Every answer counted by what it was, refusals (forged, too large) included.
    scope.addHook('onResponse', async (request, reply) => {
      const event = webhookEventLabel(request.headers['x-github-event']);
      pipelineMetrics.webhookDeliveries().inc({ event, outcome: webhookOutcome(reply.statusCode, event) });
    });

    scope.post('/webhooks/github', { bodyLimit: WEBHOOK_BODY_LIMIT }, async (request, reply) => {
      if (options.secrets.length === 0) {
        return reply.code(503).send(fail('not_configured', 'webhooks are refused: GITHUB_WEBHOOK_SECRET is not set'));
      }
      const signature = request.headers['x-hub-signature-256'];
      const event = request.headers['x-github-event'];
      const delivery = request.headers['x-github-delivery'];
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      if (typeof signature !== 'string' || !signature.startsWith('sha256=')) {
        return reply.code(401).send(fail('unsigned', 'X-Hub-Signature-256 is missing'));
      }
      if (!verifyWebhookSignature(options.secrets, raw, signature)) return reply.code(401).send(fail('bad_signature', 'X-Hub-Signature-256 does not match the body'));
      if (typeof event !== 'string' || typeof delivery !== 'string' || !/^[\w-]{1,100}$/.test(delivery)) {
        return reply.code(400).send(fail('bad_request', 'X-GitHub-Event and X-GitHub-Delivery are required'));
      }
      let payload: unknown;
      try {
        payload = JSON.parse(raw.toString('utf8'));
      } catch {
        return reply.code(400).send(fail('bad_request', 'the body is not JSON'));
      }
      if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return reply.code(400).send(fail('bad_request', 'the body is not a JSON object'));
      if (event === 'ping') return reply.code(200).send({ status: 'pong' });

      const receivedAt = (options.now ?? (() => new Date()))();
      const planned = plan(event, payload, delivery, receivedAt, options.rules);
      // With Redis away the answer is 503: GitHub marks the delivery failed and it can be redelivered, not lost.
      const unavailable = () => reply.code(503).header('Retry-After', '5').send(fail('unavailable', 'cannot queue the delivery now; redeliver it'));
      let seen: string | null;
      try {
        seen = await options.redis.get(deliveryKey(delivery));
      } catch {
        return unavailable();
      }
      if (seen !== null) return reply.code(200).send({ status: 'duplicate' });
      if (!('ignored' in planned)) {
        try {
          if ('job' in planned) {
            // Keys in commit messages first, like a wiki's titles: a retried delivery re-adds neither (both keyed by the delivery).
            if (planned.exposures.length) await options.enqueueExposures(planned.exposures);
            await options.enqueuePush(planned.job);
          } else if ('scans' in planned) await options.enqueueRepoScans(planned.scans);
          else if ('wiki' in planned) {
            // Keys in page titles and summaries first: a retried delivery re-adds neither (both are keyed by the delivery).
            if (planned.exposures.length) await options.enqueueExposures(planned.exposures);
            await options.enqueueWiki(planned.wiki);
          } else await options.enqueueExposures(planned.exposures);
        } catch {
          return unavailable();
        }
      }
      // Remembered only once queued: Redis lost between the two (a restart) must leave the delivery unremembered, so
      // that GitHub's redelivery is queued rather than answered "duplicate" and lost. Queueing a delivery twice (two
      // copies at once, or this write failing) adds nothing, since its jobs are named by the delivery id.
      await options.redis.set(deliveryKey(delivery), '1', 'EX', DELIVERY_TTL_SECONDS).catch(() => {});
      if ('ignored' in planned) return reply.code(202).send({ status: 'ignored', reason: planned.ignored });
      if ('scans' in planned) return reply.code(202).send({ status: 'queued', repositories: planned.scans.length });
      if ('wiki' in planned) return reply.code(202).send({ status: 'queued', pages: planned.wiki.pages.length, exposures: planned.exposures.length });
      if ('job' in planned) return reply.code(202).send(planned.exposures.length ? { status: 'queued', exposures: planned.exposures.length } : { status: 'queued' });
      return reply.code(202).send({ status: 'queued', exposures: planned.exposures.length });
    });
  });
}

type Planned = { job: PushJob; exposures: ExposureJob[] } | { exposures: ExposureJob[] } | { scans: RepoScanJob[] } | { wiki: WikiJob; exposures: ExposureJob[] } | { ignored: string };

const REPO_SCAN_EVENTS = new Set(['installation', 'installation_repositories', 'public']);

/**
 * What a delivery becomes. A push is queued as references (the worker fetches
 * what it added), and the keys in the commit messages it lists as exposures;
 * an event carrying text is scanned now, and only what was
 * found (hashes, hints, places) is queued, never the text.
 */
function plan(event: string, payload: object, delivery: string, receivedAt: Date, rules: readonly CompiledRule[]): Planned {
  if (event === 'push') {
    // Commit messages arrive here and nowhere else the job goes: scanned now, only what was found is queued.
    const exposures = exposuresFromPushMessages(payload as never, receivedAt, rules).map((exposure) => ({ deliveryId: delivery, exposure }));
    const planned = pushJobFrom(payload as never, delivery, receivedAt);
    if ('ignored' in planned) return exposures.length ? { exposures } : planned;
    return { job: planned.job, exposures };
  }
  if (REPO_SCAN_EVENTS.has(event)) {
    const planned = repoScanJobsFrom(event, payload as never, delivery, receivedAt);
    return 'jobs' in planned ? { scans: planned.jobs } : planned;
  }
  if (event === 'gollum') {
    const planned = wikiJobFrom(payload as never, delivery, receivedAt, rules);
    if ('ignored' in planned) return planned;
    return { wiki: planned.job, exposures: planned.exposures.map((exposure) => ({ deliveryId: delivery, exposure })) };
  }
  if (!isTextEvent(event)) return { ignored: `event ${event} is not handled yet` };
  const exposures = exposuresFromTextEvent(event, payload, rules, receivedAt);
  if (exposures.length === 0) return { ignored: 'no key in the text' };
  return { exposures: exposures.map((exposure) => ({ deliveryId: delivery, exposure })) };
}
