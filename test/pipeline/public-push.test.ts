import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Queue, type Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config.js';
import { enqueueNotification, NOTIFY_QUEUE } from '../../src/pipeline/notify-queue.js';
import { jobDeps } from '../../src/pipeline/job-deps.js';
import { notifyJobs } from '../../src/pipeline/jobs/notify.js';
import { publicPushJobs } from '../../src/pipeline/jobs/public-push.js';
import { publicScanJobs } from '../../src/pipeline/jobs/public-scan.js';
import { openJobQueue, startQueueWorkers } from '../../src/pipeline/registry.js';
import { processPublicPush } from '../../src/pipeline/process-public-push.js';
import { buildPublicEventsDeps } from '../../src/pipeline/public-events-deps.js';
import { PUBLIC_PUSH_QUEUE, type PublicPushJob } from '../../src/pipeline/public-events-queues.js';
import { queuePrefix } from '../../src/pipeline/queues.js';
import { deferredWork, lagSeconds, skippedWork } from '../../src/metrics/public-events-metrics.js';
import { pipelineMetrics } from '../../src/metrics/pipeline-metrics.js';
import { keyHint } from '../../src/key-format/key.js';
import { AlertStore } from '../../src/stores/alert-store.js';
import { RedisKeyStore } from '../../src/stores/redis-key-store.js';
import { startGitHubStandIn } from '../helpers/github/standin.js';
import { TestRepo } from '../helpers/github/test-repo.js';
import { until } from '../helpers/pipeline.js';
import { REDIS_URL, deletePrefix, freshPrefix, testRedis } from '../helpers/redis.js';
import { BUILTIN } from '../helpers/rules.js';
import { tempDir } from '../helpers/tmp.js';

const TOKEN = 'ghp_workerToken0000000000000000000000000';
const ZERO = '0'.repeat(40);

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(tokens = [TOKEN], limits: NonNullable<Parameters<typeof startGitHubStandIn>[0]>['limits'] = {}) {
  const gh = await startGitHubStandIn({ tokens: [TOKEN], limits });
  const prefix = freshPrefix();
  const redis = testRedis();
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const notifications = openJobQueue(notifyJobs, connection, prefix);
  cleanups.push(async () => {
    await notifications.close();
    connection.disconnect();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    await gh.close();
  });
  const config = readConfig({ REDIS_URL, NEEVSCAN_REDIS_PREFIX: prefix, GITHUB_API_URL: gh.url, GITHUB_TOKENS: tokens.join(',') });
  const logs: string[] = [];
  const deps = () => buildPublicEventsDeps(config, redis, BUILTIN, (m) => logs.push(m), enqueueNotification(notifications));
  const keyStore = new RedisKeyStore(redis, prefix);
  const ownerId = (await keyStore.createOwner({ name: 'Acme' })).id;
  const { key, record } = await keyStore.createKey({ ownerId, name: 'Production' });

  const repo = TestRepo.init(join(tempDir(), 'app'));
  const start = repo.commit('initial', { 'README.md': '# app\n' });
  const head = repo.commit('add config', { 'config/app.env': `REGION=in-west-1\nNEEV_API_KEY=${key}\n` });
  gh.addRepo({ owner: 'octo-org', name: 'app', path: repo.path, private: false });
  const job = (over: Partial<PublicPushJob> = {}): PublicPushJob => ({
    eventId: '30000000001',
    owner: 'octo-org',
    repo: 'app',
    ref: 'refs/heads/main',
    before: start,
    head,
    commitShas: [],
    createdAt: new Date(Date.now() - 1000).toISOString(),
    receivedAt: new Date().toISOString(),
    ...over,
  });
  return {
    gh,
    prefix,
    redis,
    connection,
    config,
    deps,
    keyStore,
    alerts: new AlertStore(redis, prefix),
    keyId: record.id,
    repo,
    start,
    head,
    job,
    logs,
  };
}

const count = async (
  m: { get(): Promise<{ values: Array<{ value: number; labels: Record<string, unknown> }> }> },
  labels: Record<string, string>,
) => (await m.get()).values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val)).reduce((n, v) => n + v.value, 0);

describe('a public push, in the worker', () => {
  it('scans the commit messages of the change it reads (the feed lists no commits): a key in one is revoked, alerted with the commit link', async () => {
    const { repo, deps: make, keyStore, alerts, head, job } = await setup();
    const ownerId = (await keyStore.createOwner({ name: 'Messages' })).id;
    const { key, record } = await keyStore.createKey({ ownerId, name: 'In a message' });
    const next = repo.commit(`deploy\n\nNEEV_API_KEY=${key}`, { 'README.md': '# app\ndeployed\n' });
    expect(await processPublicPush(job({ eventId: '30000000009', before: head, head: next }), make())).toMatchObject({
      outcome: 'scanned',
      findings: 0,
      revoked: 1,
    });
    expect(await keyStore.getKey(record.id)).toMatchObject({ status: 'revoked', revokedBy: 'leak-detector' });
    expect((await alerts.getByKeyId(record.id))!.locations).toEqual([
      {
        source: 'public-events',
        repo: 'octo-org/app',
        path: null,
        line: 3,
        commit: next,
        url: `https://github.com/octo-org/app/commit/${next}`,
        seenAt: expect.any(String),
      },
    ]);
  });

  it('fetches the change with compare, revokes the key, alerts with the blob link, queues the notification; a fork pushing the same commits is not fetched again', async () => {
    const { gh, repo, deps: make, keyStore, alerts, keyId, head, job, connection, prefix } = await setup();
    const deps = make();
    const lagBefore = await count(lagSeconds(), { kind: 'push' });
    expect(await processPublicPush(job(), deps)).toMatchObject({ outcome: 'scanned', findings: 1, revoked: 1, reused: false });
    expect(await keyStore.getKey(keyId)).toMatchObject({ status: 'revoked', revokedBy: 'leak-detector' });
    const alert = (await alerts.getByKeyId(keyId))!;
    expect(alert.locations).toEqual([
      expect.objectContaining({
        source: 'public-events',
        repo: 'octo-org/app',
        path: 'config/app.env',
        line: 2,
        commit: head,
        url: `https://github.com/octo-org/app/blob/${head}/config/app.env#L2`,
      }),
    ]);
    const notify = new Queue(NOTIFY_QUEUE, { connection, prefix: queuePrefix(prefix, NOTIFY_QUEUE) });
    cleanups.push(() => notify.close());
    expect((await notify.getJob(`alert-${alert.id}`))?.data).toEqual({ alertId: alert.id });
    expect(gh.requests.filter((r) => r.path.includes('/compare/'))).toHaveLength(1);
    expect(await count(lagSeconds(), { kind: 'push' })).toBeGreaterThan(lagBefore);

    // A fork (same objects) pushes the same change: nothing is fetched, its place joins the alert.
    const fork = join(tempDir(), 'fork');
    execFileSync('git', ['clone', '-q', '--bare', repo.path, fork]);
    gh.addRepo({ owner: 'someone', name: 'app-fork', path: fork, private: false });
    expect(await processPublicPush(job({ eventId: '30000000002', owner: 'someone', repo: 'app-fork' }), deps)).toMatchObject({
      outcome: 'scanned',
      findings: 1,
      reused: true,
    });
    expect(gh.requests.filter((r) => r.path.startsWith('/repos/someone/'))).toEqual([]);
    expect((await alerts.getByKeyId(keyId))!.locations.map((l) => l.repo).sort()).toEqual(['octo-org/app', 'someone/app-fork']);
  });

  it('a key behind `neevscan:allow`, and a key in a file name: both revoked; the alert records the marker and the name with the hint', async () => {
    const { gh, deps, keyStore, alerts, repo, head, job } = await setup();
    const ownerId = (await keyStore.createOwner({ name: 'Other' })).id;
    const marked = await keyStore.createKey({ ownerId, name: 'Marked' });
    const named = await keyStore.createKey({ ownerId, name: 'Named' });
    const next = repo.commit('more', { [`cfg/${named.key}.env`]: `K=${marked.key} // neevscan:allow\n` });
    expect(await processPublicPush(job({ eventId: '30000000009', before: head, head: next }), deps())).toMatchObject({
      outcome: 'scanned',
      findings: 2,
      revoked: 2,
      truncated: false,
    });
    expect((await alerts.getByKeyId(marked.record.id))!.locations).toEqual([
      expect.objectContaining({
        source: 'public-events',
        path: `cfg/${named.key}.env`.replace(named.key, keyHint(named.key)),
        line: 1,
        allowMarker: true,
      }),
    ]);
    const nameAlert = (await alerts.getByKeyId(named.record.id))!;
    expect(nameAlert.locations).toEqual([
      expect.objectContaining({
        path: `cfg/${keyHint(named.key)}.env`,
        line: null,
        field: 'path',
        url: `https://github.com/octo-org/app/tree/${next}/cfg`,
      }),
    ]);
    expect(JSON.stringify(nameAlert)).not.toContain(named.key);
    expect(gh.requests.filter((r) => r.path.includes('/compare/'))).toHaveLength(1);
  });

  it('a push GitHub cannot wholly list or serve (a tree cut short): the key found is revoked, and the log, the metric and the alert say the push was not wholly read', async () => {
    const { deps, keyStore, alerts, repo, head, job, logs } = await setup([TOKEN], { treeEntries: 100 });
    const ownerId = (await keyStore.createOwner({ name: 'Other' })).id;
    const hidden = await keyStore.createKey({ ownerId, name: 'Behind filler' });
    repo.commit('vendor', Object.fromEntries(Array.from({ length: 3001 }, (_, i) => [`zz/f${i}.txt`, 'filler\n'])));
    const next = repo.commit('config', { 'a.env': `K=${hidden.key}\n` });
    const before = await count(pipelineMetrics.scansIncomplete(), { source: 'public-events' });
    expect(await processPublicPush(job({ eventId: '30000000010', before: head, head: next }), deps())).toMatchObject({
      outcome: 'scanned',
      revoked: 1,
      truncated: true,
    });
    expect(await keyStore.getKey(hidden.record.id)).toMatchObject({ status: 'revoked' });
    expect((await alerts.getByKeyId(hidden.record.id))!.locations).toEqual([
      expect.objectContaining({ path: 'a.env', line: 1, scanIncomplete: true }),
    ]);
    expect(logs.join('\n')).toMatch(/not wholly scanned.*cut the tree of commit/);
    expect(await count(pipelineMetrics.scansIncomplete(), { source: 'public-events' })).toBe(before + 1);
  }, 120_000);

  it("a repository's first push (no old head, the default branch) is its whole history", async () => {
    const { gh, deps, keyStore, keyId, repo, job } = await setup();
    const clean = repo.commit('remove the key', { 'config/app.env': 'REGION=in-west-1\n' });
    gh.addRepo({ owner: 'octo-org', name: 'app', path: repo.path, private: false });
    expect(await processPublicPush(job({ before: ZERO, head: clean }), deps())).toMatchObject({
      outcome: 'scanned',
      findings: 1,
      revoked: 1,
    });
    expect((await keyStore.getKey(keyId))!.status).toBe('revoked');
  });

  it('a token GitHub refuses hands the work to the next one', async () => {
    const { gh, deps, job } = await setup(['ghp_revokedToken000000000000000000000000', TOKEN]);
    expect(await processPublicPush(job(), deps())).toMatchObject({ outcome: 'scanned', findings: 1 });
    const compares = gh.requests.filter((r) => r.path.includes('/compare/'));
    expect(compares.map((r) => r.status)).toEqual([401, 200]);
  });

  it('with every token spent: put off until the reset when that is within the age bound, else skipped and counted', async () => {
    const { gh, deps, keyStore, keyId, job } = await setup();
    gh.setRateLimit({ remaining: 0, resetInSeconds: 60 });
    const deferred = await processPublicPush(job(), deps());
    expect(deferred).toMatchObject({ outcome: 'deferred' });
    expect((deferred as { until: number }).until).toBeGreaterThan(Date.now() + 50_000);

    gh.setRateLimit({ remaining: 0, resetInSeconds: 3600 });
    const fresh = deps();
    expect(await processPublicPush(job(), fresh)).toEqual({ outcome: 'skipped', reason: 'rate_limit' });
    // The pool now knows: the next job is skipped without asking GitHub.
    const asked = gh.requests.length;
    expect(await processPublicPush(job({ eventId: '30000000009' }), fresh)).toEqual({ outcome: 'skipped', reason: 'rate_limit' });
    expect(gh.requests.length).toBe(asked);
    expect((await keyStore.getKey(keyId))!.status).toBe('active');
  });

  it('a job older than the age bound is dropped as stale without a request', async () => {
    const { gh, deps, job } = await setup();
    const old = new Date(Date.now() - 3600_000).toISOString();
    expect(await processPublicPush(job({ receivedAt: old }), deps())).toEqual({ outcome: 'skipped', reason: 'stale' });
    expect(gh.requests).toEqual([]);
  });

  it('in the worker: a job put off by a spent budget waits in the delayed set; one past the bound completes as skipped; both counted', async () => {
    const { gh, redis, prefix, config, connection, job } = await setup();
    gh.setRateLimit({ remaining: 0, resetInSeconds: 120 });
    const queue = openJobQueue(publicPushJobs, connection, prefix);
    cleanups.push(() => queue.close());
    const deferredBefore = await count(deferredWork(), { queue: PUBLIC_PUSH_QUEUE });
    const skippedBefore = await count(skippedWork(), { reason: 'rate_limit' });
    const workers: Worker[] = startQueueWorkers(
      connection,
      jobDeps(config, redis, BUILTIN, () => {}, undefined),
      {},
      [publicPushJobs, publicScanJobs],
    );
    cleanups.push(async () => void (await Promise.all(workers.map((w) => w.close()))));

    await queue.add('public-push', job(), { jobId: 'event-1' });
    const delayed = await until(
      async () => ((await queue.getJob('event-1'))?.delay ? await queue.getJob('event-1') : undefined),
      'the job to be delayed',
    );
    expect(await delayed!.getState()).toBe('delayed');
    expect(delayed!.timestamp + delayed!.delay).toBeGreaterThan(Date.now() + 100_000);
    expect(await count(deferredWork(), { queue: PUBLIC_PUSH_QUEUE })).toBe(deferredBefore + 1);

    // Queued 800 s ago: the reset (in 120 s) comes after the 900 s bound, so it is dropped now.
    await queue.add('public-push', job({ eventId: '2', receivedAt: new Date(Date.now() - 800_000).toISOString() }), { jobId: 'event-2' });
    const done = await until(
      async () => ((await queue.getJob('event-2'))?.finishedOn ? await queue.getJob('event-2') : undefined),
      'the job to complete',
    );
    expect(done!.returnvalue).toEqual({ outcome: 'skipped', reason: 'rate_limit' });
    expect(await count(skippedWork(), { reason: 'rate_limit' })).toBe(skippedBefore + 1);
  });
});
