import type { FastifyInstance } from 'fastify';
import type { RedisClient } from '../../stores/redis.js';
import type { Enqueue } from '../../core/queued-job.js';
import type { CompiledRule } from '../../rules/types.js';
import { createWebhookDispatch } from '../../webhooks/dispatch.js';
import { verifyDelivery } from '../../webhooks/verify-delivery.js';
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
  /**
   * Queues a delivery's jobs: the delivery is answered 503 when this throws, and GitHub redelivers it. The jobs are
   * named by the delivery id, so that queueing one delivery twice adds nothing and a redelivery adds what is missing.
   */
  enqueue: Enqueue;
  /** Bytes of unverified bodies being received at once, shared with the partner endpoint. */
  bodyBudget: BodyBudget;
  /** The scanner's rules, loaded once at start: text events are scanned here, where the text arrives. */
  rules: readonly CompiledRule[];
  now?: () => Date;
}

const fail = (code: string, message: string) => ({ error: { code, message } });

/**
 * POST /webhooks/github: verify (webhooks/verify-delivery.ts), plan the
 * delivery's jobs through the dispatch table (webhooks/dispatch.ts), dedupe,
 * enqueue, answer 202 — never scan a push inline. The signature is checked
 * over the raw bytes before anything is parsed; a forged or unsigned delivery
 * gets 401 and changes nothing.
 */
export function githubWebhookRoutes(app: FastifyInstance, options: WebhookOptions): void {
  const deliveryKey = (id: string) => `${options.redisPrefix}{wh}:delivery:${id}`;
  const dispatch = createWebhookDispatch();

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
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const headers = request.headers;
      const verified = verifyDelivery(
        options.secrets,
        { signature: headers['x-hub-signature-256'], event: headers['x-github-event'], delivery: headers['x-github-delivery'] },
        raw,
      );
      if ('refused' in verified) return reply.code(verified.refused.status).send(fail(verified.refused.code, verified.refused.message));
      const { event, delivery, payload } = verified;
      if (event === 'ping') return reply.code(200).send({ status: 'pong' });

      const receivedAt = (options.now ?? (() => new Date()))();
      const planned = await dispatch.plan(event, payload, { deliveryId: delivery, receivedAt, rules: options.rules });
      // With Redis away the answer is 503: GitHub marks the delivery failed and it can be redelivered, not lost.
      const unavailable = () =>
        reply.code(503).header('Retry-After', '5').send(fail('unavailable', 'cannot queue the delivery now; redeliver it'));
      let seen: string | null;
      try {
        seen = await options.redis.get(deliveryKey(delivery));
      } catch {
        return unavailable();
      }
      if (seen !== null) return reply.code(200).send({ status: 'duplicate' });
      if ('jobs' in planned) {
        try {
          await options.enqueue(planned.jobs);
        } catch {
          return unavailable();
        }
      }
      // Remembered only once queued: Redis lost between the two (a restart) must leave the delivery unremembered, so
      // that GitHub's redelivery is queued rather than answered "duplicate" and lost. Queueing a delivery twice (two
      // copies at once, or this write failing) adds nothing, since its jobs are named by the delivery id.
      await options.redis.set(deliveryKey(delivery), '1', 'EX', DELIVERY_TTL_SECONDS).catch(() => {});
      if ('ignored' in planned) return reply.code(202).send({ status: 'ignored', reason: planned.ignored });
      return reply.code(202).send({ status: 'queued', ...planned.counts });
    });
  });
}
