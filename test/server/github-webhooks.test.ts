import { createHmac } from 'node:crypto';
import { webhookExamples } from '../helpers/webhook-examples.js';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PUSH_QUEUE } from '../../src/core/queue-names.js';
import type { PushJob } from '../../src/pipeline/queues.js';
import { pushJobs } from '../../src/pipeline/jobs/push.js';
import { openJobQueue } from '../../src/pipeline/registry.js';
import { REDIS_URL, deletePrefix, testRedis } from '../helpers/redis.js';
import { enqueueTo, startServer, type TestServer } from '../helpers/server.js';
import { Redis } from 'ioredis';

const SECRET = 'webhook-secret-for-tests';
const OLD_SECRET = 'the-secret-before-rotation';
const pushExamples = (webhookExamples as Array<{ name: string; examples: unknown[] }>).find((e) => e.name === 'push')!.examples as Array<
  Record<string, any>
>;

let t: TestServer;
let queue: Queue<PushJob>;
let queueRedis: Redis;

beforeEach(async () => {
  queueRedis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  t = await startServer(
    { GITHUB_WEBHOOK_SECRET: `${SECRET},${OLD_SECRET}` },
    {
      enqueue: enqueueTo({
        [PUSH_QUEUE]: async (jobs) =>
          void (await queue.addBulk(jobs.map((job) => ({ name: 'push', data: job.data as PushJob, opts: { jobId: job.jobId } })))),
      }),
    },
  );
  queue = openJobQueue(pushJobs, queueRedis, t.prefix);
});
afterEach(async () => {
  await queue.close();
  const redis = testRedis();
  await deletePrefix(redis, t.prefix);
  redis.disconnect();
  queueRedis.disconnect();
  await t.close();
});

function deliver(event: string, body: string | Buffer, options: { secret?: string | null; delivery?: string; signature?: string } = {}) {
  const raw = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const secret = options.secret === undefined ? SECRET : options.secret;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-github-event': event,
    'x-github-delivery': options.delivery ?? crypto.randomUUID(),
  };
  if (options.signature) headers['x-hub-signature-256'] = options.signature;
  else if (secret) headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
  return fetch(`${t.url}/webhooks/github`, { method: 'POST', headers, body: raw });
}

describe('POST /webhooks/github', () => {
  it('accepts every push example GitHub documents, queueing branch pushes and ignoring tag pushes', async () => {
    expect(pushExamples.length).toBeGreaterThan(3);
    for (const example of pushExamples) {
      const res = await deliver('push', JSON.stringify(example));
      expect(res.status).toBe(202);
      const body = (await res.json()) as { status: string };
      expect(body.status).toBe(example.ref.startsWith('refs/heads/') && !example.deleted ? 'queued' : 'ignored');
    }
    const jobs = await queue.getJobs(['waiting']);
    expect(jobs.length).toBe(pushExamples.filter((e) => e.ref.startsWith('refs/heads/') && !e.deleted).length);
    const job = jobs[0]!.data;
    expect(job).toMatchObject({
      owner: expect.any(String),
      repo: expect.any(String),
      after: expect.stringMatching(/^[0-9a-f]{40}$/),
      created: true,
    });
    // Job data holds references only: no commit messages, no payload text.
    expect(JSON.stringify(jobs.map((j) => j.data))).not.toContain('message');
  });

  it('refuses forged and unsigned deliveries with 401 and queues nothing', async () => {
    const body = JSON.stringify(pushExamples[4]);
    expect((await deliver('push', body, { secret: 'wrong' })).status).toBe(401);
    expect((await deliver('push', body, { secret: null })).status).toBe(401);
    expect((await deliver('push', body, { signature: 'sha1=abc' })).status).toBe(401);
    const tampered = body.replace('"created":true', '"created":false');
    expect(
      (await deliver('push', tampered, { signature: `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` })).status,
    ).toBe(401);
    expect(await queue.count()).toBe(0);
  });

  it('accepts the previous secret during a rotation', async () => {
    expect((await deliver('push', JSON.stringify(pushExamples[4]), { secret: OLD_SECRET })).status).toBe(202);
  });

  it('a repeated X-GitHub-Delivery gets 200 and changes nothing', async () => {
    const body = JSON.stringify(pushExamples[4]);
    expect((await deliver('push', body, { delivery: 'delivery-1' })).status).toBe(202);
    const again = await deliver('push', body, { delivery: 'delivery-1' });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ status: 'duplicate' });
    expect(await queue.count()).toBe(1);
  });

  it('answers 400 for a signed body that is not JSON or lacks its headers, 413 over 25 MB, 200 to ping', async () => {
    expect((await deliver('push', 'not json')).status).toBe(400);
    const res = await fetch(`${t.url}/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update('{}').digest('hex')}`,
      },
      body: '{}',
    });
    expect(res.status).toBe(400);
    expect((await deliver('ping', '{"zen":"Keep it logically awesome."}')).status).toBe(200);
    const huge = Buffer.alloc(27 * 1024 * 1024, 0x20);
    expect((await deliver('push', huge)).status).toBe(413);
    expect(await queue.count()).toBe(0);
  });

  it('names a push job by its delivery id', async () => {
    const example = pushExamples.find((e) => e.ref.startsWith('refs/heads/') && !e.deleted)!;
    expect((await deliver('push', JSON.stringify(example), { delivery: 'd-named' })).status).toBe(202);
    const jobs = await queue.getJobs(['waiting']);
    expect(jobs.map((j) => [j.id, j.name, j.data.deliveryId])).toEqual([['d-named', 'push', 'd-named']]);
  });

  it('answers an event outside the dispatch table "ignored", whatever its name', async () => {
    for (const event of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'workflow_job', 'star']) {
      const res = await deliver(event, JSON.stringify({ action: 'created' }));
      expect(res.status, event).toBe(202);
      expect(await res.json()).toEqual({ status: 'ignored', reason: `event ${event} is not handled yet` });
    }
    expect(await queue.count()).toBe(0);
  });

  it('answers 503 when the delivery cannot be queued, and takes the redelivery afterwards', async () => {
    const failing = await startServer(
      { GITHUB_WEBHOOK_SECRET: SECRET },
      { enqueue: async () => Promise.reject(new Error('Redis went away')) },
    );
    try {
      const body = JSON.stringify(pushExamples[4]);
      const sign = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
      const post = (url: string) =>
        fetch(`${url}/webhooks/github`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-github-event': 'push',
            'x-github-delivery': 'd-503',
            'x-hub-signature-256': sign,
          },
          body,
        });
      expect((await post(failing.url)).status).toBe(503);
      // The delivery was not remembered: a redelivery to a healthy server sharing the prefix would be taken.
      expect(await failing.redis.exists(`${failing.prefix}{wh}:delivery:d-503`)).toBe(0);
    } finally {
      await failing.close();
    }
  });
});
