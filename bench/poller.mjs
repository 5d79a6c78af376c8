// Public events poller benchmark (npm run bench:poller): the test GitHub stand-in's GET /events fed
// at a fixed rate (default 100 events/s for 30 s), read by a spawned `neevscan poll` (interval 1 s)
// and worked by a spawned `neevscan serve` (GITHUB_TOKENS, real Redis, fresh prefix deleted after).
//
//   node bench/poller.mjs [--rate 100] [--seconds 30] [--repos 8] [--keys 24] [--interval 1]
//                         [--github replay|live] [--drain-seconds 30]
//
// The feed: per 100 events, 85 PushEvents without a commit list (as GitHub's feed has sent them
// since October 2025: before and head only) round-robin over the public repositories, each push one
// small commit (some adding a file that holds a fresh key made through the API), 12 IssueCommentEvents
// (some holding a key), 3 WatchEvents. Each event's created_at is the bench's own send time in ms
// (the stand-in's default has 1 s resolution), so lag = send → scanned, to the millisecond.
//
// Measured: lag per push (created_at → the public-push job finished, revocation included) and per
// key (sent → revokedAt), p50/p99/max; events seen by the poller vs sent; its lost-events estimate;
// polls by result; jobs skipped; RSS and CPU of both processes.
//
// --github replay (default): every compare the bench will send is asked of the stand-in once
// beforehand and answered again from memory during the run (bench/lib/github-standin.mjs), so the
// stand-in's git processes (~9 per compare) do not compete with neevscan for the 2 cores.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { compileStandIn } from './lib/compile-standin.mjs';
import { buildRepo } from './lib/fast-import-repo.mjs';
import { percentile } from './lib/stats.mjs';
import { ADMIN_TOKEN, adminApi, spawnNeevscan, waitReady } from './lib/neevscan-process.mjs';
import { freePort, cpuSeconds, deletePrefix, rssMb, serviceNodeFlags } from './lib/proc.mjs';
import { forkStandIn } from './lib/standin-process.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const DATA = join(HERE, '.data', 'poller');
const { values: opt } = parseArgs({
  options: {
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '30' },
    repos: { type: 'string', default: '8' },
    keys: { type: 'string', default: '24' },
    interval: { type: 'string', default: '1' },
    github: { type: 'string', default: 'replay' },
    'drain-seconds': { type: 'string', default: '30' },
  },
});
const RATE = Number(opt.rate);
const SECONDS = Number(opt.seconds);
const REPOS = Number(opt.repos);
const KEYS = Number(opt.keys);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const OWNER = 'bench-org';
const APP_ID = 4242;
const TOKENS = [`ghp_bench${randomBytes(16).toString('hex')}`, `ghp_bench${randomBytes(16).toString('hex')}`];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.log(...a);

/** Event i's kind: 85 pushes, 12 comments and 3 watches in every 100. */
const kindOf = (i) => (i % 100 < 85 ? 'push' : i % 100 < 97 ? 'comment' : 'watch');

// ---------------------------------------------------------------- the stand-in in its own process
async function startStandIn(mode) {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return forkStandIn({ appId: APP_ID, publicKeyPem: publicKey, privateKeyPem: privateKey, mode, tokens: TOKENS, pollInterval: 1 });
}

// ---------------------------------------------------------------- repositories
/** A repository of `changes.length + 1` commits: a README, then one small change each (a key file when the change holds a key). */
function repoOfChanges(dir, changes) {
  return buildRepo(dir, [
    { message: 'initial', path: 'README.md', content: '# service\n' },
    ...changes.map((change, i) =>
      change.key
        ? { message: `config ${i}`, path: `config/k${i}.env`, content: `REGION=in-west-1\nNEEV_API_KEY=${change.key}\nLOG_LEVEL=info\n` }
        : { message: `change ${i}`, path: `src/part-${i % 7}.txt`, content: `line ${i}: ${randomBytes(12).toString('hex')}\n` },
    ),
  ]);
}

// ---------------------------------------------------------------- processes

const spawnPoller = (args, env) => spawnNeevscan(args, { ...process.env, ...env }, args[0] === 'serve' ? serviceNodeFlags() : []);

/** Sums a Prometheus text metric's samples whose labels include `labels`. */
function metricSum(text, name, labels = {}) {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}

// ---------------------------------------------------------------- the run
async function main() {
  const machine = {
    nproc: cpus().length,
    cpu: cpus()[0]?.model,
    memGb: (totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    loadBefore: loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
  log(`machine: ${JSON.stringify(machine)}`);
  compileStandIn(log);
  const total = Math.round(RATE * SECONDS);
  const plan = Array.from({ length: total }, (_, i) => kindOf(i));
  const pushCount = plan.filter((k) => k === 'push').length;
  const commentCount = plan.filter((k) => k === 'comment').length;
  const pushKeys = Math.ceil((KEYS * 2) / 3);
  const commentKeys = KEYS - pushKeys;

  const redis = new Redis(REDIS_URL);
  const prefix = `nsbench:${process.pid}:poller:`;
  const standin = await startStandIn(opt.github);
  const servePort = await freePort();
  const env = {
    REDIS_URL,
    NEEVSCAN_REDIS_PREFIX: prefix,
    NEEVSCAN_ADMIN_TOKEN: ADMIN_TOKEN,
    GITHUB_API_URL: standin.url,
    GITHUB_TOKENS: TOKENS.join(','),
    LOG_LEVEL: 'warn',
  };
  const serve = spawnPoller(['serve'], { ...env, HOST: '127.0.0.1', PORT: String(servePort) });
  const serveUrl = `http://127.0.0.1:${servePort}`;
  let poll;
  const repoDirs = [];
  try {
    await waitReady(serveUrl, 'serve');
    const owner = (await adminApi(serveUrl, 'POST', '/api/v1/owners', { name: 'Bench Org' })).id;
    const keys = [];
    for (let i = 0; i < KEYS; i++) keys.push(await adminApi(serveUrl, 'POST', '/api/v1/keys', { ownerId: owner, name: `bench key ${i}` }));

    // Push k goes to repository k % REPOS as its commit floor(k / REPOS) + 1; key pushes are spread evenly.
    const keyPush = new Map(Array.from({ length: pushKeys }, (_, i) => [Math.floor(((i + 0.5) * pushCount) / pushKeys), keys[i]]));
    const keyComment = new Map(
      Array.from({ length: commentKeys }, (_, i) => [Math.floor(((i + 0.5) * commentCount) / commentKeys), keys[pushKeys + i]]),
    );
    const t0 = Date.now();
    const repos = [];
    for (let r = 0; r < REPOS; r++) {
      const changes = [];
      for (let k = r; k < pushCount; k += REPOS) changes.push({ key: keyPush.get(k)?.key });
      const name = `svc-${r}`;
      const dir = join(DATA, name);
      repoDirs.push(dir);
      const shas = repoOfChanges(dir, changes);
      await standin.addRepo({ owner: OWNER, name, path: dir, private: false, installationId: 900 + r });
      repos.push({ name, shas, installationId: 900 + r });
    }
    log(
      `${REPOS} repositories, ${pushCount} commits to push (${pushKeys} holding a key), ${KEYS} keys through the API, in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    if (opt.github === 'replay') {
      const t1 = Date.now();
      const urls = repos.flatMap((repo) =>
        repo.shas.slice(1).map((sha, i) => [repo.installationId, `/repos/${OWNER}/${repo.name}/compare/${repo.shas[i]}...${sha}`]),
      );
      const warmed = await standin.warm(urls);
      log(`${warmed.warmed} compares warmed (${warmed.failed} failed) in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    }

    // One event before the poller starts: its first read sets the cursor, so every later event is either read or counted lost.
    await standin.pushEvent({
      type: 'WatchEvent',
      created_at: new Date().toISOString(),
      repo: { id: 1, name: `${OWNER}/${repos[0].name}`, url: '' },
      payload: { action: 'started' },
    });
    const metricsPort = await freePort();
    poll = spawnPoller(['poll', '--interval', opt.interval, '--metrics-port', String(metricsPort)], { ...env, HOST: '127.0.0.1' });
    const pollUrl = `http://127.0.0.1:${metricsPort}`;
    await waitReady(pollUrl, 'poll');
    await sleep(1500);

    // RSS and CPU of both processes, sampled every 250 ms.
    const rss = { serve: [], poll: [] };
    const sampler = setInterval(() => {
      rss.serve.push(rssMb(serve.pid));
      rss.poll.push(rssMb(poll.pid));
    }, 250);
    const cpu0 = { serve: cpuSeconds(serve.pid), poll: cpuSeconds(poll.pid) };

    // Open loop: event i is sent at start + i/RATE, whatever the earlier ones did.
    const sent = [];
    const keySentAt = new Map();
    let pushIndex = 0;
    let commentIndex = 0;
    const start = performance.now();
    const startWall = Date.now();
    let i = 0;
    const inflight = [];
    while (i < total) {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * RATE) + 1);
      while (i < due) {
        const kind = plan[i++];
        const now = new Date();
        const created_at = now.toISOString();
        let event;
        if (kind === 'push') {
          const k = pushIndex++;
          const repo = repos[k % REPOS];
          const c = Math.floor(k / REPOS) + 1;
          const key = keyPush.get(k);
          if (key) keySentAt.set(key.id, now.getTime());
          event = {
            type: 'PushEvent',
            created_at,
            repo: { id: 900 + (k % REPOS), name: `${OWNER}/${repo.name}`, url: '' },
            payload: { repository_id: 900 + (k % REPOS), push_id: k, ref: 'refs/heads/main', head: repo.shas[c], before: repo.shas[c - 1] },
          };
        } else if (kind === 'comment') {
          const j = commentIndex++;
          const key = keyComment.get(j);
          if (key) keySentAt.set(key.id, now.getTime());
          const body = key
            ? `it fails with\nNEEV_API_KEY=${key.key}\nany idea?`
            : `comment ${j}: have you tried turning it off and on again? ${randomBytes(24).toString('base64')}`;
          event = {
            type: 'IssueCommentEvent',
            created_at,
            repo: { id: 900 + (j % REPOS), name: `${OWNER}/${repos[j % REPOS].name}`, url: '' },
            payload: {
              action: 'created',
              issue: { number: j, title: `issue ${j}` },
              comment: {
                id: j,
                body,
                created_at,
                html_url: `https://github.com/${OWNER}/${repos[j % REPOS].name}/issues/${j}#issuecomment-${j}`,
              },
            },
          };
        } else
          event = {
            type: 'WatchEvent',
            created_at,
            repo: { id: 1, name: `${OWNER}/${repos[0].name}`, url: '' },
            payload: { action: 'started' },
          };
        inflight.push(standin.pushEvent(event).then((id) => sent.push({ id, kind, at: now.getTime() })));
      }
      await sleep(Math.max(1, Math.min(5, 1000 / RATE)));
    }
    await Promise.all(inflight);
    const sendSeconds = (Date.now() - startWall) / 1000;
    log(
      `sent ${sent.length} events in ${sendSeconds.toFixed(1)} s (${(sent.length / sendSeconds).toFixed(1)}/s): ${pushCount} pushes, ${commentCount} comments`,
    );

    // Drain: every push job finished (or the drain time is up).
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const pushQueue = new Queue('public-push', { connection, prefix: `${prefix}{q:public-push}` });
    const exposureQueue = new Queue('exposure', { connection, prefix: `${prefix}{q:exposure}` });
    const deadline = Date.now() + Number(opt['drain-seconds']) * 1000;
    let counts;
    for (;;) {
      counts = await pushQueue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed');
      if (counts.completed + counts.failed >= pushCount || Date.now() > deadline) break;
      await sleep(200);
    }
    const drainedAt = Date.now();
    clearInterval(sampler);
    const cpu = { serve: cpuSeconds(serve.pid) - cpu0.serve, poll: cpuSeconds(poll.pid) - cpu0.poll };

    // Lags, to the millisecond: created_at is the bench's send time.
    const done = (await pushQueue.getJobs(['completed'], 0, -1)).filter((j) => j.returnvalue?.outcome === 'scanned');
    const pushLag = done.map((j) => j.finishedOn - Date.parse(j.data.createdAt));
    const outcomes = {};
    for (const j of await pushQueue.getJobs(['completed'], 0, -1))
      outcomes[j.returnvalue?.outcome ?? '?'] = (outcomes[j.returnvalue?.outcome ?? '?'] ?? 0) + 1;
    const exposureJobs = (await exposureQueue.getJobs(['completed'], 0, -1)).filter(
      (j) => j.data.exposure.location.source === 'public-events',
    );
    const textKeyLag = exposureJobs.map((j) => j.finishedOn - Date.parse(j.data.exposure.pushedAt));
    const listed = (await adminApi(serveUrl, 'GET', `/api/v1/keys?ownerId=${owner}`)).keys;
    const keyLag = listed.filter((k) => k.revokedAt && keySentAt.has(k.id)).map((k) => Date.parse(k.revokedAt) - keySentAt.get(k.id));

    const pollMetrics = await (await fetch(`${pollUrl}/metrics`)).text();
    const serveMetrics = await (await fetch(`${serveUrl}/metrics`)).text();
    // Less the baseline event sent before the run.
    const seen = metricSum(pollMetrics, 'neevscan_public_events_seen_total') - 1;
    const textLag = {
      count: metricSum(pollMetrics, 'neevscan_public_events_lag_seconds_count', { kind: 'text' }),
      under1s: metricSum(pollMetrics, 'neevscan_public_events_lag_seconds_bucket', { le: '1', kind: 'text' }),
      under2s: metricSum(pollMetrics, 'neevscan_public_events_lag_seconds_bucket', { le: '2', kind: 'text' }),
      under5s: metricSum(pollMetrics, 'neevscan_public_events_lag_seconds_bucket', { le: '5', kind: 'text' }),
    };
    const stats = (values) =>
      values.length
        ? {
            n: values.length,
            p50: percentile(values, 50),
            p90: percentile(values, 90),
            p99: percentile(values, 99),
            max: Math.max(...values),
          }
        : { n: 0 };
    const peak = (values) => Math.max(...values.filter(Number.isFinite)).toFixed(0);
    const report = {
      machine,
      github: opt.github,
      rate: RATE,
      seconds: SECONDS,
      interval: Number(opt.interval),
      sent: sent.length,
      seen,
      lostEstimate: metricSum(pollMetrics, 'neevscan_public_events_lost_total'),
      polls: Object.fromEntries(
        ['events', 'not_modified', 'rate_limited', 'error'].map((r) => [
          r,
          metricSum(pollMetrics, 'neevscan_public_events_polls_total', { result: r }),
        ]),
      ),
      eventsRequests: (await standin.stats()).byKind.events ?? 0,
      pushJobs: { ...counts, outcomes, drainMsAfterLastSend: drainedAt - startWall - sendSeconds * 1000 },
      skipped: metricSum(serveMetrics, 'neevscan_public_events_skipped_total'),
      pushLagMs: stats(pushLag),
      keyRevokeLagMs: { ...stats(keyLag), revoked: keyLag.length, of: KEYS },
      textKeyLagMs: stats(textKeyLag),
      textLagBuckets: textLag,
      rssMb: {
        servePeak: peak(rss.serve),
        serveEnd: rss.serve.at(-1)?.toFixed(0),
        pollPeak: peak(rss.poll),
        pollEnd: rss.poll.at(-1)?.toFixed(0),
      },
      cpuSeconds: { serve: cpu.serve.toFixed(1), poll: cpu.poll.toFixed(1) },
      loadAfter: loadavg()
        .map((l) => l.toFixed(2))
        .join(' '),
    };
    log('');
    log(
      `events: sent ${report.sent}, seen by the poller ${report.seen}, lost (estimate) ${report.lostEstimate}; polls ${JSON.stringify(report.polls)}; GET /events requests ${report.eventsRequests}`,
    );
    log(`push jobs: ${JSON.stringify(report.pushJobs)}; skipped ${report.skipped}`);
    log(`lag, event created_at → push scanned (ms): ${JSON.stringify(report.pushLagMs)}`);
    log(`lag, key sent → revoked (ms): ${JSON.stringify(report.keyRevokeLagMs)}`);
    log(`lag, key in a comment → revoked (ms): ${JSON.stringify(report.textKeyLagMs)}`);
    log(`text events scanned in the poller: ${JSON.stringify(report.textLagBuckets)} (counts at or under 1, 2, 5 s)`);
    log(
      `RSS MB: ${JSON.stringify(report.rssMb)}; CPU s during the run: ${JSON.stringify(report.cpuSeconds)}; load after ${report.loadAfter}`,
    );
    log(`\n${JSON.stringify(report)}`);
    await pushQueue.close();
    await exposureQueue.close();
    connection.disconnect();
    if (report.pushLagMs.p99 === undefined || report.pushLagMs.p99 >= 5000) process.exitCode = 1;
  } catch (error) {
    log(`serve output:\n${serve.output().slice(-3000)}`);
    if (poll) log(`poll output:\n${poll.output().slice(-3000)}`);
    throw error;
  } finally {
    if (poll) await poll.stop();
    await serve.stop();
    await standin.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    for (const dir of repoDirs) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
