// GitHub App pipeline benchmark (npm run bench:pipeline): a spawned `neevscan serve` (real Redis,
// fresh prefix, deleted afterwards) receiving signed push webhooks, fetching them from the test
// GitHub stand-in (real git repositories, no added latency) and revoking the keys they add.
//
//   node bench/pipeline.mjs [--github live|replay] [--only 1,2,3] [--repos 100] [--ack-rate 200] [--ack-seconds 20]
//                           [--revoke-rate 50] [--revoke-seconds 20] [--stage-repos 400] [--stages 100,200,300]
//                           [--stage-seconds 5] [--drain-seconds 15] [--profile] [--workers 0] [--concurrency N]
//                           [--key-every 1]
//
//   --loadtest: measure 3 reported as the load-test table (npm run loadtest): accepted/s, ack p50/p99,
//     push -> revoked p50/p99, peak RSS of each process, Redis used_memory.
//   --workers N: N `neevscan worker` processes beside serve (same Redis); CPU and RSS are summed over all.
//   --concurrency N: NEEVSCAN_PUSH_CONCURRENCY for every process (push jobs at once per process).
//   --key-every N: in 3, one push in N adds a key (the others a file of plain settings: a push as nearly all are);
//     1 (the default): every push adds a key, so every push is also revoked, noted and reported on.
//   --cluster: a fresh local Redis Cluster of 3 masters (REDIS_CLUSTER_NODES for every process); --fresh-node: a
//     fresh single redis-server started alike (bench/lib/redis-target.mjs); neither: REDIS_URL. Measure 3 then also
//     reports Redis's CPU per push (every redis-server process) and Redis commands per push (INFO commandstats,
//     less the benchmark's own polling).
//
//   1. webhook acknowledgement: signed push deliveries (unique ids and bodies) at a fixed rate,
//      open loop over keep-alive connections; p50/p99 of the 202 answers.
//   2. push received -> key revoked: each push adds one file holding a fresh key (created through
//      the API); per key, from the moment its delivery was sent to the key's revokedAt (ms).
//   3. sustained throughput: stages of rising push rates; per stage, pushes completed per second,
//      queue backlog at the end, and the serve process's RSS (VmRSS, sampled every 250 ms).
//
// --github live: GITHUB_API_URL is the stand-in, which runs ~9 git processes per compare.
// --github replay (default): every compare the bench will deliver is asked of the stand-in once
// beforehand, and answered again from memory during the run (bench/lib/github-standin.mjs).
// Expects dist/ built. Compiles test/helpers/github into bench/.data/standin-js when needed.
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compileStandIn } from './lib/compile-standin.mjs';
import { buildRepo, git } from './lib/fast-import-repo.mjs';
import { percentile } from './lib/stats.mjs';
import { ADMIN_TOKEN, adminApi, spawnNeevscan, waitReady } from './lib/neevscan-process.mjs';
import { freePort, rssMb, cpuSeconds, serviceNodeFlags } from './lib/proc.mjs';
import { forkStandIn } from './lib/standin-process.mjs';
import { deletePrefixEverywhere, openRedisTarget, readRedisCost, redisCostSince, topCommands } from './lib/redis-target.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const DATA = join(HERE, '.data', 'pipeline');

const { values: opt } = parseArgs({
  options: {
    github: { type: 'string', default: 'replay' },
    only: { type: 'string', default: '1,2,3' },
    repos: { type: 'string', default: '100' },
    'stage-repos': { type: 'string', default: '400' },
    'ack-rate': { type: 'string', default: '200' },
    'ack-seconds': { type: 'string', default: '20' },
    'revoke-rate': { type: 'string', default: '50' },
    'revoke-seconds': { type: 'string', default: '20' },
    stages: { type: 'string', default: '100,200,300' },
    'stage-seconds': { type: 'string', default: '5' },
    'drain-seconds': { type: 'string', default: '15' },
    profile: { type: 'boolean', default: false },
    workers: { type: 'string', default: '0' },
    concurrency: { type: 'string', default: '' },
    loadtest: { type: 'boolean', default: false },
    cluster: { type: 'boolean', default: false },
    'fresh-node': { type: 'boolean', default: false },
    'key-every': { type: 'string', default: '1' },
  },
});
const ONLY = new Set(opt.only.split(',').map(Number));
let REPOS = Number(opt.repos);
const DRAIN_MS = Number(opt['drain-seconds']) * 1000;
const STAGES = opt.stages.split(',').map(Number);
const TARGET = await openRedisTarget({ cluster: opt.cluster, freshNode: opt['fresh-node'] });
const MASTERS = TARGET.masters();
// Commands the benchmark itself sends while a stage is measured (its polling), taken out of the commands per push.
let benchCommands = 0;
const SECRET = `bench-webhook-secret-${randomBytes(8).toString('hex')}`;
const APP_ID = 4242;
const OWNER = 'bench-org';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.log(...a);

// ---------------------------------------------------------------- the stand-in, forked
const startStandIn = (appKey, mode) => forkStandIn({ appId: APP_ID, publicKeyPem: appKey.publicKeyPem, privateKeyPem: appKey.pkcs8, mode });

// ---------------------------------------------------------------- repositories
/**
 * One repository: a README commit (c0), a clean docs commit (c1, the acknowledgement pushes), then
 * one commit per entry of `keys`, each adding `config/k<i>.env` holding that key among ordinary settings
 * (or only the settings, for a null entry), checked out. Returns the SHAs, oldest first.
 */
function repoWithKeys(dir, keys) {
  const shas = buildRepo(
    dir,
    [
      { message: 'initial', path: 'README.md', content: '# service\n\nA service.\n' },
      { message: 'docs', path: 'docs/usage.md', content: '# Usage\n\nRun it with `npm start`. No secrets here.\n' },
      ...keys.map((key, i) => ({
        message: `config ${i}`,
        path: `config/k${i}.env`,
        content: `# settings for worker ${i}\nREGION=in-west-1\nTIMEOUT_MS=3000\n${key === null ? '' : `NEEV_API_KEY=${key}\n`}LOG_LEVEL=info\n`,
      })),
    ],
    { author: 'Bench Author <author@example.com>', committer: 'Bench Committer <committer@example.com>' },
  );
  git(dir, ['reset', '-q', '--hard']);
  return shas;
}

// ---------------------------------------------------------------- payloads and delivery
const require = createRequire(import.meta.url);
const pushExample = require('@octokit/webhooks-examples')
  .find((e) => e.name === 'push')
  .examples.find((e) => e.ref === 'refs/heads/master' && e.installation);

// The push is now (repository.pushed_at, Unix seconds as GitHub sends it); its commit was made a minute
// earlier, as commits are: the service times push-to-revoke from pushed_at, never from the commit's time,
// so its own neevscan_push_to_revoke_seconds and alert revokeLatencyMs agree with what is measured here.
function pushBody(repo, before, after) {
  const pushedAt = Date.now();
  const now = new Date(pushedAt - 60_000).toISOString();
  return JSON.stringify({
    ...pushExample,
    ref: 'refs/heads/main',
    before,
    after,
    created: false,
    deleted: false,
    forced: false,
    commits: [{ ...pushExample.commits[0], id: after, timestamp: now }],
    head_commit: { ...pushExample.head_commit, id: after, timestamp: now },
    repository: {
      ...pushExample.repository,
      name: repo.name,
      full_name: `${OWNER}/${repo.name}`,
      owner: { ...pushExample.repository.owner, login: OWNER, name: OWNER },
      private: false,
      default_branch: 'main',
      html_url: `https://github.com/${OWNER}/${repo.name}`,
      pushed_at: Math.floor(pushedAt / 1000),
    },
    installation: { ...pushExample.installation, id: repo.installationId },
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });
let deliverySeq = 0;

function deliver(base, body) {
  const delivery = `bench-${process.pid}-${deliverySeq++}-${randomBytes(4).toString('hex')}`;
  const headers = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-github-event': 'push',
    'x-github-delivery': delivery,
    'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
    'user-agent': 'GitHub-Hookshot/bench',
  };
  return new Promise((resolve) => {
    const sentAt = Date.now();
    const t0 = process.hrtime.bigint();
    const req = request({ host: base.hostname, port: base.port, method: 'POST', path: '/webhooks/github', headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ sentAt, ms: Number(process.hrtime.bigint() - t0) / 1e6, status: res.statusCode }));
    });
    req.on('error', (error) => resolve({ sentAt, ms: Number(process.hrtime.bigint() - t0) / 1e6, status: 0, error: error.message }));
    req.end(body);
  });
}

/**
 * Open loop: request i is sent at start + i/rate whatever the earlier answers did (a late timer
 * catches up at once). `make(i)` gives the body. Resolves with every result, in send order.
 */
async function openLoop(base, rate, count, make) {
  const results = new Array(count);
  const inflight = [];
  const start = performance.now();
  let sent = 0;
  while (sent < count) {
    const due = Math.min(count, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
    while (sent < due) {
      const i = sent++;
      inflight.push(deliver(base, make(i)).then((r) => (results[i] = r)));
    }
    await sleep(Math.max(1, Math.min(5, 1000 / rate)));
  }
  await Promise.all(inflight);
  return results;
}

// ---------------------------------------------------------------- serve

async function startServe(prefix, githubUrl, appKey, profileDir, command = 'serve') {
  const port = await freePort();
  // As `npm start` runs it; --cpu-prof is refused in NODE_OPTIONS, so it too goes on the command line.
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const env = {
    ...(opt.concurrency ? { NEEVSCAN_PUSH_CONCURRENCY: opt.concurrency } : {}),
    ...process.env,
    ...(process.env.BENCH_SERVER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_SERVER_NODE_OPTIONS } : {}),
    HOST: '127.0.0.1',
    PORT: String(port),
    ...TARGET.env,
    NEEVSCAN_REDIS_PREFIX: prefix,
    NEEVSCAN_ADMIN_TOKEN: ADMIN_TOKEN,
    GITHUB_API_URL: githubUrl,
    GITHUB_APP_ID: String(APP_ID),
    GITHUB_APP_PRIVATE_KEY: appKey.pkcs8,
    GITHUB_WEBHOOK_SECRET: SECRET,
    REVOKE_POLICY: 'public',
    // A worker's readiness is its "worker running" log line (info).
    LOG_LEVEL: command === 'worker' ? 'info' : 'warn',
  };
  const child = spawnNeevscan([command], env, [...serviceNodeFlags(), ...profile]);
  const url = `http://127.0.0.1:${port}`;
  const handle = { ...child, url, base: new URL(url) };
  // `neevscan worker` has no HTTP server: it is ready once it has logged that it runs.
  if (command === 'worker') {
    for (let i = 0; !/worker running/.test(child.output()); i++) {
      if (i > 2400) throw new Error(`worker did not start: ${child.output()}`);
      await sleep(50);
    }
  } else await waitReady(url, 'serve', { attempts: 2400, output: child.output });
  return handle;
}

async function pool(items, width, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

// ---------------------------------------------------------------- one environment: stand-in, repos, serve
/**
 * Builds `REPOS` repositories with `keysPerRepo` keys each (created through the API of a serve on
 * a fresh prefix), registers them with the stand-in, and in replay mode warms every compare.
 */
/** `keyEvery`: push k (repository k % REPOS, its commit k / REPOS) adds a key when k % keyEvery is 0, else plain settings. */
async function environment(name, keysPerRepo, appKey, redis, keyEvery = 1) {
  const prefix = `nsbench:${process.pid}:${name}:`;
  const standin = await startStandIn(appKey, opt.github);
  const profileDir = opt.profile ? join(DATA, `profile-${name}`) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const serve = await startServe(prefix, standin.url, appKey, profileDir);
  // --workers N: N more processes running `neevscan worker` on the same Redis (the documented way to scale out).
  const workers = [];
  try {
    for (let w = 0; w < Number(opt.workers); w++) workers.push(await startServe(prefix, standin.url, appKey, undefined, 'worker'));
  } catch (error) {
    for (const p of [...workers, serve]) await p.stop();
    await standin.close();
    throw error;
  }
  const owner = (await adminApi(serve.url, 'POST', '/api/v1/owners', { name: 'Bench Org' })).id;
  const t0 = Date.now();
  const keyed = (r, i) => (i * REPOS + r) % keyEvery === 0;
  let wanted = 0;
  for (let r = 0; r < REPOS; r++) for (let i = 0; i < keysPerRepo; i++) if (keyed(r, i)) wanted++;
  const created = await pool(Array.from({ length: wanted }), 16, (_, i) =>
    adminApi(serve.url, 'POST', '/api/v1/keys', { ownerId: owner, name: `bench key ${i}` }),
  );
  const repos = [];
  let taken = 0;
  for (let r = 0; r < REPOS; r++) {
    const keys = Array.from({ length: keysPerRepo }, (_, i) => (keyed(r, i) ? created[taken++] : null));
    const repo = { name: `svc-${name}-${r}`, installationId: 100 + r, keys };
    repo.shas = repoWithKeys(
      join(DATA, repo.name),
      keys.map((k) => k?.key ?? null),
    );
    await standin.addRepo({
      owner: OWNER,
      name: repo.name,
      path: join(DATA, repo.name),
      private: false,
      installationId: repo.installationId,
    });
    repos.push(repo);
  }
  log(`  ${name}: ${REPOS} repositories, ${created.length} keys through the API, in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (opt.github === 'replay') {
    const t1 = Date.now();
    const urls = [];
    for (const repo of repos) {
      urls.push([repo.installationId, `/repos/${OWNER}/${repo.name}/compare/${repo.shas[0]}...${repo.shas[1]}`]);
      for (let i = 2; i < repo.shas.length; i++)
        urls.push([repo.installationId, `/repos/${OWNER}/${repo.name}/compare/${repo.shas[i - 1]}...${repo.shas[i]}`]);
    }
    const warmed = await standin.warm(urls);
    log(`  ${name}: ${warmed.warmed} compares warmed (${warmed.failed} failed) in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  }
  return {
    prefix,
    standin,
    serve,
    pids: [serve.pid, ...workers.map((w) => w.pid)],
    repos,
    async close() {
      // The worst event-loop stall of each process over the run (serve: its metric; a worker: its log of each new worst).
      const metrics = await fetch(`${serve.url}/metrics`).then(
        (r) => r.text(),
        () => '',
      );
      const serveStall = Number(/^neevscan_event_loop_stall_max_seconds (\S+)$/m.exec(metrics)?.[1] ?? NaN) * 1000;
      const workerStalls = workers.map((w) =>
        Math.max(0, ...[...w.output().matchAll(/event loop stalled (\d+) ms/g)].map((m) => Number(m[1]))),
      );
      log(
        `  ${name}: worst event-loop stall: serve ${Math.round(serveStall)} ms${workerStalls.length ? `, workers ${workerStalls.join(', ')} ms` : ''}`,
      );
      // What the pushes cost in jobs: per queue, BullMQ's event stream counts (completed, delayed, …) over the run.
      log(`  ${name}: job events per queue: ${JSON.stringify(await jobEvents(redis, prefix))}`);
      for (const w of workers) await w.stop();
      await serve.stop();
      await standin.close();
      if (!TARGET.fresh) await deletePrefixEverywhere(redis, prefix);
      for (const repo of repos) rmSync(join(DATA, repo.name), { recursive: true, force: true });
    },
  };
}

/** Per queue, how many of each BullMQ event its stream holds (the stream keeps its last ~10,000 events). */
async function jobEvents(redis, prefix) {
  const counts = {};
  for (const queue of ['push', 'check-run', 'verify-revocation', 'notify', 'exposure']) {
    const events = await redis.xrange(`${prefix}{q:${queue}}:${queue}:events`, '-', '+').catch(() => []);
    const byEvent = {};
    for (const [, fields] of events) byEvent[fields[1]] = (byEvent[fields[1]] ?? 0) + 1;
    if (events.length) counts[queue] = byEvent;
  }
  return counts;
}

/** The k-th key push, round robin over the repositories: repo k % R, its commit floor(k / R). */
function keyPush(repos, k) {
  const repo = repos[k % repos.length];
  const i = Math.floor(k / repos.length);
  return { repo, key: repo.keys[i], before: repo.shas[i + 1], after: repo.shas[i + 2] };
}

async function queueState(redis, prefix) {
  const q = `${prefix}{q:push}:push`;
  benchCommands += 6;
  const [wait, active, prioritized, delayed, completed, failed] = await Promise.all([
    redis.llen(`${q}:wait`),
    redis.llen(`${q}:active`),
    redis.zcard(`${q}:prioritized`),
    redis.zcard(`${q}:delayed`),
    redis.zcard(`${q}:completed`),
    redis.zcard(`${q}:failed`),
  ]);
  return { waiting: wait + prioritized, active, delayed, completed, failed };
}

/** Jobs of `queue` not yet done (waiting, active, delayed): the check runs and notices a push leaves behind. */
async function pendingJobs(redis, prefix, queue) {
  const q = `${prefix}{q:${queue}}:${queue}`;
  benchCommands += 4;
  const [wait, active, prioritized, delayed] = await Promise.all([
    redis.llen(`${q}:wait`),
    redis.llen(`${q}:active`),
    redis.zcard(`${q}:prioritized`),
    redis.zcard(`${q}:delayed`),
  ]);
  return wait + active + prioritized + delayed;
}

/** Waits (up to `ms`) until the push's follow-on jobs (check run, notice) are done, so the CPU read after covers them. */
async function settleFollowOns(redis, prefix, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = (await pendingJobs(redis, prefix, 'check-run')) + (await pendingJobs(redis, prefix, 'notify'));
    if (left === 0 || Date.now() > deadline) return left;
    await sleep(100);
  }
}

/** CPU of the service's processes and of Redis, and Redis commands, each per second, over `ms` with nothing sent. */
async function idleCost(pids, ms) {
  const service = () => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const [service0, redis0, t0] = [service(), await readRedisCost(TARGET, MASTERS), Date.now()];
  await sleep(ms);
  const [service1, redisCost] = [service(), await redisCostSince(redis0, TARGET, MASTERS)];
  const seconds = (Date.now() - t0) / 1000;
  return {
    seconds,
    serviceCpuPerSecond: (service1 - service0) / seconds,
    redisCpuPerSecond: redisCost.cpu / seconds,
    commandsPerSecond: redisCost.commands.calls / seconds,
    topCommands: topCommands(redisCost.commands),
  };
}

async function drain(redis, prefix, expected, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await queueState(redis, prefix);
    if (s.completed + s.failed >= expected || Date.now() > deadline) return s;
    await sleep(100);
  }
}

async function revokedAtOf(serveUrl, keys) {
  return pool(keys, 16, async (k) => {
    const record = await adminApi(serveUrl, 'GET', `/api/v1/keys/${k.id}`);
    return record.status === 'revoked' ? Date.parse(record.revokedAt) : null;
  });
}

const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '—');

// ---------------------------------------------------------------- main
async function main() {
  mkdirSync(DATA, { recursive: true });
  compileStandIn();
  const redis = TARGET.connect();
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const appKey = {
    pkcs8: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
  const machine = {
    when: new Date().toISOString(),
    nproc: cpus().length,
    cpu: cpus()[0]?.model,
    memoryGiB: (totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    loadBefore: loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
    redis: TARGET.kind,
  };
  log(`machine: ${JSON.stringify(machine)}`);
  log(
    `GitHub: ${opt.github === 'replay' ? 'stand-in, compares answered from memory after one warming request each' : 'stand-in, live (git per request)'}`,
  );
  const rows = [];
  const report = { machine, github: opt.github };
  const envs = [];
  try {
    // ---- 1 and 2 each in an environment of their own, so that one's backlog cannot weigh on the other.
    for (const scenario of [1, 2].filter((n) => ONLY.has(n))) {
      const revokeCount = scenario === 2 ? Number(opt['revoke-rate']) * Number(opt['revoke-seconds']) : 0;
      const env = await environment(scenario === 1 ? 'a' : 'r', Math.max(1, Math.ceil(revokeCount / REPOS)), appKey, redis);
      envs.push(env);
      const { serve, repos, prefix } = env;
      // Warm-up: one key-free push per repository (installation tokens, JIT), then settle.
      await openLoop(serve.base, 50, repos.length, (i) => pushBody(repos[i], repos[i].shas[0], repos[i].shas[1]));
      await drain(redis, prefix, repos.length, Math.min(DRAIN_MS, 10_000));
      let expected = repos.length;

      if (scenario === 1) {
        const rate = Number(opt['ack-rate']);
        const count = rate * Number(opt['ack-seconds']);
        log(`1. acknowledgement: ${count} signed push deliveries at ${rate}/s …`);
        const rss = [];
        const sampler = setInterval(() => rss.push(rssMb(serve.pid)), 250);
        const load0 = loadavg()[0];
        const results = await openLoop(serve.base, rate, count, (i) =>
          pushBody(repos[i % repos.length], repos[i % repos.length].shas[0], repos[i % repos.length].shas[1]),
        );
        clearInterval(sampler);
        expected += count;
        const ok = results.filter((r) => r.status === 202).map((r) => r.ms);
        const after = await drain(redis, prefix, expected, DRAIN_MS);
        const r1 = {
          deliveries: count,
          accepted: ok.length,
          other: results.length - ok.length,
          p50: percentile(ok, 50),
          p90: percentile(ok, 90),
          p99: percentile(ok, 99),
          max: Math.max(...ok),
          processedAfter: after.completed,
          failed: after.failed,
          rssMax: Math.max(...rss),
          load: `${load0.toFixed(2)} → ${loadavg()[0].toFixed(2)}`,
        };
        report.ack = r1;
        rows.push(
          `| 1. webhook 202 at ${rate}/s, ${count} deliveries | p50 **${fmt(r1.p50, 1)} ms**, p90 ${fmt(r1.p90, 1)} ms, p99 **${fmt(r1.p99, 1)} ms**, max ${fmt(r1.max, 1)} ms; ${r1.accepted} × 202, ${r1.other} other | p99 < 50 ms | ${r1.p99 < 50 ? 'met' : 'not met'} |`,
        );
        log(
          `   p50 ${fmt(r1.p50, 1)} ms, p99 ${fmt(r1.p99, 1)} ms, max ${fmt(r1.max, 1)} ms, ${r1.other} not 202; all ${after.completed} jobs processed (${after.failed} failed); RSS max ${fmt(r1.rssMax)} MB; load ${r1.load}`,
        );
      }

      if (scenario === 2) {
        const rate = Number(opt['revoke-rate']);
        log(`2. push → revoked: ${revokeCount} pushes, one key each, at ${rate}/s …`);
        const load0 = loadavg()[0];
        const pushes = Array.from({ length: revokeCount }, (_, k) => keyPush(repos, k));
        const results = await openLoop(serve.base, rate, revokeCount, (k) => pushBody(pushes[k].repo, pushes[k].before, pushes[k].after));
        expected += revokeCount;
        const after = await drain(redis, prefix, expected, DRAIN_MS);
        const revokedAt = await revokedAtOf(
          serve.url,
          pushes.map((p) => p.key),
        );
        const lat = [];
        let missing = 0;
        revokedAt.forEach((t, k) => (t === null ? missing++ : lat.push(t - results[k].sentAt)));
        const r2 = {
          pushes: revokeCount,
          revoked: lat.length,
          missing,
          p50: percentile(lat, 50),
          p90: percentile(lat, 90),
          p99: percentile(lat, 99),
          max: Math.max(...lat),
          failed: after.failed,
          load: `${load0.toFixed(2)} → ${loadavg()[0].toFixed(2)}`,
          notAccepted: results.filter((r) => r.status !== 202).length,
        };
        report.revoke = r2;
        rows.push(
          `| 2. push sent → key revoked at ${rate} pushes/s, ${revokeCount} keys | p50 **${fmt(r2.p50)} ms**, p90 ${fmt(r2.p90)} ms, p99 **${fmt(r2.p99)} ms**, max ${fmt(r2.max)} ms; ${r2.revoked} revoked, ${missing} not | p50 < 300 ms, p99 < 1 s | ${r2.p50 < 300 && r2.p99 < 1000 && missing === 0 ? 'met' : 'not met'} |`,
        );
        log(
          `   p50 ${fmt(r2.p50)} ms, p90 ${fmt(r2.p90)} ms, p99 ${fmt(r2.p99)} ms, max ${fmt(r2.max)} ms; ${r2.revoked}/${revokeCount} revoked; ${after.failed} jobs failed; load ${r2.load}`,
        );
      }
      if (opt.github === 'replay') log(`   GitHub requests: ${JSON.stringify(await env.standin.stats())}`);
      await env.close();
      envs.pop();
    }

    // ---- 3: rising rates, every push adding a key (or one in --key-every).
    if (ONLY.has(3)) {
      const seconds = Number(opt['stage-seconds']);
      const total = STAGES.reduce((s, r) => s + r * seconds, 0);
      const keyEvery = Math.max(1, Number(opt['key-every']));
      // Many installations: GitHub writes are paced per installation (at best; see docs/PERFORMANCE.md).
      REPOS = Number(opt['stage-repos']);
      const env = await environment('b', Math.ceil(total / REPOS), appKey, redis, keyEvery);
      envs.push(env);
      const { serve, repos, prefix, pids } = env;
      const pushes = Array.from({ length: total }, (_, k) => keyPush(repos, k));
      // Warm-up: the clean pushes, as in 1.
      await openLoop(serve.base, 50, repos.length, (i) => pushBody(repos[i], repos[i].shas[0], repos[i].shas[1]));
      await drain(redis, prefix, repos.length, Math.min(DRAIN_MS, 10_000));
      // The idle cost, per second: what serve and Redis use with no push to handle (BullMQ's workers waiting on
      // blocking commands and checking for stalled and delayed jobs; on a cluster, the slot map refreshes and the
      // cluster bus), so that a stage's cost per push can also be read less it.
      await settleFollowOns(redis, prefix, DRAIN_MS);
      const idle = await idleCost(pids, 4000);
      report.idle = idle;
      log(
        `   idle: serve ${fmt(idle.serviceCpuPerSecond * 1000)} ms of CPU a second, Redis ${fmt(idle.redisCpuPerSecond * 1000)} ms a second, ${fmt(idle.commandsPerSecond)} Redis commands a second (${idle.topCommands})`,
      );
      let done = repos.length;
      let offset = 0;
      report.stages = [];
      for (const rate of STAGES) {
        const count = rate * seconds;
        log(
          `3. ${rate} pushes/s for ${seconds} s (${count} pushes, ${keyEvery === 1 ? 'one key each' : `one in ${keyEvery} adding a key`}) …`,
        );
        const load0 = loadavg()[0];
        // CPU per push, the primary figure: robust to machine load, unlike pushes per second. Read per process
        // (serve, then each worker) from /proc, from the stage's start until its pushes and their follow-on jobs are done.
        const cpuEach = () => pids.map((pid) => cpuSeconds(pid));
        const cpu0 = cpuEach();
        const redis0 = await readRedisCost(TARGET, MASTERS);
        const bench0 = benchCommands;
        const window0 = Date.now();
        const rss = [];
        const backlog = [];
        const before = await queueState(redis, prefix);
        const rssEach = pids.map(() => []);
        const sampler = setInterval(() => {
          const now = pids.map((pid) => rssMb(pid));
          now.forEach((mb, i) => rssEach[i].push(mb));
          rss.push(now.reduce((a, b) => a + b, 0));
        }, 250);
        const qsampler = setInterval(() => queueState(redis, prefix).then((s) => backlog.push(s.waiting)), 1000);
        const redisMem = [];
        const msampler = setInterval(
          () =>
            Promise.all(MASTERS.map((m) => (benchCommands++, m.info('memory')))).then((infos) =>
              redisMem.push(infos.reduce((sum, info) => sum + Number(/used_memory:(\d+)/.exec(info)[1]), 0) / 2 ** 20),
            ),
          500,
        );
        const t0 = Date.now();
        const base = offset;
        const results = await openLoop(serve.base, rate, count, (i) =>
          pushBody(pushes[base + i].repo, pushes[base + i].before, pushes[base + i].after),
        );
        const sendEnd = Date.now();
        const atEnd = await queueState(redis, prefix);
        clearInterval(qsampler);
        const drained = await drain(redis, prefix, done + count, DRAIN_MS);
        const drainMs = Date.now() - sendEnd;
        const followOnsLeft = await settleFollowOns(redis, prefix, DRAIN_MS);
        clearInterval(sampler);
        clearInterval(msampler);
        const cpuPerProcess = cpuEach().map((c, i) => c - cpu0[i]);
        const cpu = cpuPerProcess.reduce((a, b) => a + b, 0);
        const { cpu: redisCpu, cpuPerNode: redisCpuPerNode, commands } = await redisCostSince(redis0, TARGET, MASTERS);
        const ownCommands = benchCommands - bench0;
        const windowSeconds = (Date.now() - window0) / 1000;
        const acks = results.filter((r) => r.status === 202).map((r) => r.ms);
        // The pushes of this stage that added a key, by their index in the stage.
        const keyedAt = [];
        for (let i = 0; i < count; i++) if (pushes[base + i].key) keyedAt.push(i);
        const revokedAt = await revokedAtOf(
          serve.url,
          keyedAt.map((i) => pushes[base + i].key),
        );
        const inWindow = revokedAt.filter((t) => t !== null && t <= sendEnd).length;
        const lat = revokedAt.map((t, j) => (t === null ? null : t - results[keyedAt[j]].sentAt)).filter((x) => x !== null);
        const processedInWindow = atEnd.completed + atEnd.failed - (before.completed + before.failed);
        const st = {
          rate,
          sent: count,
          withKey: keyedAt.length,
          sentPerSecond: count / ((sendEnd - t0) / 1000),
          notAccepted: results.filter((r) => r.status !== 202).length,
          completedPerSecond: processedInWindow / ((sendEnd - t0) / 1000),
          revokedInWindow: inWindow,
          backlogAtEnd: atEnd.waiting,
          backlogSamples: backlog,
          drainMs,
          revoked: lat.length,
          failed: drained.failed,
          p50: percentile(lat, 50),
          p99: percentile(lat, 99),
          rssMax: Math.max(...rss),
          rssMaxPerProcess: rssEach.map((r) => Math.max(...r)),
          acceptedPerSecond: acks.length / ((sendEnd - t0) / 1000),
          ackP50: percentile(acks, 50),
          ackP99: percentile(acks, 99),
          redisMemoryMaxMb: Math.max(...redisMem),
          standinRssMb: (await env.standin.stats()).rss / 2 ** 20,
          cpuPerPushMs: (cpu * 1000) / count,
          redisCpuPerPushUs: TARGET.pids.length ? (redisCpu * 1e6) / count : NaN,
          redisCommandsPerPush: (commands.calls - ownCommands) / count,
          redisCommandsPerNode: commands.perNode,
          windowSeconds,
          // The same, less what the idle processes would have used over the window.
          cpuPerPushLessIdleMs: ((cpu - idle.serviceCpuPerSecond * windowSeconds) * 1000) / count,
          redisCpuPerPushLessIdleUs: TARGET.pids.length ? ((redisCpu - idle.redisCpuPerSecond * windowSeconds) * 1e6) / count : NaN,
          redisCommandsPerPushLessIdle: (commands.calls - ownCommands - idle.commandsPerSecond * windowSeconds) / count,
          redisCpuSecondsPerNode: redisCpuPerNode,
          benchCommands: ownCommands,
          moved: commands.moved,
          topCommands: topCommands(commands, 10),
          cpuSecondsPerProcess: cpuPerProcess,
          followOnsLeft,
          serveCpuShare: cpu / ((Date.now() - t0) / 1000),
          load: `${load0.toFixed(2)} → ${loadavg()[0].toFixed(2)}`,
        };
        st.keptUp = st.revoked === keyedAt.length && st.backlogAtEnd <= rate && st.drainMs < 2000 && st.notAccepted === 0;
        report.stages.push(st);
        log(
          `   Redis (${TARGET.kind}): ${fmt(st.redisCpuPerPushUs)} µs of Redis CPU a push (per node ${redisCpuPerNode.join(' + ')} s; ${fmt(st.redisCpuPerPushLessIdleUs)} µs less idle), ${fmt(st.redisCommandsPerPush, 1)} Redis commands a push (${fmt(st.redisCommandsPerPushLessIdle, 1)} less idle; per node ${commands.perNode.join(' + ')}, of which the benchmark's polling ${ownCommands}; ${st.topCommands}; MOVED ${commands.moved})`,
        );
        log(
          `   sent ${fmt(st.sentPerSecond)}/s; completed ${fmt(st.completedPerSecond)}/s while sending; backlog each second ${JSON.stringify(backlog)}; drained ${fmt(drainMs)} ms after; ${st.revoked}/${keyedAt.length} keys revoked (p50 ${fmt(st.p50)} ms, p99 ${fmt(st.p99)} ms); service CPU ${fmt(st.cpuPerPushMs, 2)} ms/push (${fmt(st.cpuPerPushLessIdleMs, 2)} less idle; per process ${cpuPerProcess.map((c) => fmt(c, 2)).join(' + ')} s; follow-on jobs left ${followOnsLeft}; ${fmt(st.serveCpuShare * 100)}% of a core); RSS max ${fmt(st.rssMax)} MB (per process ${st.rssMaxPerProcess.map((m) => fmt(m)).join(' + ')}); load ${st.load}`,
        );
        if (opt.loadtest) {
          rows.push(
            `| ${rate}/s for ${seconds} s | ${fmt(st.acceptedPerSecond)}/s | ${fmt(st.ackP50, 1)} / ${fmt(st.ackP99, 1)} ms | ${fmt(st.p50)} / ${fmt(st.p99)} ms | ${st.revoked}/${st.withKey} | ${st.rssMaxPerProcess.map((m) => fmt(m)).join(' + ')} MB (stand-in ${fmt(st.standinRssMb)} MB) | ${fmt(st.redisMemoryMaxMb)} MB | ${st.keptUp ? 'kept up' : `backlog ${st.backlogAtEnd}, drained ${fmt(drainMs / 1000, 1)} s after`} |`,
          );
        } else
          rows.push(
            `| 3. ${rate} pushes/s for ${seconds} s | ${fmt(st.completedPerSecond)} completed/s while sending, backlog at end ${st.backlogAtEnd}, drained ${fmt(drainMs / 1000, 1)} s after; revoke p50 ${fmt(st.p50)} ms / p99 ${fmt(st.p99)} ms; RSS max ${st.rssMaxPerProcess.map((m) => fmt(m)).join(' + ')} MB | keeps up, RSS < 300 MB a process | ${st.keptUp && Math.max(...st.rssMaxPerProcess) < 300 ? 'kept up' : 'did not keep up'} |`,
          );
        done += count;
        offset += count;
        await sleep(1000);
      }
      const best = report.stages.filter((s) => s.keptUp).map((s) => s.rate);
      report.sustained = best.length ? Math.max(...best) : 0;
      if (opt.github === 'replay') log(`   GitHub requests: ${JSON.stringify(await env.standin.stats())}`);
      await env.close();
      envs.pop();
    }
  } finally {
    for (const env of envs) await env.close().catch(() => {});
    for (const client of [redis, ...MASTERS]) client.disconnect();
    agent.destroy();
    await TARGET.close();
  }
  report.loadAfter = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  console.log(`\nGitHub: ${opt.github}; load before ${machine.loadBefore}, after ${report.loadAfter}\n`);
  if (opt.loadtest)
    console.log(
      '| rate | accepted | ack p50 / p99 | push → revoked p50 / p99 | keys revoked | peak RSS per process | Redis memory | |\n| --- | --- | --- | --- | --- | --- | --- | --- |',
    );
  else console.log('| measure | figure | target | status |\n| --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
  if (report.stages) console.log(`\nsustained: the highest stage kept up with was ${report.sustained} pushes/s`);
  mkdirSync(DATA, { recursive: true });
  const file = join(DATA, `result-${opt.github}-${Date.now()}.json`);
  (await import('node:fs')).writeFileSync(file, JSON.stringify(report, null, 2));
  console.log(`\nresults: ${file}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
