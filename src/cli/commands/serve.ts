import { readConfig } from '../../config.js';
import { buildServer } from '../../server/app.js';
import { connectRedis, redactUrl } from '../../stores/redis.js';

/**
 * `neevscan serve`: the HTTP server. With Redis unreachable it still starts,
 * answers 503 on /readyz, and keeps retrying with a log line naming REDIS_URL.
 * SIGTERM and SIGINT close it gracefully: in-flight requests finish first.
 */
export async function runServe(): Promise<number> {
  const config = readConfig();
  let log = (message: string): void => void process.stderr.write(`${message}\n`);
  const redis = connectRedis(config.redisUrl, (message) => log(message));
  const { app } = buildServer(config, redis);
  log = (message) => app.log.warn(message);
  app.addHook('onClose', async () => {
    redis.disconnect();
  });
  await app.listen({ host: config.host, port: config.port });
  app.log.info(`neevscan serving on http://${config.host}:${config.port} (Redis ${redactUrl(config.redisUrl)})`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      app.log.info(`${signal}: shutting down`);
      void app.close().then(() => resolve());
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}
