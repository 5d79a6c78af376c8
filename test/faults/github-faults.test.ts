import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppClient } from '../../src/github/client.js';
import { queuePrefix } from '../../src/pipeline/queues.js';
import { startQueueWorker } from '../../src/pipeline/queue-worker.js';
import type { RecordedRequest } from '../helpers/github/standin.js';
import { commitKey, deliverPush, keyRecord, ownerWithKey, startFaultRig, type FaultRig, type OwnedKey } from '../helpers/fault-rig.js';
import { APP_ID, INSTALLATION, until } from '../helpers/pipeline.js';
import { freshPrefix } from '../helpers/redis.js';

/**
 * GitHub failing under the push pipeline (`neevscan serve` with the App, the
 * stand-in answering): 500s, a spent primary rate limit (403 with
 * x-ratelimit-remaining: 0 until x-ratelimit-reset), and secondary limits
 * (429 and 403 with Retry-After). The work waits and completes, and while
 * GitHub has said to wait, no request of the installation reaches it: the
 * stand-in records when each request arrived.
 */

let rig: FaultRig;
let serveUrl: string;
let output: () => string;
beforeAll(async () => {
  rig = await startFaultRig();
  const serve = await rig.serve();
  serveUrl = serve.url;
  output = serve.output;
});
afterAll(async () => {
  await rig?.close();
});

let n = 0;
/** Every head pushed, for the check runs. */
const heads: string[] = [];
/** `count` new keys, each committed and pushed in its own delivery, all at once. */
/** `beforeSend`: a fault set once the keys and commits are made, just before the deliveries (a short fault outlives the set-up). */
async function pushBatch(
  label: string,
  count: number,
  beforeSend: () => void = () => {},
): Promise<{ keys: OwnedKey[]; heads: string[]; sentAt: number }> {
  const keys: OwnedKey[] = [];
  for (let i = 0; i < count; i++) keys.push(await ownerWithKey(rig, serveUrl, `${label}${i}`));
  const pushes = keys.map((key) => commitKey(rig, key));
  beforeSend();
  const sentAt = Date.now();
  const statuses = await Promise.all(pushes.map((p) => deliverPush(rig, serveUrl, p, `gh-${label}-${n++}`)));
  expect(statuses.every((s) => s === 202)).toBe(true);
  heads.push(...pushes.map((p) => p.after));
  return { keys, heads: pushes.map((p) => p.after), sentAt };
}

async function allRevoked(keys: OwnedKey[], what: string, ms = 30_000): Promise<number> {
  await until(
    async () => {
      for (const key of keys) if ((await keyRecord(serveUrl, key.id)).status !== 'revoked') return undefined;
      return true;
    },
    what,
    ms,
  );
  return Date.now();
}

/** The installation's requests (REST, not the App's token requests) that arrived in [from, to). */
const arrivedBetween = (from: number, to: number): RecordedRequest[] => rig.gh.requests.filter((r) => r.at >= from && r.at < to);

describe('GitHub failing', () => {
  it('500s: the request is retried after a pause and the pushes complete', async () => {
    const mark = rig.gh.requests.length;
    rig.gh.fail({ path: /\/compare\//, times: 2, status: 500 });
    const batch = await pushBatch('fivehundred', 3);
    const doneAt = await allRevoked(batch.keys, 'keys revoked after 500s');
    const seen = rig.gh.requests.slice(mark).filter((r) => r.path.includes('/compare/'));
    const failed = seen.filter((r) => r.status === 500);
    expect(failed).toHaveLength(2);
    // Each failed compare was asked again, not before plugin-retry's pause (1 s, then 4 s).
    for (const f of failed) {
      const again = seen.find((r) => r.path === f.path && r.at > f.at);
      expect(again, 'the compare retried').toBeDefined();
      expect(again!.at - f.at).toBeGreaterThanOrEqual(900);
    }
    console.log(`github 500 x2: ${batch.keys.length} pushes revoked ${doneAt - batch.sentAt} ms after delivery`);
  }, 40_000);

  it('429 with Retry-After: nothing is sent to GitHub for the installation until it has passed, then the pushes complete', async () => {
    rig.gh.secondaryRateLimit({ times: 1, status: 429, retryAfter: 2 });
    const mark = rig.gh.requests.length;
    const batch = await pushBatch('secondary', 4);
    const doneAt = await allRevoked(batch.keys, 'keys revoked after a 429');
    const refusal = rig.gh.requests.slice(mark).find((r) => r.status === 429)!;
    expect(refusal).toBeDefined();
    // Requests already on the wire when the 429 was answered may land just after it; none may be sent once it is known.
    const during = arrivedBetween(refusal.at + 150, refusal.at + 2000);
    expect(during.map((r) => `${r.method} ${r.path} +${r.at - refusal.at}ms`)).toEqual([]);
    console.log(
      `github 429 retry-after 2 s: ${batch.keys.length} pushes revoked ${doneAt - batch.sentAt} ms after delivery; first request after the refusal at +${firstAfter(refusal)} ms`,
    );
  }, 40_000);

  it('403 secondary limit with Retry-After: the same', async () => {
    rig.gh.secondaryRateLimit({ times: 1, status: 403, retryAfter: 1 });
    const mark = rig.gh.requests.length;
    const batch = await pushBatch('secondary403', 4);
    const doneAt = await allRevoked(batch.keys, 'keys revoked after a 403 secondary limit');
    const refusal = rig.gh.requests.slice(mark).find((r) => r.status === 403)!;
    expect(refusal).toBeDefined();
    expect(arrivedBetween(refusal.at + 150, refusal.at + 1000).map((r) => `${r.method} ${r.path} +${r.at - refusal.at}ms`)).toEqual([]);
    console.log(
      `github 403 secondary retry-after 1 s: ${batch.keys.length} pushes revoked ${doneAt - batch.sentAt} ms after delivery; first request after the refusal at +${firstAfter(refusal)} ms`,
    );
  }, 40_000);

  it('a spent primary limit (403, x-ratelimit-remaining: 0): nothing is sent before x-ratelimit-reset, then the pushes complete', async () => {
    let resetAt = 0;
    const mark = rig.gh.requests.length;
    const batch = await pushBatch('primary', 4, () => {
      rig.gh.setRateLimit({ remaining: 0, resetInSeconds: 2 });
      // The stand-in's x-ratelimit-reset, as it computes it (whole seconds), on the same clock.
      resetAt = (Math.floor(Date.now() / 1000) + 2) * 1000;
    });
    const doneAt = await allRevoked(batch.keys, 'keys revoked after the reset');
    const refused = rig.gh.requests.slice(mark).filter((r) => r.status === 403);
    expect(refused.length).toBeGreaterThan(0);
    const first = refused[0]!;
    expect(arrivedBetween(first.at + 150, resetAt).map((r) => `${r.method} ${r.path} +${r.at - first.at}ms`)).toEqual([]);
    // The client knew it for the primary limit (the refused request may be a compare or a check-run write).
    expect(output()).toMatch(/primary rate limit on (GET|POST) /);
    console.log(
      `github primary limit spent, reset in ≤2 s: ${batch.keys.length} pushes revoked ${doneAt - batch.sentAt} ms after delivery; ${refused.length} requests refused; first request after the reset at +${firstAfter(first)} ms after the first refusal`,
    );
  }, 40_000);
});

function firstAfter(refusal: RecordedRequest): number {
  const next = rig.gh.requests.find((r) => r.at > refusal.at + 150);
  return next ? next.at - refusal.at : -1;
}

describe('a GitHub wait longer than a request may hang', () => {
  it('every push above is reported on its commit, once', async () => {
    // GitHub paces an installation's writes (about one a second): the check runs come after the revocations.
    await until(
      async () => (heads.every((h) => rig.gh.checkRuns.some((r) => r.head_sha === h && r.conclusion)) ? true : undefined),
      'every check run',
      30_000,
    );
    for (const h of heads) expect(rig.gh.checkRuns.filter((r) => r.head_sha === h)).toHaveLength(1);
  }, 40_000);

  it('puts the job off until GitHub’s time, spending no attempt and sending nothing meanwhile', async () => {
    // The service (another client of the same installation) is idle now: what reaches the stand-in is this test's client.
    const prefix = freshPrefix();
    const connection = new Redis(rig.redis.url, { maxRetriesPerRequest: null });
    const logs: string[] = [];
    // The service's own client and worker, with the longest in-request wait shrunk from 900 s to 1 s.
    const github = createAppClient({
      apiUrl: rig.gh.url,
      appId: APP_ID,
      privateKey: rig.appKey.pkcs8,
      maxRateLimitWaitSeconds: 1,
      log: (m) => logs.push(m),
    });
    const worker = startQueueWorker<{ n: number }, number>(
      connection,
      prefix,
      {
        queue: 'gh-wait',
        concurrency: 2,
        process: async () => (await github.forInstallation(INSTALLATION).repos.get({ owner: rig.repo.owner, repo: rig.repo.name })).status,
        describe: (data) => `test job ${data.n}`,
      },
      (m) => logs.push(m),
    );
    const queue = new Queue<{ n: number }>('gh-wait', {
      connection,
      prefix: queuePrefix(prefix, 'gh-wait'),
      defaultJobOptions: { attempts: 3, backoff: { type: 'fixed', delay: 100 } },
    });
    try {
      rig.gh.setRateLimit({ remaining: 0, resetInSeconds: 3 });
      const resetAt = (Math.floor(Date.now() / 1000) + 3) * 1000;
      const mark = rig.gh.requests.length;
      const first = await queue.add('wait', { n: 1 });
      await until(async () => ((await first.getState()) === 'delayed' ? true : undefined), 'the first job put off');
      // A job that starts while the installation rests sends nothing and is put off too.
      const second = await queue.add('wait', { n: 2 });
      await until(async () => ((await second.getState()) === 'delayed' ? true : undefined), 'the second job put off');
      const refusals = rig.gh.requests.slice(mark).filter((r) => r.status === 403);
      expect(refusals).toHaveLength(1);

      await until(
        async () => ((await first.getState()) === 'completed' && (await second.getState()) === 'completed' ? true : undefined),
        'both jobs done',
        20_000,
      );
      const during = rig.gh.requests.slice(mark).filter((r) => r.at > refusals[0]!.at && r.at < resetAt);
      expect(during).toEqual([]);
      for (const job of [first, second]) {
        const done = (await queue.getJob(job.id!))!;
        expect(done.returnvalue).toBe(200);
        // BullMQ counts the run that finished; a job put off spends none.
        expect(done.attemptsMade, 'no attempt spent on the wait').toBe(1);
      }
      expect(logs.filter((m) => m.includes('put off until'))).toHaveLength(2);
      console.log(
        `github reset beyond the in-request wait: 2 jobs put off and completed ${Date.now() - resetAt} ms after the reset, 1 request refused, none sent before the reset`,
      );
    } finally {
      await worker.close();
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
      connection.disconnect();
    }
  }, 30_000);
});
