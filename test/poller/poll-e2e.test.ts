import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { NOTIFY_QUEUE } from '../../src/pipeline/notify-queue.js';
import { queuePrefix } from '../../src/pipeline/queues.js';
import { AlertStore } from '../../src/stores/alert-store.js';
import { BIN, neevscan } from '../helpers/cli.js';
import { startGitHubStandIn } from '../helpers/github/standin.js';
import { TestRepo } from '../helpers/github/test-repo.js';
import { until } from '../helpers/pipeline.js';
import { REDIS_URL, deletePrefix, dumpPrefix, freshPrefix, testRedis } from '../helpers/redis.js';
import { callApi, spawnServe } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';

const TOKENS = ['ghp_e2eTokenOne00000000000000000000000000', 'ghp_e2eTokenTwo00000000000000000000000000'];

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** `neevscan poll` as its own process; stop() sends SIGTERM and gives the exit code. */
function spawnPoll(env: Record<string, string>, args: string[] = []) {
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [BIN, 'poll', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    return exited;
  };
  cleanups.push(async () => void (await stop()));
  return { child, output: () => output, stop };
}

describe('neevscan poll with neevscan serve, against the GitHub stand-in', () => {
  it('public pushes, comments and repositories made public: keys revoked, alerted and notified; forks not refetched; no key in Redis', async () => {
    const gh = await startGitHubStandIn({ tokens: TOKENS, pollInterval: 60 });
    cleanups.push(() => gh.close());
    const prefix = freshPrefix();
    const redis = testRedis();
    cleanups.push(async () => {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    });
    const env = {
      NEEVSCAN_REDIS_PREFIX: prefix,
      GITHUB_API_URL: gh.url,
      GITHUB_TOKEN: TOKENS[0]!,
      GITHUB_TOKENS: TOKENS.join(','),
      REDIS_URL,
    };
    const serve = await spawnServe(env);
    cleanups.push(serve.stop);
    const owner = (await callApi(serve.url, 'POST', '/api/v1/owners', { body: { name: 'Acme' } })).body.id as string;
    const newKey = async (name: string) =>
      (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name } })).body as { id: string; key: string };
    const alerts = new AlertStore(redis, prefix);
    const [pushed, commented, historic] = [await newKey('Pushed'), await newKey('Commented'), await newKey('Historic')];
    const status = async (id: string) => (await callApi(serve.url, 'GET', `/api/v1/keys/${id}`)).body.status as string;
    const revoked = (id: string, what: string) => until(async () => ((await status(id)) === 'revoked' ? true : undefined), what);
    // The worker revokes first and records the alert after: a revoked key's alert may still be on its way.
    const alertOf = (id: string) => until(async () => (await alerts.getByKeyId(id)) ?? undefined, `the alert of ${id}`);

    const repo = TestRepo.init(join(tempDir(), 'app'));
    const before = repo.commit('initial', { 'README.md': '# app\n' });
    const head = repo.commit('add config', { 'config/app.env': `REGION=in-west-1\nNEEV_API_KEY=${pushed.key}\n` });
    gh.addRepo({ owner: 'octo-org', name: 'app', path: repo.path, private: false });

    // Port 0: the poller takes a free one and names it in its log.
    const poll = spawnPoll(env, ['--interval', '0.2', '--metrics-port', '0']);

    // A PushEvent as the feed has carried them since October 2025: no commit list.
    gh.pushEvent({
      type: 'PushEvent',
      repo: { id: 1, name: 'octo-org/app', url: `${gh.url}/repos/octo-org/app` },
      payload: { repository_id: 1, push_id: 10, ref: 'refs/heads/main', head, before },
    });
    await revoked(pushed.id, 'the pushed key to be revoked');
    const alert = await alertOf(pushed.id);
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
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const notify = new Queue(NOTIFY_QUEUE, { connection, prefix: queuePrefix(prefix, NOTIFY_QUEUE) });
    cleanups.push(async () => {
      await notify.close();
      connection.disconnect();
    });
    expect((await until(async () => (await notify.getJob(`alert-${alert.id}`)) ?? undefined, 'the notification job')).data).toEqual({
      alertId: alert.id,
    });

    // A key in an issue comment: scanned in the poller, revoked by the exposure worker.
    gh.pushEvent({
      type: 'IssueCommentEvent',
      repo: { id: 1, name: 'octo-org/app', url: `${gh.url}/repos/octo-org/app` },
      payload: {
        action: 'created',
        issue: { number: 5, title: 'help' },
        comment: {
          id: 55,
          body: `my config:\nNEEV_API_KEY=${commented.key}`,
          html_url: 'https://github.com/octo-org/app/issues/5#issuecomment-55',
        },
      },
    });
    await revoked(commented.id, 'the commented key to be revoked');
    expect((await alertOf(commented.id)).locations).toEqual([
      expect.objectContaining({ source: 'public-events', url: 'https://github.com/octo-org/app/issues/5#issuecomment-55', line: 2 }),
    ]);

    // A fork pushes the same commits: its place joins the alert, nothing is fetched from it.
    const forkPath = join(tempDir(), 'fork');
    execFileSync('git', ['clone', '-q', '--bare', repo.path, forkPath]);
    gh.addRepo({ owner: 'someone', name: 'app-fork', path: forkPath, private: false });
    gh.pushEvent({
      type: 'PushEvent',
      repo: { id: 2, name: 'someone/app-fork', url: `${gh.url}/repos/someone/app-fork` },
      payload: { repository_id: 2, push_id: 11, ref: 'refs/heads/main', head, before },
    });
    await until(
      async () => ((await alerts.getByKeyId(pushed.id))!.locations.length === 2 ? true : undefined),
      "the fork's place on the alert",
    );
    expect(gh.requests.filter((r) => r.path.startsWith('/repos/someone/'))).toEqual([]);
    expect(gh.requests.filter((r) => r.path.includes('/compare/'))).toHaveLength(1);

    // A repository made public: its history is scanned, and a key since removed is revoked.
    const opened = TestRepo.init(join(tempDir(), 'opened'));
    opened.commit('start', { 'a.txt': 'a\n' });
    opened.commit('oops', { 'src/app.js': `const key = "${historic.key}";\n` });
    opened.commit('remove the key', { 'src/app.js': 'const key = process.env.NEEV_API_KEY;\n' });
    gh.addRepo({ owner: 'octo-org', name: 'opened', path: opened.path, private: false });
    const made = gh.pushEvent({
      type: 'PublicEvent',
      repo: { id: 3, name: 'octo-org/opened', url: `${gh.url}/repos/octo-org/opened` },
      payload: {},
    });
    await revoked(historic.id, 'the key in the history to be revoked');
    expect((await alertOf(historic.id)).locations).toEqual([
      expect.objectContaining({ source: 'public-events', repo: 'octo-org/opened', path: 'src/app.js' }),
    ]);

    // The poller's own metrics, and the workers' lag in serve's.
    const metricsUrl = /metrics on (http:\/\/\S+)\/metrics/.exec(poll.output())?.[1];
    expect(metricsUrl).toBeDefined();
    const metrics = await (await fetch(`${metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/neevscan_public_events_seen_total\{type="PushEvent"\} 2/);
    expect(metrics).toMatch(/neevscan_public_events_seen_total\{type="IssueCommentEvent"\} 1/);
    expect(metrics).toMatch(/neevscan_github_rate_limit_remaining\{token="1"\} \d+/);
    expect(metrics).toMatch(/neevscan_public_events_lost_total 0/);
    expect((await fetch(`${metricsUrl}/healthz`)).status).toBe(200);
    // The workers observe lag as their jobs end, just after the alert is written.
    const serveMetrics = () => fetch(`${serve.url}/metrics`).then((r) => r.text());
    for (const lag of [
      /neevscan_public_events_lag_seconds_count\{kind="push"\} 2\n/,
      /neevscan_public_events_lag_seconds_count\{kind="public"\} 1\n/,
    ]) {
      await until(async () => (lag.test(await serveMetrics()) ? true : undefined), `${lag} in serve's /metrics`);
    }

    // Stopped with SIGTERM: a clean exit, the cursor at the newest event.
    expect(await poll.stop()).toBe(0);
    expect(poll.output()).toContain('stopped at event');
    expect(await redis.get(`${prefix}{poller}:cursor`)).toBe(made.id);

    const dump = Buffer.concat(await dumpPrefix(redis, prefix));
    for (const k of [pushed, commented, historic]) expect(dump.includes(Buffer.from(k.key))).toBe(false);
  });

  it('with Redis unreachable it keeps retrying, naming REDIS_URL, and SIGTERM still stops it', async () => {
    const poll = spawnPoll({ REDIS_URL: 'redis://127.0.0.1:1', GITHUB_TOKEN: TOKENS[0]!, GITHUB_API_URL: 'http://127.0.0.1:1' });
    await until(
      async () => (poll.output().includes('REDIS_URL=redis://127.0.0.1:1') ? true : undefined),
      'the log line naming REDIS_URL',
      10_000,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(poll.child.exitCode).toBeNull();
    expect(await poll.stop()).toBe(0);
  });

  it('without a token it refuses to start, saying which variables to set', () => {
    const run = neevscan(['poll'], { env: { GITHUB_TOKEN: '', GITHUB_TOKENS: '' } });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('GITHUB_TOKEN');
    const bad = neevscan(['poll', '--interval', '0.01'], { env: { GITHUB_TOKEN: 'x' } });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--interval');
  });
});
