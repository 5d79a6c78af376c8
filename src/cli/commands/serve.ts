import type { Worker } from 'bullmq';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { readConfig, type Config } from '../../config.js';
import { NOTIFY_QUEUE } from '../../core/queue-names.js';
import { enqueueCheckRun } from '../../pipeline/check-run-queue.js';
import { jobDeps } from '../../pipeline/job-deps.js';
import { enqueueNotification } from '../../pipeline/notify-queue.js';
import { enqueueRevocationCheck } from '../../pipeline/revocation-check.js';
import { closeQueues, enqueueInto, JOB_QUEUES, openQueues, startQueueWorkers, type OpenQueues } from '../../pipeline/registry.js';
import { replicaConfirmation } from '../../pipeline/replica-confirm.js';
import { loadRules } from '../../rules/load.js';
import { buildServer } from '../../server/app.js';
import { adminTokenWarning, insecureCookieWarning } from '../../server/startup-warnings.js';
import { blockingConnection, connectRedis, describeRedisTarget, producerConnection, type RedisClient } from '../../stores/redis.js';
import { warnIfEvicting } from '../../stores/redis-checks.js';
import { collectProcessMetrics } from '../../metrics/registry.js';
import { declarePipelineMetrics } from '../../metrics/pipeline-metrics.js';
import { watchQueueDepths } from '../../metrics/queue-depths.js';
import { watchEventLoopStalls } from '../../metrics/event-loop-stall.js';
import { jobLockTimings, lockMarginMs } from '../../pipeline/job-locks.js';

/**
 * `neevscan serve`: the HTTP server and the queue workers (`neevscan worker`:
 * the same without HTTP). With Redis unreachable it still starts, answers 503
 * on /readyz, and keeps retrying with a log line naming REDIS_URL. SIGTERM and
 * SIGINT close it gracefully: in-flight requests and jobs finish first.
 */
/** How long SIGTERM waits for in-flight jobs before it stops anyway (a stopped job is retried by its queue). */
const SHUTDOWN_GRACE_MS = 25_000;

type Log = (message: string) => void;

/** What a running service holds, for shutdown to close. */
interface Running {
  app: FastifyInstance;
  redis: RedisClient;
  producer: RedisClient;
  queues: OpenQueues;
  workerConnection: RedisClient;
  workers: Worker[];
  stopQueueDepths: () => Promise<void>;
  stallWatch: { stop(): void };
}

export async function runServe(options: { http?: boolean } = {}): Promise<number> {
  const config = readConfig();
  const withHttp = options.http !== false;
  let log: Log = (message) => void process.stderr.write(`${message}\n`);
  const redis = connectRedis(config, (message) => log(message));
  // The producer fails fast while Redis is away, so a webhook gets 503 (and is redelivered) rather than waiting.
  const producer = producerConnection(config);
  const queues = openQueues(producer, config.redisPrefix, config);
  const enqueue = enqueueInto(queues);
  // One notification job per notice of an alert, for the notifier (owner email and signed webhook) to deliver.
  const notify = enqueueNotification(queues.get(NOTIFY_QUEUE)!, {
    redis: producer,
    redisPrefix: config.redisPrefix,
    timing: config.notify,
  });
  // One revocation check per revocation the pipeline makes: the gateway's own check must refuse the key.
  const verifyRevocation = enqueueRevocationCheck(enqueue);
  redis.once('ready', () => void warnIfEvicting(redis, (message) => log(message)));

  // Loaded once, for the receiver (it scans issue, comment and discussion text as it arrives) and the workers.
  const rules = loadRules();
  // What HTTP acknowledges (202) is first on NEEVSCAN_REDIS_WAIT_REPLICAS replicas; the workers' own adds need not wait.
  const receiverEnqueue = enqueueInto(
    queues,
    replicaConfirmation(producer, config.redisPrefix, config.redisWait, (message) => log(message)),
  );
  const { app } = buildServer(config, redis, { enqueue: receiverEnqueue, rules, notify, verifyRevocation });
  log = (message) => app.log.warn(message);
  if (withHttp) warnAtStartup(config, log);

  collectProcessMetrics();
  declarePipelineMetrics();
  // A stall nearing the job-lock margin is logged: past it, other workers would run this process's jobs again.
  const stallWatch = watchEventLoopStalls(lockMarginMs(jobLockTimings(config.jobLockMs)), {
    info: (m) => app.log.info(m),
    warn: (m) => app.log.warn(m),
  });
  // Queue depths are read on the producer connection at each scrape of /metrics.
  const stopQueueDepths = watchQueueDepths(producer, config.redisPrefix, JOB_QUEUES);
  // Queue workers need a connection of their own (blocking commands); BullMQ leaves a connection it was given open, so we close it.
  const workerConnection = blockingConnection(config);
  workerConnection.on('error', () => {});
  // Check runs are reported by their own queue workers, after the push's keys are revoked.
  const deps = jobDeps(config, redis, rules, (message) => log(message), notify, enqueueCheckRun(enqueue), verifyRevocation);
  // NEEVSCAN_JOB_LOCK_MS: how soon a job held by a worker that died is run again.
  const workers = startQueueWorkers(workerConnection, deps, { lockMs: config.jobLockMs });

  if (withHttp) {
    await app.listen({ host: config.host, port: config.port });
    // The port bound, not the one asked for: PORT=0 takes any free one.
    const { port } = app.server.address() as AddressInfo;
    app.log.info(
      `neevscan serving on http://${config.host}:${port} (Redis ${describeRedisTarget(config)}, REVOKE_POLICY=${config.revokePolicy})`,
    );
  } else {
    app.log.info(`neevscan worker running (Redis ${describeRedisTarget(config)}, REVOKE_POLICY=${config.revokePolicy})`);
  }
  await untilStopped({ app, redis, producer, queues, workerConnection, workers, stopQueueDepths, stallWatch });
  return 0;
}

function warnAtStartup(config: Config, log: Log): void {
  for (const warning of [
    adminTokenWarning(config.adminToken),
    insecureCookieWarning(config.host, config.dashboard.secureCookie, config.trustProxy),
  ]) {
    if (warning) log(warning);
  }
}

/** Resolves once SIGTERM or SIGINT has closed everything (or the grace time ran out). */
function untilStopped(running: Running): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (signal: string) => void shutDown(running, signal).then(resolve);
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

async function shutDown(running: Running, signal: string): Promise<void> {
  const { app, redis } = running;
  app.log.info(`${signal}: shutting down`);
  // In-flight jobs get time to finish; without Redis there is nothing to finish, and BullMQ's close would wait forever.
  const graceMs = redis.status === 'ready' ? SHUTDOWN_GRACE_MS : 0;
  const giveUp = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
  const graceful = (async () => {
    await app.close();
    await Promise.all(running.workers.map((w) => w.close()));
    await closeQueues(running.queues);
    await running.stopQueueDepths();
    return 'closed' as const;
  })();
  const how = await Promise.race([graceful, giveUp]);
  running.stallWatch.stop();
  running.producer.disconnect();
  running.workerConnection.disconnect();
  redis.disconnect();
  if (how === 'timeout') {
    app.log.warn(
      `${signal}: stopped without waiting for ${graceMs ? 'jobs still running' : 'Redis'} (their jobs are retried by the queue)`,
    );
    // Reconnect timers of queues that never connected would keep the process alive.
    setTimeout(() => process.exit(process.exitCode ?? 0), 100).unref();
    process.exitCode = 0;
    return;
  }
  // Everything closed: the process ends by itself. Should a handle still hold it (seen after a Redis Cluster failover:
  // one socket to a cluster node outlived the close), it is named and the process ends anyway: a service
  // told to stop must stop, not wait for its supervisor's kill.
  setTimeout(() => {
    app.log.warn(`${signal}: closed, but still held open by ${heldOpenBy()}: exiting`);
    process.exit(process.exitCode ?? 0);
  }, HELD_OPEN_MS).unref();
}

/** How long a closed service may take to end by itself before it exits anyway. */
const HELD_OPEN_MS = 3000;

/** What keeps the event loop alive, counted by kind ("2 TCPSocketWrap, 1 Timeout"). */
function heldOpenBy(): string {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return [...counts].map(([kind, n]) => `${n} ${kind}`).join(', ') || 'nothing visible';
}
