import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { RedisClient } from '../stores/redis.js';
import type { Config } from '../config.js';
import { ApiTokens } from '../stores/api-tokens.js';
import { RedisKeyStore } from '../stores/redis-key-store.js';
import { installErrorHandling } from './errors.js';
import { AuthFailures } from './auth-failures.js';
import { BodyBudget } from './body-budget.js';
import { keyRoutes } from './routes/keys.js';
import { keyReplaceRoute } from './routes/keys/replace.js';
import { keyCallersRoute } from './routes/keys/callers.js';
import { canaryAlerts } from './canary-alert.js';
import { authenticateProbeRoute } from './routes/authenticate-probe.js';
import { ownerRoutes } from './routes/owners.js';
import { tokenRoutes } from './routes/tokens.js';
import { githubWebhookRoutes } from './routes/github-webhooks.js';
import type { Enqueue } from '../core/queued-job.js';
import { EXPOSURE_QUEUE } from '../core/queue-names.js';
import { deliveryJobId, type ExposureJob } from '../pipeline/queues.js';
import { loadRules } from '../rules/load.js';
import type { CompiledRule } from '../rules/types.js';
import { registry } from '../metrics/registry.js';
import { SecretScanningKeys } from '../github/secret-scanning-keys.js';
import { buildExposureDeps } from '../pipeline/deps.js';
import type { HandleExposureDeps } from '../pipeline/handle-exposure.js';
import { secretScanningRoutes } from './routes/secret-scanning.js';
import { alertRoutes } from './routes/alerts.js';
import { AlertReview } from './alert-review.js';
import { openApiRoute, registerOpenApi } from './openapi.js';
import { dashboardRoutes } from './dashboard/routes.js';
import { publicReportRoutes } from './routes/public-report.js';

/**
 * GitHub gives up on a webhook delivery after 10 s, so a delivery still arriving after 15 s is lost to it already;
 * the partner endpoint's batches and the API's bodies are far smaller. Node checks these every TIMEOUT_CHECK_MS.
 */
export const REQUEST_TIMEOUT_MS = 15_000;
export const HEADERS_TIMEOUT_MS = 10_000;
const TIMEOUT_CHECK_MS = 1_000;

export interface ServerOptions {
  logLevel?: string;
  /** Queues what a webhook delivery plans (serve: the pipeline's queues); without it every delivery that plans work is answered 503. */
  enqueue?: Enqueue;
  /** The scanner's rules for text events; loaded here, once, when not given. */
  rules?: readonly CompiledRule[];
  /** Asks for the owner to be told about an alert (serve: the notification queue); alerts raised by the partner endpoint use it. */
  notify?: (alertId: string) => Promise<void>;
  /** Asks for the proof of a revocation (serve: the verify-revocation queue); revocations by the partner endpoint use it. */
  verifyRevocation?: HandleExposureDeps['verifyRevocation'];
}

export interface Server {
  app: FastifyInstance;
  store: RedisKeyStore;
  tokens: ApiTokens;
}

/** The HTTP server: health, the key store API. Logs never carry bodies, so never a key. */
export function buildServer(config: Config, redis: RedisClient, options: ServerOptions = {}): Server {
  const app = Fastify({
    logger: {
      level: options.logLevel ?? process.env.LOG_LEVEL ?? 'info',
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
    },
    // Per-request log lines cost more than the gateway's whole authenticate at thousands of requests a second.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.apiBodyLimit,
    // A request (headers and body) must arrive within REQUEST_TIMEOUT_MS, its headers within HEADERS_TIMEOUT_MS, or
    // Node answers 408 and closes the connection: a client that sends part of a body and stalls holds it no longer.
    requestTimeout: REQUEST_TIMEOUT_MS,
    http: { headersTimeout: HEADERS_TIMEOUT_MS, connectionsCheckingInterval: TIMEOUT_CHECK_MS },
    // Client addresses (rate limits, the failed-authentication count) and https (the session cookie) come from
    // X-Forwarded-For / -Proto only when NEEVSCAN_TRUST_PROXY names the proxy that sets them.
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    // Refuse what does not match a schema instead of coercing 42 into "42" or dropping unknown fields.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  });
  const store = new RedisKeyStore(redis, config.redisPrefix, config.defaultRateLimit);
  const tokens = new ApiTokens(redis, config.redisPrefix, config.adminToken);
  const bodyBudget = new BodyBudget();
  const auth = { tokens, failures: new AuthFailures(redis, config.redisPrefix, config.authFailureLimit) };
  installErrorHandling(app);
  // Before any route: the OpenAPI description collects the /api/v1 routes as they are declared.
  registerOpenApi(app);

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      if (redis.status !== 'ready') throw new Error(redis.status);
      await redis.ping();
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ error: { code: 'not_ready', message: 'Redis is not reachable (REDIS_URL)' } });
    }
  });
  // Prometheus text format; unauthenticated like /healthz (it holds counts and timings, never a key or a name).
  app.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  const exposureDeps = { ...buildExposureDeps(config, redis, options.notify), verifyRevocation: options.verifyRevocation };
  const enqueue: Enqueue =
    options.enqueue ??
    (async () => {
      throw new Error('no queues');
    });
  // The public report endpoint's keys go to the exposure queue, one job each (the route names them by its delivery id).
  const enqueueExposures = (jobs: ExposureJob[]) =>
    enqueue(jobs.map((data, i) => ({ queue: EXPOSURE_QUEUE, data, jobId: deliveryJobId(data.deliveryId, i) })));
  // Alerts are reviewed against the pipeline's key store (this server's, or the external one keys are confirmed with).
  const review = new AlertReview(exposureDeps.alerts, exposureDeps.keyStore);
  // /api/v1 in a plugin registered after the OpenAPI one, so that its description sees every route.
  void app.register(async (api) => {
    tokenRoutes(api, auth);
    ownerRoutes(api, store, auth, { allowPrivateWebhooks: config.allowPrivateWebhooks });
    keyRoutes(
      api,
      store,
      auth,
      canaryAlerts(exposureDeps, (message) => app.log.warn(message)),
    );
    keyReplaceRoute(api, store, exposureDeps.alerts, auth);
    keyCallersRoute(api, store, auth);
    authenticateProbeRoute(api, store, auth);
    alertRoutes(api, review, auth);
    publicReportRoutes(api, {
      redis,
      redisPrefix: config.redisPrefix,
      bodyBudget,
      enqueueExposures,
      // Revoked unless REPORT_REVOKE_POLICY=alert-only, or revoking is off altogether.
      policy: config.reportRevokePolicy === 'alert-only' || config.revokePolicy === 'off' ? 'off' : 'all',
    });
    openApiRoute(api);
  });
  dashboardRoutes(app, { review, tokens, redis, redisPrefix: config.redisPrefix, config: config.dashboard });
  githubWebhookRoutes(app, {
    secrets: config.github.webhookSecrets,
    bodyBudget,
    redis,
    redisPrefix: config.redisPrefix,
    enqueue,
    rules: options.rules ?? loadRules(),
  });
  secretScanningRoutes(app, {
    bodyBudget,
    keys: new SecretScanningKeys({ apiUrl: config.github.apiUrl, token: config.github.token, log: (message) => app.log.warn(message) }),
    // Every token GitHub's partner program reports is public: revoke it unless revoking is off altogether.
    exposureDeps: { ...exposureDeps, policy: config.revokePolicy === 'off' ? 'off' : 'all' },
  });
  return { app, store, tokens };
}

/** Trust the nearest `hops` proxies (what fastify does for a number, which its types do not take). */
function trustHops(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}
