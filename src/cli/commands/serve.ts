import type { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { readConfig } from '../../config.js';
import type { Enqueue, QueuedJob } from '../../core/queued-job.js';
import { buildExposureDeps, buildPushDeps } from '../../pipeline/deps.js';
import { startExposureWorker } from '../../pipeline/exposure-worker.js';
import { bullConnection, exposureQueue, pushQueue, repoScanQueue } from '../../pipeline/queues.js';
import { startRepoScanWorker } from '../../pipeline/repo-scan-worker.js';
import { enqueueNotification, notifyQueue } from '../../pipeline/notify-queue.js';
import { buildNotifierDeps, startNotifyWorker } from '../../pipeline/notify-worker.js';
import { startPushWorker } from '../../pipeline/push-worker.js';
import { startPublicEventsWorkers } from '../../pipeline/public-events-worker.js';
import { checkRunQueue, enqueueCheckRun } from '../../pipeline/check-run-queue.js';
import { startCheckRunWorker } from '../../pipeline/check-run-worker.js';
import { wikiQueue } from '../../pipeline/wiki-job.js';
import { startWikiWorker } from '../../pipeline/wiki-worker.js';
import { loadRules } from '../../rules/load.js';
import { buildServer } from '../../server/app.js';
import { adminTokenWarning, insecureCookieWarning } from '../../server/startup-warnings.js';
import { connectRedis, redactUrl } from '../../stores/redis.js';
import { warnIfEvicting } from '../../stores/redis-checks.js';
import { collectProcessMetrics } from '../../metrics/registry.js';
import { declarePipelineMetrics } from '../../metrics/pipeline-metrics.js';
import { watchQueueDepths } from '../../metrics/queue-depths.js';
import { watchEventLoopStalls } from '../../metrics/event-loop-stall.js';
import { jobLockTimings, lockMarginMs } from '../../pipeline/job-locks.js';

/**
 * `neevscan serve`: the HTTP server and the queue workers. With Redis
 * unreachable it still starts, answers 503 on /readyz, and keeps retrying
 * with a log line naming REDIS_URL. SIGTERM and SIGINT close it gracefully:
 * in-flight requests and jobs finish first.
 */
/** How long SIGTERM waits for in-flight jobs before it stops anyway (a stopped job is retried by its queue). */
const SHUTDOWN_GRACE_MS = 25_000;

export async function runServe(options: { http?: boolean } = {}): Promise<number> {
  const config = readConfig();
  const withHttp = options.http !== false;
  let log = (message: string): void => void process.stderr.write(`${message}\n`);
  const redis = connectRedis(config.redisUrl, (message) => log(message));
  // The producer fails fast while Redis is away, so a webhook gets 503 (and is redelivered) rather than waiting.
  const producer = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  producer.on('error', () => {}); // connectRedis already reports outages
  const queue = pushQueue(producer, config.redisPrefix);
  queue.on('error', () => {});
  const exposures = exposureQueue(producer, config.redisPrefix);
  exposures.on('error', () => {});
  const repoScans = repoScanQueue(producer, config.redisPrefix);
  repoScans.on('error', () => {});
  // One notification job per notice of an alert, for the notifier (owner email and signed webhook) to deliver.
  const notifications = notifyQueue(producer, config.redisPrefix, config.notify);
  notifications.on('error', () => {});
  const notify = enqueueNotification(notifications, { redis: producer, redisPrefix: config.redisPrefix, timing: config.notify });
  // Check runs are reported by their own workers, after the push's keys are revoked.
  const checkRuns = checkRunQueue(producer, config.redisPrefix);
  checkRuns.on('error', () => {});
  const wikis = wikiQueue(producer, config.redisPrefix);
  wikis.on('error', () => {});
  redis.once('ready', () => void warnIfEvicting(redis, (message) => log(message)));

  // Loaded once, for the receiver (it scans issue, comment and discussion text as it arrives) and the workers.
  const rules = loadRules();
  const { app } = buildServer(config, redis, {
    enqueue: enqueueOn([queue, exposures, wikis, repoScans]),
    rules,
    // The partner endpoint confirms and revokes in the request; the owner's notification goes to the queue.
    notify,
  });
  log = (message) => app.log.warn(message);
  if (withHttp) {
    for (const warning of [adminTokenWarning(config.adminToken), insecureCookieWarning(config.host, config.dashboard.secureCookie, config.trustProxy)]) {
      if (warning) log(warning);
    }
  }

  collectProcessMetrics();
  declarePipelineMetrics();
  // A stall nearing the job-lock margin is logged: past it, other workers would run this process's jobs again.
  const stallWatch = watchEventLoopStalls(lockMarginMs(jobLockTimings(config.jobLockMs)), { info: (m) => app.log.info(m), warn: (m) => app.log.warn(m) });
  // Queue depths are read on the producer connection at each scrape of /metrics.
  const stopQueueDepths = watchQueueDepths(producer, config.redisPrefix);
  const workers: Worker[] = [];
  // Workers need a connection of their own (blocking commands); BullMQ leaves a connection it was given open, so we close it.
  const workerConnection = bullConnection(config.redisUrl) as Redis;
  workerConnection.on('error', () => {});
  const deps = buildPushDeps(config, redis, rules, (message) => log(message), notify);
  // NEEVSCAN_JOB_LOCK_MS: how soon a job held by a worker that died is run again.
  const tuning = { lockMs: config.jobLockMs };
  if ('missing' in deps) log(`neevscan: push workers not started: ${deps.missing}; pushes wait in the queue`);
  else {
    deps.enqueueCheckRun = enqueueCheckRun(checkRuns);
    workers.push(startPushWorker(workerConnection, config.redisPrefix, deps, (message) => log(message), config.pushConcurrency, tuning));
    workers.push(startCheckRunWorker(workerConnection, config.redisPrefix, deps, (message) => log(message), tuning));
    workers.push(startWikiWorker(workerConnection, config.redisPrefix, deps, (message) => log(message), tuning));
    workers.push(startRepoScanWorker(workerConnection, config.redisPrefix, deps, (message) => log(message), tuning));
  }
  // Exposures need no GitHub App (only the key store and alerts), so they are handled even when pushes wait.
  workers.push(startExposureWorker(workerConnection, config.redisPrefix, 'missing' in deps ? buildExposureDeps(config, redis, notify) : deps, (message) => log(message), tuning));
  // What `neevscan poll` queues from the public events feed: fetched with GITHUB_TOKEN(S), not the App.
  workers.push(...startPublicEventsWorkers(config, redis, rules, workerConnection, notify, (message) => log(message)));
  workers.push(startNotifyWorker(workerConnection, config.redisPrefix, buildNotifierDeps(config, redis, (message) => log(message)), (message) => log(message), tuning));

  if (withHttp) {
    await app.listen({ host: config.host, port: config.port });
    app.log.info(`neevscan serving on http://${config.host}:${config.port} (Redis ${redactUrl(config.redisUrl)}, REVOKE_POLICY=${config.revokePolicy})`);
  } else {
    app.log.info(`neevscan worker running (Redis ${redactUrl(config.redisUrl)}, REVOKE_POLICY=${config.revokePolicy})`);
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      app.log.info(`${signal}: shutting down`);
      // In-flight jobs get time to finish; without Redis there is nothing to finish, and BullMQ's close would wait forever.
      const graceMs = redis.status === 'ready' ? SHUTDOWN_GRACE_MS : 0;
      const giveUp = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
      const graceful = (async () => {
        await app.close();
        await Promise.all(workers.map((w) => w.close()));
        await queue.close().catch(() => {});
        await exposures.close().catch(() => {});
        await notifications.close().catch(() => {});
        await checkRuns.close().catch(() => {});
        await wikis.close().catch(() => {});
        await repoScans.close().catch(() => {});
        await stopQueueDepths();
        return 'closed' as const;
      })();
      void Promise.race([graceful, giveUp]).then((how) => {
        stallWatch.stop();
        producer.disconnect();
        workerConnection.disconnect();
        redis.disconnect();
        if (how === 'timeout') {
          app.log.warn(`${signal}: stopped without waiting for ${graceMs ? 'jobs still running' : 'Redis'} (their jobs are retried by the queue)`);
          // Reconnect timers of queues that never connected would keep the process alive.
          setTimeout(() => process.exit(process.exitCode ?? 0), 100).unref();
          process.exitCode = 0;
        }
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

/**
 * The receiver's `enqueue` over the queues it feeds: each queue's jobs in one
 * transaction, queues in the order their first job was planned (a delivery's
 * exposures before its push or wiki job), each job named as its queue.
 */
function enqueueOn(queues: readonly Queue[]): Enqueue {
  const byName = new Map(queues.map((q) => [q.name, q]));
  return async (jobs) => {
    const groups = new Map<string, QueuedJob[]>();
    for (const job of jobs) groups.set(job.queue, [...(groups.get(job.queue) ?? []), job]);
    for (const [name, group] of groups) {
      const queue = byName.get(name);
      if (!queue) throw new Error(`no queue ${name}`);
      if (group.length === 1) await queue.add(name, group[0]!.data, { jobId: group[0]!.jobId });
      else await queue.addBulk(group.map((job) => ({ name, data: job.data, opts: { jobId: job.jobId } })));
    }
  };
}
