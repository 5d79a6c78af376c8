import type { ConnectionOptions, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { buildExposureDeps } from './deps.js';
import { NOTIFY_QUEUE, type NotifyJob } from './notify-queue.js';
import { startWorker, type WorkerTuning } from './start-worker.js';
import { AlertStore } from '../stores/alert-store.js';
import { DeliveryState } from '../notify/delivery-state.js';
import { smtpMailer } from '../notify/mailer.js';
import { processNotification, type NotifierDeps, type NotifyOutcome } from '../notify/notifier.js';
import { safePost } from '../notify/safe-webhook.js';

/**
 * The notify queue's worker: one job per notice of an alert (the first, then
 * rate-limited follow-ups), each delivering the owner's email and signed
 * webhook and the security team's copies. Jobs are mostly waiting on SMTP
 * and webhook receivers (a mail is ~100 ms of SMTP round trips): 32 at once per process.
 */
export function startNotifyWorker(connection: ConnectionOptions, redisPrefix: string, deps: NotifierDeps, log: (message: string) => void, tuning: WorkerTuning = {}): Worker<NotifyJob, NotifyOutcome> {
  return startWorker<NotifyJob, NotifyOutcome>(
    connection,
    redisPrefix,
    {
      queue: NOTIFY_QUEUE,
      concurrency: 32,
      process: (data, job) =>
        processNotification(deps, {
          alertId: data.alertId,
          jobId: job.id!,
          // attemptsMade counts the tries that failed before this one.
          lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
        }),
      describe: (job) => `notify ${job.alertId}`,
    },
    log,
    tuning,
  );
}

/** The notifier's dependencies from the configuration: the pipeline's key store, the alert store, mail when SMTP_URL is set. */
export function buildNotifierDeps(config: Config, redis: Redis, log: (message: string) => void): NotifierDeps {
  const { notify } = config;
  if (!notify.smtpUrl && notify.securityTeamEmail) log('neevscan: SECURITY_TEAM_EMAIL is set but SMTP_URL is not: mail is off, the security team gets no mail');
  return {
    alerts: new AlertStore(redis, config.redisPrefix),
    keyStore: buildExposureDeps(config, redis).keyStore,
    state: new DeliveryState(redis, config.redisPrefix),
    policy: config.revokePolicy,
    mailer: notify.smtpUrl ? smtpMailer(notify.smtpUrl, notify.mailFrom) : null,
    post: safePost,
    allowPrivateWebhooks: config.allowPrivateWebhooks,
    securityTeamEmail: notify.securityTeamEmail,
    securityTeamSlackWebhook: notify.securityTeamSlackWebhook,
    keysUrl: notify.keysUrl,
    log,
  };
}
