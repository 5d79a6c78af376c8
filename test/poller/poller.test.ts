import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { generateKey, sha256Hex } from '../../src/key-format/key.js';
import { TokenPool } from '../../src/github/token-pool.js';
import { PUBLIC_PUSH_QUEUE, PUBLIC_SCAN_QUEUE } from '../../src/pipeline/public-events-queues.js';
import { EXPOSURE_QUEUE, queuePrefix } from '../../src/pipeline/queues.js';
import { FeedCursor } from '../../src/poller/feed-cursor.js';
import { lostEvents, polls } from '../../src/metrics/public-events-metrics.js';
import { Poller, type PollerOptions } from '../../src/poller/poller.js';
import { queueSink } from '../../src/poller/queue-sink.js';
import { BUILTIN } from '../helpers/rules.js';
import { startGitHubStandIn, type GitHubStandIn, type StandInOptions } from '../helpers/github/standin.js';
import { REDIS_URL, deletePrefix, dumpPrefix, freshPrefix, testRedis } from '../helpers/redis.js';

const TOKENS = ['ghp_pollerTokenOne000000000000000000000', 'ghp_pollerTokenTwo000000000000000000000'];
const REPO = { id: 1, name: 'octo-org/app', url: 'https://api.github.com/repos/octo-org/app' };
const SHA_A = 'a'.repeat(40);
const SHA_B = 'b'.repeat(40);

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(standIn: StandInOptions = {}, tokens = [TOKENS[0]!]) {
  const gh: GitHubStandIn = await startGitHubStandIn({ tokens: TOKENS, pollInterval: 1, ...standIn });
  const prefix = freshPrefix();
  const redis = testRedis();
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const sink = queueSink(connection, prefix);
  const logs: string[] = [];
  cleanups.push(async () => {
    await sink.close();
    connection.disconnect();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    await gh.close();
  });
  /** A poller as `neevscan poll` builds it; a second call is a restart (state from Redis). */
  const poller = async (options: Partial<PollerOptions> = {}) => {
    const cursor = new FeedCursor(redis, prefix);
    await cursor.load();
    const pool = new TokenPool(tokens);
    return {
      poller: new Poller({ apiUrl: gh.url, pool, cursor, sink, rules: BUILTIN, log: (m) => logs.push(m), ...options }),
      pool,
      cursor,
    };
  };
  const watch = (n: number) =>
    Array.from({ length: n }, () => gh.pushEvent({ type: 'WatchEvent', repo: REPO, payload: { action: 'started' } }).id);
  const eventsRequests = () => gh.requests.filter((r) => r.path === '/events');
  const queue = (name: string) => {
    const q = new Queue(name, { connection, prefix: queuePrefix(prefix, name) });
    cleanups.push(() => q.close());
    return q;
  };
  return { gh, prefix, redis, poller, watch, eventsRequests, queue, logs };
}

const metric = async (
  m: { get(): Promise<{ values: Array<{ value: number; labels: Record<string, unknown> }> }> },
  labels: Record<string, string> = {},
) => (await m.get()).values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val)).reduce((n, v) => n + v.value, 0);

describe('reading the public events feed', () => {
  it('sends the ETag back: a 304 reprocesses nothing and costs no rate limit', async () => {
    const { poller: make, watch, eventsRequests } = await setup();
    const ids = watch(5);
    const { poller, pool } = await make();
    const first = await poller.pollOnce();
    expect(first.result).toBe('events');
    expect(first.processed).toEqual(ids);
    const etag = eventsRequests()[0]!;
    expect(etag.headers['if-none-match']).toBeUndefined();
    const remaining = pool.remaining()[0];

    const second = await poller.pollOnce();
    expect(second).toMatchObject({ result: 'not_modified', processed: [] });
    const conditional = eventsRequests()[1]!;
    expect(conditional.headers['if-none-match']).toMatch(/^W\/"[0-9a-f]{32}"$/);
    expect(conditional.status).toBe(304);
    expect(pool.remaining()[0]).toBe(remaining);

    const later = watch(2);
    const third = await poller.pollOnce();
    expect(third.processed).toEqual(later);
  });

  it('honours X-Poll-Interval, unless an interval is given', async () => {
    const { poller: make, watch, eventsRequests } = await setup({ pollInterval: 1 });
    watch(1);
    const { poller } = await make();
    expect((await poller.pollOnce()).waitSeconds).toBe(1);

    const stop = new AbortController();
    const running = poller.run(stop.signal);
    await new Promise((r) => setTimeout(r, 2300));
    stop.abort();
    await running;
    // The first poll above, then the loop's polls at 0 s, 1 s and 2 s: none sooner than GitHub asked.
    expect(eventsRequests().length - 1).toBe(3);

    const { poller: fast } = await make({ intervalSeconds: 0.2 });
    expect((await fast.pollOnce()).waitSeconds).toBe(0.2);
  });

  it('pages up to the 300 events the feed keeps, and stops paging at what it read before', async () => {
    const { poller: make, watch, eventsRequests } = await setup();
    const first = watch(250);
    const { poller } = await make();
    expect((await poller.pollOnce()).processed).toEqual(first);
    expect(eventsRequests().map((r) => r.query.page)).toEqual(['1', '2', '3']);
    expect(eventsRequests().every((r) => r.query.per_page === '100')).toBe(true);

    const more = watch(150);
    const second = await poller.pollOnce();
    expect(second.processed).toEqual(more);
    expect(second.lost).toBe(0);
    // Page 2 holds the first event read before: no third page.
    expect(
      eventsRequests()
        .slice(3)
        .map((r) => r.query.page),
    ).toEqual(['1', '2']);
  });

  it('estimates the events lost when more than 300 arrive between two reads', async () => {
    const { poller: make, watch, logs } = await setup();
    watch(10);
    const { poller } = await make();
    await poller.pollOnce();
    const before = await metric(lostEvents());
    const burst = watch(450);
    const read = await poller.pollOnce();
    // The newest 300 are read; the 150 before them left the feed unread.
    expect(read.processed).toEqual(burst.slice(150));
    expect(read.lost).toBe(150);
    expect((await metric(lostEvents())) - before).toBe(150);
    expect(logs.join('\n')).toContain('about 150 events went by unread');
    // And the next read starts from the newest: nothing is counted twice.
    watch(3);
    expect((await poller.pollOnce()).lost).toBe(0);
  });

  it("handles GitHub's 422 past the window as the end of the feed", async () => {
    const { poller: make, watch, eventsRequests } = await setup();
    watch(5);
    const { poller } = await make({ maxPages: 4 });
    await poller.pollOnce();
    const burst = watch(400);
    const read = await poller.pollOnce();
    expect(
      eventsRequests()
        .slice(1)
        .map((r) => [r.query.page, r.status]),
    ).toEqual([
      ['1', 200],
      ['2', 200],
      ['3', 200],
      ['4', 422],
    ]);
    expect(read.result).toBe('events');
    expect(read.processed).toEqual(burst.slice(100));
    expect(read.lost).toBe(100);
  });

  it('resumes after a restart from the persisted cursor: no rescans, no skips', async () => {
    const { poller: make, watch, eventsRequests } = await setup();
    const first = watch(120);
    const a = await make();
    expect((await a.poller.pollOnce()).processed).toEqual(first);

    // A restart with nothing new: the persisted ETag gives a 304.
    const b = await make();
    expect(b.cursor.cursor).toBe(BigInt(first.at(-1)!));
    expect(await b.poller.pollOnce()).toMatchObject({ result: 'not_modified', processed: [] });
    expect(eventsRequests().at(-1)!.headers['if-none-match']).toBeTruthy();

    // A restart after more arrived: exactly those.
    const more = watch(130);
    const c = await make();
    expect((await c.poller.pollOnce()).processed).toEqual(more);
  });

  it('takes an event published late (id below the cursor) once, and an event seen twice once', async () => {
    const { gh, poller: make, watch } = await setup();
    watch(3);
    const { poller } = await make();
    await poller.pollOnce();
    // GitHub's feed is not strictly in id order: an older id can appear after newer ones were read.
    const late = gh.pushEvent({ type: 'WatchEvent', repo: REPO, id: '29999999999' });
    expect((await poller.pollOnce()).processed).toEqual([late.id]);
    watch(1);
    expect((await poller.pollOnce()).processed).not.toContain(late.id);
  });

  it('shares the work over several tokens, and a spent budget is a counted skip, not an error', async () => {
    const { poller: make, watch, eventsRequests } = await setup({ rateLimit: { limit: 3 } }, TOKENS);
    const { poller, pool } = await make();
    const skippedBefore = await metric(polls(), { result: 'rate_limited' });
    for (let i = 0; i < 6; i++) {
      watch(1);
      expect((await poller.pollOnce()).result).toBe('events');
    }
    const used = eventsRequests().map((r) => r.headers.authorization);
    expect(used.filter((a) => a === `Bearer ${TOKENS[0]}`)).toHaveLength(3);
    expect(used.filter((a) => a === `Bearer ${TOKENS[1]}`)).toHaveLength(3);
    expect(pool.remaining()).toEqual([0, 0]);

    watch(1);
    const spent = await poller.pollOnce();
    expect(spent.result).toBe('rate_limited');
    expect(spent.processed).toEqual([]);
    // It waits for the reset (an hour here), not for the next interval.
    expect(spent.waitSeconds).toBeGreaterThan(3000);
    expect((await metric(polls(), { result: 'rate_limited' })) - skippedBefore).toBe(1);
  });

  it('a budget spent on every token (403) is a counted skip', async () => {
    const { gh, poller: make, watch } = await setup();
    const { poller } = await make();
    watch(1);
    gh.setRateLimit({ remaining: 0, resetInSeconds: 120 });
    const before = await metric(polls(), { result: 'rate_limited' });
    const spent = await poller.pollOnce();
    expect(spent).toMatchObject({ result: 'rate_limited', processed: [] });
    expect(spent.waitSeconds).toBeGreaterThan(100);
    expect((await metric(polls(), { result: 'rate_limited' })) - before).toBe(1);
  });

  it('a 5xx from /events is retried next poll, and nothing is lost', async () => {
    const { gh, poller: make, watch } = await setup();
    const ids = watch(4);
    gh.fail({ path: /^\/events$/, times: 1, status: 502 });
    const { poller } = await make();
    const failed = await poller.pollOnce();
    expect(failed).toMatchObject({ result: 'error', processed: [] });
    expect(failed.message).toContain('502');
    expect((await poller.pollOnce()).processed).toEqual(ids);
  });

  it('a deeper page failing leaves the cursor where it was: the next poll reads the events below page 1', async () => {
    const { gh, poller: make, watch } = await setup();
    // Page 2 fails once (the stand-in's faults match paths, not pages): a front that answers it 503.
    let failPage2 = false;
    const front = createServer(async (req, res) => {
      if (failPage2 && req.url?.includes('page=2')) {
        failPage2 = false;
        res.writeHead(503).end();
        return;
      }
      const answer = await fetch(gh.url + req.url, { headers: req.headers as Record<string, string> });
      res.writeHead(answer.status, Object.fromEntries(answer.headers));
      res.end(Buffer.from(await answer.arrayBuffer()));
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => front.close(() => resolve())));
    watch(2);
    const { poller, cursor } = await make({ apiUrl: `http://127.0.0.1:${(front.address() as AddressInfo).port}` });
    await poller.pollOnce();
    const at = cursor.cursor;
    const burst = watch(150);
    failPage2 = true;
    const partial = await poller.pollOnce();
    // Page 1's events are taken; the cursor does not move past the unread ones.
    expect(partial.processed).toEqual(burst.slice(50));
    expect(cursor.cursor).toBe(at);
    const rest = await poller.pollOnce();
    expect(rest.processed).toEqual(burst.slice(0, 50));
    expect(cursor.cursor).toBe(BigInt(burst.at(-1)!));
  });
});

describe('what the poller queues', () => {
  it('a PushEvent without commits is a public-push job; PublicEvent a scan; text only the keys it holds, never the text', async () => {
    const { gh, prefix, redis, poller: make, queue } = await setup();
    const key = generateKey();
    const push = gh.pushEvent({
      type: 'PushEvent',
      repo: REPO,
      payload: { repository_id: 1, push_id: 77, ref: 'refs/heads/main', head: SHA_B, before: SHA_A },
    });
    gh.pushEvent({
      type: 'PushEvent',
      repo: REPO,
      payload: { repository_id: 1, push_id: 78, ref: 'refs/tags/v1', head: SHA_B, before: SHA_A },
    });
    const made = gh.pushEvent({ type: 'PublicEvent', repo: { ...REPO, name: 'octo-org/opened' }, payload: {} });
    const comment = gh.pushEvent({
      type: 'IssueCommentEvent',
      repo: REPO,
      payload: {
        action: 'created',
        issue: { number: 3, title: 'it breaks', body: 'see logs', html_url: 'https://github.com/octo-org/app/issues/3' },
        comment: {
          id: 9,
          body: `try with\n${key}\nplease`,
          html_url: 'https://github.com/octo-org/app/issues/3#issuecomment-9',
          created_at: '2026-01-01T00:00:00Z',
        },
      },
    });
    const release = gh.pushEvent({
      type: 'ReleaseEvent',
      repo: REPO,
      payload: {
        action: 'published',
        release: { name: 'v1', body: `Set NEEV_API_KEY=${key}`, html_url: 'https://github.com/octo-org/app/releases/tag/v1' },
      },
    });
    gh.pushEvent({ type: 'IssueCommentEvent', repo: REPO, payload: { action: 'created', issue: {}, comment: { body: 'no key here' } } });
    const { poller } = await make();
    const read = await poller.pollOnce();
    expect(read.processed).toHaveLength(6);

    const pushes = await queue(PUBLIC_PUSH_QUEUE).getJobs(['waiting']);
    expect(pushes.map((j) => j.data)).toEqual([
      {
        eventId: push.id,
        owner: 'octo-org',
        repo: 'app',
        ref: 'refs/heads/main',
        before: SHA_A,
        head: SHA_B,
        commitShas: [],
        createdAt: new Date(push.created_at).toISOString(),
        receivedAt: expect.any(String),
      },
    ]);
    expect(pushes.map((j) => j.id)).toEqual([`event-${push.id}`]);
    const scans = await queue(PUBLIC_SCAN_QUEUE).getJobs(['waiting']);
    expect(scans.map((j) => j.data)).toEqual([
      {
        eventId: made.id,
        owner: 'octo-org',
        repo: 'opened',
        createdAt: new Date(made.created_at).toISOString(),
        receivedAt: expect.any(String),
      },
    ]);

    const exposures = (await queue(EXPOSURE_QUEUE).getJobs(['waiting']))
      .map((j) => j.data)
      .sort((a, b) => a.deliveryId.localeCompare(b.deliveryId));
    expect(exposures).toEqual([
      {
        deliveryId: `event-${comment.id}`,
        exposure: expect.objectContaining({
          secretSha256: sha256Hex(Buffer.from(key)),
          public: true,
          location: expect.objectContaining({
            source: 'public-events',
            repo: 'octo-org/app',
            line: 2,
            url: 'https://github.com/octo-org/app/issues/3#issuecomment-9',
          }),
        }),
      },
      {
        deliveryId: `event-${release.id}`,
        exposure: expect.objectContaining({
          public: true,
          location: expect.objectContaining({ source: 'public-events', url: 'https://github.com/octo-org/app/releases/tag/v1', line: 1 }),
        }),
      },
    ]);
    // Neither the key nor the text around it is in Redis.
    const dump = Buffer.concat(await dumpPrefix(redis, prefix));
    expect(dump.includes(Buffer.from(key))).toBe(false);
    expect(dump.includes(Buffer.from('please'))).toBe(false);
  });

  it('a pull request review in the feed is scanned; a created_at of year −271821 or +275760 is not kept (the time it was read stands in)', async () => {
    const { gh, poller: make, queue } = await setup();
    const key = generateKey();
    const review = gh.pushEvent({
      type: 'PullRequestReviewEvent',
      repo: REPO,
      created_at: '-271821-04-20T00:00:00Z',
      payload: {
        action: 'created',
        review: {
          id: 5,
          body: `LGTM, used\n${key}`,
          html_url: 'https://github.com/octo-org/app/pull/2#pullrequestreview-5',
          submitted_at: '+275760-09-13T00:00:00Z',
        },
        pull_request: { number: 2 },
      },
    });
    const push = gh.pushEvent({
      type: 'PushEvent',
      repo: REPO,
      created_at: '+275760-09-13T00:00:00Z',
      payload: { repository_id: 1, push_id: 79, ref: 'refs/heads/main', head: SHA_B, before: SHA_A },
    });
    const before = Date.now();
    const { poller } = await make();
    await poller.pollOnce();
    const after = Date.now();
    const sane = (iso: string | null) => iso !== null && Date.parse(iso) >= before - 1000 && Date.parse(iso) <= after + 1000;

    const [pushJob] = (await queue(PUBLIC_PUSH_QUEUE).getJobs(['waiting'])).map((j) => j.data);
    expect(pushJob).toMatchObject({ eventId: push.id });
    expect(sane(pushJob!.createdAt)).toBe(true);
    const [job] = (await queue(EXPOSURE_QUEUE).getJobs(['waiting'])).map((j) => j.data);
    expect(job).toMatchObject({
      deliveryId: `event-${review.id}`,
      exposure: {
        secretSha256: sha256Hex(Buffer.from(key)),
        public: true,
        location: expect.objectContaining({
          source: 'public-events',
          line: 2,
          url: 'https://github.com/octo-org/app/pull/2#pullrequestreview-5',
        }),
      },
    });
    // Neither absurd time is kept: latency runs from when the poller read the event.
    expect(job!.exposure.pushedAt).toBeNull();
  });
});
