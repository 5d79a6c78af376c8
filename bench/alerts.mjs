// Alert review benchmark (npm run bench:alerts): with N alerts in a real Redis,
// how long the review's reads take — a page of the list unfiltered and under
// each filter, a deep page, the counts per state, a filtered export — and the
// Redis memory per alert. Expects dist/ built.
//
//   node bench/alerts.mjs [--alerts 20000] [--runs 200]
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { AlertStore } from '../dist/stores/alert-store.js';
import { RedisKeyStore } from '../dist/stores/redis-key-store.js';
import { exportAlerts } from '../dist/server/alert-export.js';
import { machineLine, percentile } from './lib/stats.mjs';

const { values } = parseArgs({ options: { alerts: { type: 'string', default: '20000' }, runs: { type: 'string', default: '200' } } });
const ALERTS = Number(values.alerts);
const RUNS = Number(values.runs);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `nsbench:alerts:${process.pid}:`;
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

const redis = new Redis(REDIS_URL);
const alerts = new AlertStore(redis, PREFIX);
const keys = new RedisKeyStore(redis, PREFIX);

async function cleanup() {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 5000);
    cursor = next;
    if (found.length) await redis.unlink(...found);
  } while (cursor !== '0');
}

async function alertMemory() {
  let total = 0;
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${PREFIX}{al:*`, 'COUNT', 5000);
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

async function seed(ownerIds) {
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
          path: repo ? `config/${i % 13}.env` : null,
          line: 3,
          commit: null,
          url: repo ? `https://github.com/${repo}/blob/main/config.env#L3` : null,
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

async function main() {
  console.log(machineLine());
  await cleanup();
  const ownerIds = [];
  for (let i = 0; i < OWNERS; i++) ownerIds.push((await keys.createOwner({ name: `Owner ${i}` })).id);
  console.log(`seeding ${ALERTS} alerts (${OWNERS} owners, ${REPOS} repositories, 30% resolved) …`);
  const seededMs = await seed(ownerIds);
  console.log(
    `seeded in ${(seededMs / 1000).toFixed(1)} s (${Math.round(ALERTS / (seededMs / 1000))} exposures recorded/s, with 64 in flight)`,
  );
  const memory = await alertMemory();
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
}

try {
  await main();
} finally {
  await cleanup();
  redis.disconnect();
}
