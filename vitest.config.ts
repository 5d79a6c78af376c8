import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Starts a redis-server for the run when nothing answers at REDIS_URL.
    globalSetup: ['test/helpers/global-redis.ts'],
    // Most tests wait on processes they spawn (serve, git, redis, the stand-in): two files at a time keep both
    // cores busy (vitest's default on a 2-core machine is one, which left one idle for most of the run).
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
