// Alert store A/B (node bench/alerts-ab.mjs <before>/dist <after>/dist): two builds, each seeded with the same
// 20,000 alerts under its own prefix, then each read timed in alternating rounds (A, B, A, B …), so machine load
// drifts hit both alike. Reports p50 per build and the ratio, then two CSV exports each.
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
const [distA, distB] = process.argv.slice(2);
const N = 20000,
  ROUNDS = 8,
  PER = 25;
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const hex = (s) => createHash('sha256').update(s).digest('hex');
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
async function load(dist, tag) {
  const { AlertStore } = await import(`${dist}/stores/alert-store.js`);
  const { exportAlerts } = await import(`${dist}/server/alert-export.js`);
  const { RedisKeyStore } = await import(`${dist}/stores/redis-key-store.js`);
  const prefix = `nsab:${process.pid}:${tag}:`;
  // A connection each: the stores define their scripts on the connection, by name.
  const own = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  return { alerts: new AlertStore(own, prefix), keys: new RedisKeyStore(own, prefix), exportAlerts, prefix, own };
}
async function seed({ alerts }) {
  const base = Date.parse('2026-01-01T00:00:00Z');
  let next = 0;
  async function one(i) {
    const source = SOURCES[i % SOURCES.length];
    const repo = source === 'partner' ? null : `org${(i % 200) % 10}/repo${i % 200}`;
    const seenAt = new Date(base + i * 60_000).toISOString();
    const { alert } = await alerts.recordExposure(
      {
        secretSha256: hex(`key ${i}`),
        redacted: 'neev_…abcd',
        ruleId: 'neevcloud-api-key',
        location: {
          source,
          repo,
          path: repo ? 'c.env' : null,
          line: 3,
          commit: null,
          url: repo ? `https://github.com/${repo}/blob/main/c.env#L3` : null,
          seenAt,
        },
        public: true,
        pushedAt: seenAt,
        receivedAt: seenAt,
      },
      {
        id: `key_${String(i).padStart(16, '0')}`,
        ownerId: `own_${String(i % 20).padStart(16, '0')}`,
        hint: 'neev_…abcd',
        name: `key ${i}`,
        status: 'revoked',
        revokedAt: seenAt,
        revokeLatencyMs: 900,
      },
    );
    if (parseInt(hex(`resolved ${i}`).slice(0, 2), 16) < 77)
      await alerts.resolve(alert.id, { resolution: 'revoked' }, { id: 'tok_bench', name: 'bench' });
  }
  const t = Date.now();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < N) await one(next++);
    }),
  );
  return Date.now() - t;
}
async function cleanup(prefix) {
  let cursor = '0';
  do {
    const [n, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000);
    cursor = n;
    if (found.length) await redis.unlink(...found);
  } while (cursor !== '0');
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const A = await load(distA, 'a'),
  B = await load(distB, 'b');
try {
  console.log('load', (await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').trim());
  console.log(`seed A ${await seed(A)} ms, B ${await seed(B)} ms`);
  const owner = 'own_0000000000000003';
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
  for (const [label, run] of queries) {
    const times = { A: [], B: [] };
    for (let r = 0; r < ROUNDS; r++)
      for (const [name, s] of [
        ['A', A],
        ['B', B],
      ]) {
        for (let i = 0; i < PER; i++) {
          const t = process.hrtime.bigint();
          await run(s);
          times[name].push(Number(process.hrtime.bigint() - t) / 1e6);
        }
      }
    const a = median(times.A),
      b = median(times.B);
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
      for (const [name, s] of [
        ['A', A],
        ['B', B],
      ]) {
        const t = process.hrtime.bigint();
        for await (const _ of s.exportAlerts(s.alerts, s.keys, filter, 'csv'));
        ms[name].push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    console.log(`${label.padEnd(34)} A ${ms.A.map((x) => x.toFixed(0)).join(', ')} ms   B ${ms.B.map((x) => x.toFixed(0)).join(', ')} ms`);
  }
  console.log('load', (await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').trim());
} finally {
  await cleanup(A.prefix);
  await cleanup(B.prefix);
  redis.disconnect();
  A.own.disconnect();
  B.own.disconnect();
}
