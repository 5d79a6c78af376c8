import type { RedisClient } from '../stores/redis.js';
import type { Config } from '../config.js';
import { declarePublicEventsMetrics } from '../metrics/public-events-metrics.js';
import type { CompiledRule } from '../rules/types.js';
import type { CheckRunJob } from './check-run-queue.js';
import { buildAppJobDeps, buildExposureDeps, buildNotifierDeps, type AppJobDeps } from './deps.js';
import type { HandleExposureDeps } from './handle-exposure.js';
import type { JobDeps, NotWorkedHere } from './job-kind.js';
import { buildPublicEventsDeps } from './public-events-deps.js';

/** What a process's queue workers draw on, each part built on first use (a kind this process does not work builds nothing). */
export function jobDeps(
  config: Config,
  redis: RedisClient,
  rules: readonly CompiledRule[],
  log: (message: string) => void,
  notify: ((alertId: string) => Promise<void>) | undefined,
  enqueueCheckRun?: (job: CheckRunJob) => Promise<void>,
  verifyRevocation?: HandleExposureDeps['verifyRevocation'],
): JobDeps {
  const app = once((): AppJobDeps | NotWorkedHere => {
    const deps = buildAppJobDeps(config, redis, rules, log, notify);
    if ('missing' in deps) return { notWorked: `neevscan: push workers not started: ${deps.missing}; pushes wait in the queue` };
    deps.enqueueCheckRun = enqueueCheckRun;
    deps.verifyRevocation = verifyRevocation;
    return deps;
  });
  return {
    config,
    log,
    app,
    // The App's deps when there is an App (the same key store and alert store), else their own.
    exposures: once(() => {
      const deps = app();
      return 'notWorked' in deps ? { ...buildExposureDeps(config, redis, notify), verifyRevocation } : deps;
    }),
    publicEvents: once(() => {
      if (config.github.tokens.length === 0) {
        return {
          notWorked:
            'neevscan: public-events workers not started: GITHUB_TOKEN / GITHUB_TOKENS is not set; what `neevscan poll` queues waits',
        };
      }
      declarePublicEventsMetrics();
      return { ...buildPublicEventsDeps(config, redis, rules, log, notify), verifyRevocation };
    }),
    notifier: once(() => buildNotifierDeps(config, redis, log)),
  };
}

function once<T>(build: () => T): () => T {
  let built: { value: T } | null = null;
  return () => (built ??= { value: build() }).value;
}
