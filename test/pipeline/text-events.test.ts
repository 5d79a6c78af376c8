import { webhookExamples } from '../helpers/webhook-examples.js';
import { Redis } from 'ioredis';
import { deliver as deliverEvent } from '../helpers/pipeline.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXPOSURE_QUEUE } from '../../src/core/queue-names.js';
import { generateKey, sha256Hex } from '../../src/key-format/key.js';
import type { Queue } from 'bullmq';
import type { ExposureJob } from '../../src/pipeline/queues.js';
import { exposureJobs } from '../../src/pipeline/jobs/exposure.js';
import { openJobQueue } from '../../src/pipeline/registry.js';
import { exposuresFromTextEvent, MAX_TEXT_BYTES, TEXT_EVENTS, type TextEvent } from '../../src/pipeline/text-events.js';
import { loadRules } from '../../src/rules/load.js';
import { REDIS_URL, dumpPrefix, testRedis } from '../helpers/redis.js';
import { enqueueTo, startServer, type TestServer } from '../helpers/server.js';

type Payload = Record<string, any>;
const rules = loadRules();
const received = new Date('2026-01-02T03:04:05.000Z');
const examplesOf = (event: string) =>
  structuredClone((webhookExamples as Array<{ name: string; examples: Payload[] }>).find((e) => e.name === event)!.examples);

/** Per event: where its text lives, which actions bring new text, the source and the url it must report. */
const EXPECT: Record<TextEvent, { item: string; actions: string[]; source: string }> = {
  issues: { item: 'issue', actions: ['opened', 'edited'], source: 'issue' },
  pull_request: { item: 'pull_request', actions: ['opened', 'edited'], source: 'pull_request' },
  issue_comment: { item: 'comment', actions: ['created', 'edited'], source: 'comment' },
  pull_request_review_comment: { item: 'comment', actions: ['created', 'edited'], source: 'comment' },
  commit_comment: { item: 'comment', actions: ['created'], source: 'comment' },
  discussion: { item: 'discussion', actions: ['created', 'edited'], source: 'discussion' },
  discussion_comment: { item: 'comment', actions: ['created', 'edited'], source: 'discussion' },
  pull_request_review: { item: 'review', actions: ['submitted', 'edited'], source: 'pull_request_review' },
  release: { item: 'release', actions: ['published', 'created', 'edited', 'prereleased', 'released'], source: 'release' },
};

/** When the text was posted, as GitHub gives it for the item (normalised ISO). */
function postedAt(item: Payload): string {
  return new Date(item.updated_at ?? item.submitted_at ?? item.published_at ?? item.created_at).toISOString();
}

/** Plants the key on a new last line of the item's body; returns the line it lands on. */
function plant(payload: Payload, item: string, key: string): number {
  const before: string = payload[item].body ?? '';
  payload[item].body = `${before}\n${key} is the production key`;
  return before.split('\n').length + 1;
}

describe('exposuresFromTextEvent, on every example GitHub documents', () => {
  for (const event of TEXT_EVENTS) {
    it(`${event}: a planted key is one exposure where new text arrives, none otherwise`, () => {
      const { item, actions, source } = EXPECT[event];
      const all = examplesOf(event);
      expect(all.length).toBeGreaterThan(0);
      let handled = 0;
      for (const payload of all) {
        // GitHub's own examples hold no key.
        expect(exposuresFromTextEvent(event, payload, rules, received)).toEqual([]);
        const key = generateKey();
        const line = plant(payload, item, key);
        const found = exposuresFromTextEvent(event, payload, rules, received);
        if (!actions.includes(payload.action)) {
          expect(found, `${event}.${payload.action}`).toEqual([]);
          continue;
        }
        handled++;
        expect(found, `${event}.${payload.action}`).toEqual([
          {
            secretSha256: sha256Hex(Buffer.from(key)),
            redacted: expect.stringMatching(/^neev_…/),
            ruleId: expect.any(String),
            location: {
              source,
              repo: payload.repository.full_name,
              path: null,
              line,
              commit: event === 'commit_comment' ? payload.comment.commit_id : null,
              url: payload[item].html_url,
              seenAt: received.toISOString(),
            },
            public: payload.repository.private === false && payload[item].draft !== true,
            pushedAt: postedAt(payload[item]),
            receivedAt: received.toISOString(),
          },
        ]);
        // What gets queued holds the hash and hint, never the key or the text around it.
        const json = JSON.stringify(found.map((exposure) => ({ deliveryId: 'd', exposure }) satisfies ExposureJob));
        expect(json).not.toContain(key);
        expect(json).not.toContain('is the production key');
      }
      expect(handled, `${event} has examples of a handled action`).toBeGreaterThan(0);
    });
  }

  it('scans issue, pull request and discussion titles (line 1)', () => {
    for (const [event, item, action] of [
      ['issues', 'issue', 'opened'],
      ['pull_request', 'pull_request', 'opened'],
      ['discussion', 'discussion', 'created'],
    ] as const) {
      const payload = examplesOf(event).find((p) => p.action === action)!;
      payload[item].title = `key: ${generateKey()}`;
      expect(exposuresFromTextEvent(event, payload, rules, received)).toEqual([
        expect.objectContaining({ location: expect.objectContaining({ line: 1 }) }),
      ]);
    }
  });

  it("keeps a key marked neevscan:allow (the marker is the writer's; the place records it), and ignores the old text of an edit", () => {
    const payload = examplesOf('issue_comment').find((p) => p.action === 'edited')!;
    payload.comment.body = `example: ${generateKey()} # neevscan:allow`;
    expect(exposuresFromTextEvent('issue_comment', payload, rules, received)).toEqual([
      expect.objectContaining({ location: expect.objectContaining({ line: 1, allowMarker: true }) }),
    ]);
    payload.comment.body = 'removed the key';
    payload.changes = { body: { from: `oops ${generateKey()}` } };
    expect(exposuresFromTextEvent('issue_comment', payload, rules, received)).toEqual([]);
  });

  it('reports a key twice in one text once per line, and scans at most the first MB of a field', () => {
    const payload = examplesOf('issue_comment').find((p) => p.action === 'created')!;
    const key = generateKey();
    payload.comment.body = `${key} ${key}\n${key}`;
    expect(exposuresFromTextEvent('issue_comment', payload, rules, received).map((e) => e.location.line)).toEqual([1, 2]);
    payload.comment.body = `${'x'.repeat(MAX_TEXT_BYTES)}\n${key}`;
    expect(exposuresFromTextEvent('issue_comment', payload, rules, received)).toEqual([]);
  });

  it('yields nothing for other events, odd payloads or a missing repository', () => {
    const payload = examplesOf('issue_comment').find((p) => p.action === 'created')!;
    payload.comment.body = generateKey();
    expect(exposuresFromTextEvent('gollum', payload, rules, received)).toEqual([]);
    expect(exposuresFromTextEvent('issue_comment', null, rules, received)).toEqual([]);
    expect(exposuresFromTextEvent('issue_comment', { ...payload, comment: { body: 42 } }, rules, received)).toEqual([]);
    expect(exposuresFromTextEvent('issue_comment', { ...payload, repository: undefined }, rules, received)).toEqual([]);
  });
});

describe('the receiver, for text events', () => {
  const SECRET = 'text-webhook-secret';
  let t: TestServer;
  let queueRedis: Redis;
  let queue: Queue<ExposureJob>;
  let enqueued: ExposureJob[][];

  beforeEach(async () => {
    enqueued = [];
    queueRedis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    t = await startServer(
      { GITHUB_WEBHOOK_SECRET: SECRET },
      {
        rules,
        enqueue: enqueueTo({
          [EXPOSURE_QUEUE]: async (jobs) => {
            enqueued.push(jobs.map((job) => job.data as ExposureJob));
            await queue.addBulk(jobs.map((job) => ({ name: 'exposure', data: job.data as ExposureJob, opts: { jobId: job.jobId } })));
          },
        }),
      },
    );
    queue = openJobQueue(exposureJobs, queueRedis, t.prefix);
  });
  afterEach(async () => {
    await queue.close();
    queueRedis.disconnect();
    await t.close();
  });

  const deliver = (url: string, event: string, payload: unknown, delivery: string, secret = SECRET) =>
    deliverEvent(url, event, payload, delivery, secret);

  it('queues hashes, hints and places only; ignores text without a key; dedupes; refuses a forgery', async () => {
    const key = generateKey();
    const payload = examplesOf('issue_comment').find((p) => p.action === 'created')!;
    payload.comment.body = `here it is:\n${key}\nand again ${key}`;

    expect((await deliver(t.url, 'issue_comment', payload, 'forged', 'wrong')).status).toBe(401);
    const res = await deliver(t.url, 'issue_comment', payload, 'c-1');
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'queued', exposures: 2 });
    expect((await deliver(t.url, 'issue_comment', payload, 'c-1')).status).toBe(200);
    expect(enqueued).toHaveLength(1);

    const jobs = await queue.getJobs(['waiting']);
    expect(jobs.map((j) => j.id).sort()).toEqual(['c-1.0', 'c-1.1']);
    expect(jobs.map((j) => j.data.exposure.location.line).sort()).toEqual([2, 3]);
    const redis = testRedis();
    const dump = Buffer.concat(await dumpPrefix(redis, t.prefix));
    redis.disconnect();
    expect(dump.includes(key)).toBe(false);
    expect(dump.includes('here it is')).toBe(false);

    const clean = examplesOf('issue_comment').find((p) => p.action === 'created')!;
    const ignored = await deliver(t.url, 'issue_comment', clean, 'c-2');
    expect(ignored.status).toBe(202);
    expect(await ignored.json()).toMatchObject({ status: 'ignored' });
    expect(enqueued).toHaveLength(1);
  });

  it('answers 503 when the exposures cannot be queued, and forgets the delivery', async () => {
    const failing = await startServer(
      { GITHUB_WEBHOOK_SECRET: SECRET },
      { rules, enqueue: async () => Promise.reject(new Error('Redis went away')) },
    );
    try {
      const payload = examplesOf('discussion_comment').find((p) => p.action === 'created')!;
      payload.comment.body = generateKey();
      expect((await deliver(failing.url, 'discussion_comment', payload, 'd-503')).status).toBe(503);
      expect(await failing.redis.exists(`${failing.prefix}{wh}:delivery:d-503`)).toBe(0);
    } finally {
      await failing.close();
    }
  });
});
