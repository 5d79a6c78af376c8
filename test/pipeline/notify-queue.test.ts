import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/key-format/key.js';
import { DeliveryState } from '../../src/notify/delivery-state.js';
import { handleExposure } from '../../src/pipeline/handle-exposure.js';
import { enqueueNotification } from '../../src/pipeline/notify-queue.js';
import { notifyJobs } from '../../src/pipeline/jobs/notify.js';
import { openJobQueue } from '../../src/pipeline/registry.js';
import type { Exposure } from '../../src/core/exposure.js';
import { AlertStore } from '../../src/stores/alert-store.js';
import { RedisKeyStore } from '../../src/stores/redis-key-store.js';
import { REDIS_URL, deletePrefix, dumpPrefix, freshPrefix } from '../helpers/redis.js';
import { asLocation } from '../helpers/location.js';

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
    location: asLocation({ source: 'push', repo: 'octo-org/app', path, line: 1, commit: 'a'.repeat(40), url: null, seenAt: now }),
    public: true,
    pushedAt: now,
    receivedAt: now,
  };
}

describe('notification jobs', () => {
  it('one job per alert, however many places the key turns up in; the job names the alert only', async () => {
    const prefix = freshPrefix();
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const queue = openJobQueue(notifyJobs, redis, prefix);
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

  it('as the service enqueues (with scheduling): one job for the burst, then one follow-up job, delayed, once the first notice is taken', async () => {
    const prefix = freshPrefix();
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const queue = openJobQueue(notifyJobs, redis, prefix, { notify: { attempts: 5, backoffMs: 300 } });
    cleanups.push(async () => {
      await queue.close();
      await deletePrefix(redis, prefix);
      redis.disconnect();
    });
    const keys = new RedisKeyStore(redis, prefix);
    const owner = await keys.createOwner({ name: 'Acme' });
    const { key } = await keys.createKey({ ownerId: owner.id, name: 'k' });
    const notify = enqueueNotification(queue, { redis, redisPrefix: prefix, timing: { delayMs: 1500, followUpMs: 60_000 } });
    const deps = { keyStore: keys, alerts: new AlertStore(redis, prefix), policy: 'public' as const, notify };

    const first = await handleExposure(deps, exposure(sha256Hex(key), 'a.env'));
    await handleExposure(deps, exposure(sha256Hex(key), 'b.env'));
    const alertId = first.alert!.id;
    let jobs = await queue.getJobs(['delayed', 'waiting']);
    expect(jobs.map((j) => [j.id, j.data, j.opts.delay, j.opts.attempts, j.opts.backoff])).toEqual([
      [`alert-${alertId}`, { alertId }, 1500, 5, { type: 'exponential', delay: 300, jitter: 0.5 }],
    ]);

    // The notifier takes the first notice (places a.env and b.env); a place found after it is a follow-up.
    expect(await new DeliveryState(redis, prefix).takeNotice(alertId, `alert-${alertId}`, Date.now())).toEqual({
      number: 1,
      from: 0,
      to: 2,
    });
    await handleExposure(deps, exposure(sha256Hex(key), 'c.env'));
    await handleExposure(deps, exposure(sha256Hex(key), 'd.env'));
    jobs = await queue.getJobs(['delayed', 'waiting']);
    const followUp = jobs.find((j) => j.id !== `alert-${alertId}`)!;
    expect(jobs).toHaveLength(2);
    expect(followUp.id).toBe(`alert-${alertId}-1`);
    expect(followUp.opts.delay).toBeGreaterThan(55_000);
    expect(await new DeliveryState(redis, prefix).takeNotice(alertId, followUp.id!, Date.now())).toEqual({ number: 2, from: 2, to: 4 });
  });
});
