import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/key-format/key.js';
import { handleExposure } from '../../src/pipeline/handle-exposure.js';
import { enqueueNotification, notifyQueue } from '../../src/pipeline/notify-queue.js';
import type { Exposure } from '../../src/pipeline/types.js';
import { AlertStore } from '../../src/stores/alert-store.js';
import { RedisKeyStore } from '../../src/stores/redis-key-store.js';
import { REDIS_URL, deletePrefix, dumpPrefix, freshPrefix } from '../helpers/redis.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function exposure(sha: string, path: string): Exposure {
  const now = new Date().toISOString();
  return {
    secretSha256: sha,
    redacted: 'neev_…abcd',
    ruleId: 'neevcloud-api-key',
    location: { source: 'push', repo: 'octo-org/app', path, line: 1, commit: 'a'.repeat(40), url: null, seenAt: now },
    public: true,
    pushedAt: now,
    receivedAt: now,
  };
}

describe('notification jobs', () => {
  it('one job per alert, however many places the key turns up in; the job names the alert only', async () => {
    const prefix = freshPrefix();
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const queue = notifyQueue(redis, prefix);
    cleanups.push(async () => {
      await queue.close();
      await deletePrefix(redis, prefix);
      redis.disconnect();
    });
    const keys = new RedisKeyStore(redis, prefix);
    const owner = await keys.createOwner({ name: 'Acme' });
    const { key } = await keys.createKey({ ownerId: owner.id, name: 'k' });
    const deps = { keyStore: keys, alerts: new AlertStore(redis, prefix), policy: 'public' as const, notify: enqueueNotification(queue) };

    const first = await handleExposure(deps, exposure(sha256Hex(key), 'a.env'));
    await handleExposure(deps, exposure(sha256Hex(key), 'b.env'));
    await handleExposure(deps, exposure(sha256Hex(key), 'a.env'));
    const jobs = await queue.getJobs(['delayed', 'waiting']);
    expect(jobs.map((j) => j.data)).toEqual([{ alertId: first.alert!.id }]);
    expect(Buffer.concat(await dumpPrefix(redis, prefix)).includes(key)).toBe(false);
  });
});
