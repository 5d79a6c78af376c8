import { readConfig } from '../../config.js';
import { NeevscanError } from '../../errors.js';
import { TokenPool } from '../../github/token-pool.js';
import { collectProcessMetrics } from '../../metrics/registry.js';
import { FeedCursor } from '../../poller/feed-cursor.js';
import { startMetricsServer, type MetricsServer } from '../../poller/metrics-server.js';
import { Poller } from '../../poller/poller.js';
import { queueSink } from '../../poller/queue-sink.js';
import { loadRules } from '../../rules/load.js';
import { connectRedis, describeRedisTarget, producerConnection } from '../../stores/redis.js';

export interface PollOptions {
  /** Seconds between polls (decimals allowed), instead of GitHub's X-Poll-Interval; or POLL_INTERVAL. */
  interval?: string;
  /** Port for /metrics, /healthz and /readyz; or POLL_METRICS_PORT. Unset: not served. */
  metricsPort?: string;
}

/** The fastest --interval accepted: a tight loop against GitHub would only burn the budget. */
const MIN_INTERVAL_SECONDS = 0.1;

function intervalSeconds(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < MIN_INTERVAL_SECONDS) {
    throw new NeevscanError(
      `--interval / POLL_INTERVAL must be a number of seconds, at least ${MIN_INTERVAL_SECONDS}, not "${value}"`,
      'bad_argument',
    );
  }
  return seconds;
}

function port(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535)
    throw new NeevscanError(`--metrics-port / POLL_METRICS_PORT must be a port number, not "${value}"`, 'bad_argument');
  return Number(value);
}

/**
 * `neevscan poll`: reads GitHub's public events feed and queues the work it
 * brings, for `serve` (or `worker`) to do. With Redis unreachable it keeps
 * retrying, with a log line naming REDIS_URL, and reads nothing meanwhile.
 * SIGTERM and SIGINT stop it between two polls; the cursor is in Redis.
 */
export async function runPoll(options: PollOptions = {}): Promise<number> {
  const config = readConfig();
  const tokens = config.github.tokens;
  if (tokens.length === 0)
    throw new NeevscanError('poll needs GitHub tokens: set GITHUB_TOKEN, or GITHUB_TOKENS (comma-separated)', 'no_token');
  const interval = intervalSeconds(options.interval ?? process.env.POLL_INTERVAL);
  const metricsPort = port(options.metricsPort ?? process.env.POLL_METRICS_PORT);
  const log = (message: string): void => void process.stderr.write(`${message}\n`);

  const redis = connectRedis(config, log);
  // Fails fast while Redis is away (the poll is retried), rather than queueing commands in memory.
  const producer = producerConnection(config);
  const sink = queueSink(producer, config.redisPrefix);

  collectProcessMetrics();
  const cursor = new FeedCursor(redis, config.redisPrefix);
  const poller = new Poller({
    apiUrl: config.github.apiUrl,
    pool: new TokenPool(tokens),
    cursor,
    rules: loadRules(),
    log,
    intervalSeconds: interval,
    sink,
  });

  let metrics: MetricsServer | undefined;
  if (metricsPort !== undefined) {
    metrics = await startMetricsServer(config.host, metricsPort, {
      redisReady: () => redis.status === 'ready',
      health: () => ({ lastReadAt: poller.lastReadAt?.toISOString() ?? null, cursor: cursor.cursor?.toString() ?? null }),
    });
    log(`neevscan poll: metrics on ${metrics.url}/metrics`);
  }

  const stop = new AbortController();
  const onSignal = (signal: string) => {
    log(`neevscan poll: ${signal}: stopping after the current poll`);
    stop.abort();
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));

  log(
    `neevscan poll: reading ${config.github.apiUrl}/events with ${tokens.length} token${tokens.length === 1 ? '' : 's'}, ` +
      `every ${interval === undefined ? "X-Poll-Interval (GitHub's pace)" : `${interval} s`} (Redis ${describeRedisTarget(config)})`,
  );
  // The cursor first: without it a restart would rescan the whole feed.
  while (!stop.signal.aborted) {
    try {
      await cursor.load();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  if (!stop.signal.aborted) log(`neevscan poll: resuming after event ${cursor.cursor ?? '(none: first start, the whole feed is read)'}`);
  await poller.run(stop.signal, () => redis.status === 'ready');

  await metrics?.close();
  await sink.close();
  producer.disconnect();
  redis.disconnect();
  log(`neevscan poll: stopped at event ${cursor.cursor ?? '(none)'}`);
  return 0;
}
