// Alert review benchmark (npm run bench:alerts): with N alerts in a real Redis,
// how long the review's reads take — a page of the list unfiltered and under
// each filter, a deep page, the counts per state, a filtered export — and the
// Redis memory per alert. Expects dist/ built.
//
//   node bench/alerts.mjs [--alerts 20000] [--runs 200]
//   node bench/alerts.mjs --ab <before>/dist <after>/dist [--alerts 20000]
//
// --ab: an A/B of two builds (each a dist/ folder, relative to the working directory or absolute), each seeded
// with the same alerts under its own prefix, then each read timed in alternating rounds (A, B, A, B …: 8 rounds
// of 25 calls per build, --runs does not apply), so machine load drifts hit both alike. Reports p50 per build
// and the ratio, then two CSV exports each.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { deletePrefix } from './lib/proc.mjs';
import { machineLine, percentile } from './lib/stats.mjs';

const { values, positionals } = parseArgs({
  options: {
    alerts: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '200' },
    ab: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
if (values.ab !== (positionals.length === 2)) throw new Error('--ab takes two dist/ folders (before, after), and only --ab takes any');
const ALERTS = Number(values.alerts);
const RUNS = Number(values.runs);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const OWNERS = 20;
const REPOS = 200;
// Sources as they might mix in production: mostly pushes, a few of everything else.
const SOURCES = [
  ...Array(70).fill('push'),
  ...Array(10).fill('public-events'),
  ...Array(8).fill('comment'),
  ...Array(5).fill('issue'),
  ...Array(4).fill('partner'),
  'wiki',
  'discussion',
  'install-scan',
];

/**
 * One build's alert and key stores (from its dist/ folder) on a prefix of their own, with a connection of their
 * own: the stores define their scripts on the connection, by name, so two builds must not share one.
 */
async function loadBuild(distDir, prefix) {
  const dist = pathToFileURL(resolve(distDir)).href;
  const { AlertStore } = await import(`${dist}/stores/alert-store.js`);
  const { RedisKeyStore } = await import(`${dist}/stores/redis-key-store.js`);
  const { exportAlerts } = await import(`${dist}/server/alert-export.js`);
  const redis = new Redis(REDIS_URL);
  return { alerts: new AlertStore(redis, prefix), keys: new RedisKeyStore(redis, prefix), exportAlerts, prefix, redis };
}

async function alertMemory({ redis, prefix }) {
  let total = 0;
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}{al:*`, 'COUNT', 5000);
    cursor = next;
    const pipeline = redis.pipeline();
    for (const key of found) pipeline.memory('USAGE', key, 'SAMPLES', 0);
    for (const [, bytes] of await pipeline.exec()) total += Number(bytes);
  } while (cursor !== '0');
  return total;
}

const hex = (s) => createHash('sha256').update(s).digest('hex');
const pad = (n) =>
  String(n)
    .padStart(16, '0')
    .replace(/[^0-9A-Za-z]/g, '0');

/**
 * Records ALERTS exposures (64 in flight) spread over `ownerIds` and REPOS repositories, about three in ten then
 * resolved; `file(i)` gives alert i's path in its repository and the file its link names. Returns the time it took, in ms.
 */
async function seed({ alerts }, ownerIds, file) {
  const started = Date.now();
  const base = Date.parse('2026-01-01T00:00:00Z');
  let next = 0;
  async function one(i) {
    const source = SOURCES[i % SOURCES.length];
    const repo = source === 'partner' ? null : `org${(i % REPOS) % 10}/repo${i % REPOS}`;
    const seenAt = new Date(base + i * 60_000).toISOString();
    const { alert } = await alerts.recordExposure(
      {
        secretSha256: hex(`key ${i}`),
        redacted: 'neev_…abcd',
        ruleId: 'neevcloud-api-key',
        location: {
          source,
          repo,
          path: repo ? file(i).path : null,
          line: 3,
          commit: null,
          url: repo ? `https://github.com/${repo}/blob/main/${file(i).linked}#L3` : null,
          seenAt,
        },
        public: true,
        pushedAt: seenAt,
        receivedAt: seenAt,
      },
      {
        id: `key_${pad(i)}`,
        ownerId: ownerIds[i % OWNERS],
        hint: 'neev_…abcd',
        name: `key ${i}`,
        status: 'revoked',
        revokedAt: seenAt,
        revokeLatencyMs: 900,
      },
    );
    // About three in ten are resolved, spread over owners and repositories alike.
    if (parseInt(hex(`resolved ${i}`).slice(0, 2), 16) < 77)
      await alerts.resolve(alert.id, { resolution: 'revoked' }, { id: 'tok_bench', name: 'bench' });
  }
  async function lane() {
    while (next < ALERTS) await one(next++);
  }
  await Promise.all(Array.from({ length: 64 }, lane));
  return Date.now() - started;
}

async function time(label, run) {
  for (let i = 0; i < 10; i++) await run();
  const times = [];
  let size = 0;
  for (let i = 0; i < RUNS; i++) {
    const started = process.hrtime.bigint();
    const result = await run();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    size = result?.alerts?.length ?? result?.open ?? size;
  }
  console.log(
    `${label.padEnd(58)} p50 ${percentile(times, 50).toFixed(2).padStart(7)} ms   p95 ${percentile(times, 95).toFixed(2).padStart(7)} ms   (${size})`,
  );
}

/** The bench: one build (this checkout's dist/), each read timed RUNS times after 10 untimed. */
async function review() {
  const build = await loadBuild(fileURLToPath(new URL('../dist', import.meta.url)), `nsbench:alerts:${process.pid}:`);
  const { alerts, keys, exportAlerts } = build;
  try {
    console.log(machineLine());
    await deletePrefix(build.redis, build.prefix);
    const ownerIds = [];
    for (let i = 0; i < OWNERS; i++) ownerIds.push((await keys.createOwner({ name: `Owner ${i}` })).id);
    console.log(`seeding ${ALERTS} alerts (${OWNERS} owners, ${REPOS} repositories, 30% resolved) …`);
    const seededMs = await seed(build, ownerIds, (i) => ({ path: `config/${i % 13}.env`, linked: 'config.env' }));
    console.log(
      `seeded in ${(seededMs / 1000).toFixed(1)} s (${Math.round(ALERTS / (seededMs / 1000))} exposures recorded/s, with 64 in flight)`,
    );
    const memory = await alertMemory(build);
    console.log(
      `Redis memory for the alert store: ${(memory / 1024 / 1024).toFixed(1)} MiB, ${Math.round(memory / ALERTS)} bytes per alert (one place each, indexes included)`,
    );

    const page = (filter) => () => alerts.list({ ...filter, limit: 50 });
    await time('list, first page of 50, no filter', page({}));
    await time('list, state=open', page({ state: 'open' }));
    await time(`list, repo (1 of ${REPOS})`, page({ repo: 'org5/repo5' }));
    await time('list, repo + state=open', page({ repo: 'org5/repo5', state: 'open' }));
    await time('list, ownerId + state=resolved', page({ ownerId: ownerIds[3], state: 'resolved' }));
    await time('list, source=wiki (1%) + state=open', page({ source: 'wiki', state: 'open' }));
    await time(
      'list, time range (one day) + state=open',
      page({ state: 'open', since: new Date('2026-01-05T00:00:00Z'), until: new Date('2026-01-06T00:00:00Z') }),
    );
    let cursor = null;
    for (let i = 0; i < 20; i++) cursor = (await alerts.list({ state: 'open', limit: 50, cursor })).nextCursor;
    await time('list, state=open, page 21 (by cursor)', () => alerts.list({ state: 'open', limit: 50, cursor }));
    await time('counts per state, no filter', () => alerts.count({}));
    await time(`counts per state, ownerId (${ALERTS / OWNERS} alerts)`, () => alerts.count({ ownerId: ownerIds[3] }));
    await time('counts per state, source=push (70%)', () => alerts.count({ source: 'push' }));

    for (const filter of [{ ownerId: ownerIds[7] }, {}]) {
      const started = process.hrtime.bigint();
      let bytes = 0;
      for await (const chunk of exportAlerts(alerts, keys, filter, 'csv')) bytes += Buffer.byteLength(chunk);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const n = filter.ownerId ? ALERTS / OWNERS : ALERTS;
      console.log(
        `export CSV, ${filter.ownerId ? 'one owner' : 'everything'} (${n} alerts): ${ms.toFixed(0)} ms, ${(bytes / 1024 / 1024).toFixed(1)} MiB, ${Math.round(n / (ms / 1000))} alerts/s`,
      );
    }
  } finally {
    await deletePrefix(build.redis, build.prefix);
    build.redis.disconnect();
  }
}

// The middle of the sorted times (the upper one of an even count), as the A/B has always reported its p50.
const middle = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const loadLine = () => `load ${readFileSync('/proc/loadavg', 'utf8').trim()}`;

/** --ab: two builds on the same alerts, each read timed in alternating rounds. */
async function ab([distA, distB]) {
  const ROUNDS = 8;
  const PER = 25;
  const A = await loadBuild(distA, `nsab:${process.pid}:a:`);
  const B = await loadBuild(distB, `nsab:${process.pid}:b:`);
  // Owners by id alone (none is created): the A/B times the alert store, not owner look-ups.
  const ownerIds = Array.from({ length: OWNERS }, (_, i) => `own_${pad(i)}`);
  const shortPath = () => ({ path: 'c.env', linked: 'c.env' });
  try {
    console.log(loadLine());
    console.log(`seed A ${await seed(A, ownerIds, shortPath)} ms, B ${await seed(B, ownerIds, shortPath)} ms`);
    const owner = ownerIds[3];
    const cursorAt = async (s) => {
      let c = null;
      for (let i = 0; i < 20; i++) c = (await s.alerts.list({ state: 'open', limit: 50, cursor: c })).nextCursor;
      return c;
    };
    const cA = await cursorAt(A),
      cB = await cursorAt(B);
    const queries = [
      ['list, page of 50, no filter', (s) => s.alerts.list({ limit: 50 })],
      ['list, state=open', (s) => s.alerts.list({ state: 'open', limit: 50 })],
      ['list, repo (1 of 200)', (s) => s.alerts.list({ repo: 'org5/repo5', limit: 50 })],
      ['list, repo + state=open', (s) => s.alerts.list({ repo: 'org5/repo5', state: 'open', limit: 50 })],
      ['list, ownerId + state=resolved', (s) => s.alerts.list({ ownerId: owner, state: 'resolved', limit: 50 })],
      ['list, source=wiki + state=open', (s) => s.alerts.list({ source: 'wiki', state: 'open', limit: 50 })],
      ['list, state=open, page 21', (s) => s.alerts.list({ state: 'open', limit: 50, cursor: s === A ? cA : cB })],
      ['list, page of 200, no filter', (s) => s.alerts.list({ limit: 200 })],
      ['count, no filter', (s) => s.alerts.count({})],
      ['count, ownerId', (s) => s.alerts.count({ ownerId: owner })],
      ['count, source=push (70%)', (s) => s.alerts.count({ source: 'push' })],
    ];
    const builds = [
      ['A', A],
      ['B', B],
    ];
    for (const [label, run] of queries) {
      const times = { A: [], B: [] };
      for (let r = 0; r < ROUNDS; r++)
        for (const [name, s] of builds) {
          for (let i = 0; i < PER; i++) {
            const t = process.hrtime.bigint();
            await run(s);
            times[name].push(Number(process.hrtime.bigint() - t) / 1e6);
          }
        }
      const a = middle(times.A),
        b = middle(times.B);
      console.log(
        `${label.padEnd(34)} A p50 ${a.toFixed(2).padStart(7)} ms   B p50 ${b.toFixed(2).padStart(7)} ms   B/A ${(b / a).toFixed(2)}`,
      );
    }
    for (const [label, filter] of [
      ['export CSV, one owner', { ownerId: owner }],
      ['export CSV, everything', {}],
    ]) {
      const ms = { A: [], B: [] };
      for (let r = 0; r < 2; r++)
        for (const [name, s] of builds) {
          const t = process.hrtime.bigint();
          for await (const _ of s.exportAlerts(s.alerts, s.keys, filter, 'csv'));
          ms[name].push(Number(process.hrtime.bigint() - t) / 1e6);
        }
      console.log(
        `${label.padEnd(34)} A ${ms.A.map((x) => x.toFixed(0)).join(', ')} ms   B ${ms.B.map((x) => x.toFixed(0)).join(', ')} ms`,
      );
    }
    console.log(loadLine());
  } finally {
    for (const build of [A, B]) {
      await deletePrefix(build.redis, build.prefix);
      build.redis.disconnect();
    }
  }
}

await (values.ab ? ab(positionals) : review());
