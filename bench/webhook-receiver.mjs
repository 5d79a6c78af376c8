// The webhook receiver alone (npm run bench:receiver): POST /webhooks/github through fastify's
// inject (no sockets), real Redis for the delivery dedupe, an enqueue that queues nothing. What
// it measures is the receiver's own cost per delivery (verify, parse, plan, dedupe, answer), the
// part of the 202's latency that this code decides; bench/pipeline.mjs measures the 202 end to end.
//
//   node bench/webhook-receiver.mjs [--roots dir1,dir2] [--rounds 6] [--count 2000] [--concurrency 8]
//
//   --roots: built checkouts (each with dist/) to compare in one run, rounds interleaved
//     (A, B, A, B …) so that the machine's load weighs on each alike; default: this one.
// Deliveries: GitHub's push example (@octokit/webhooks-examples, one branch push) and an
// `issue_comment` `created` whose body is scanned, alternately, each signed, each a new id.
import { createHmac, randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import examples from '@octokit/webhooks-examples' with { type: 'json' };
import { Redis } from 'ioredis';
import { machineLine, median, percentile } from './lib/stats.mjs';
import { deletePrefix } from './lib/proc.mjs';

const { values: opt } = parseArgs({
  options: {
    roots: { type: 'string', default: resolve(import.meta.dirname, '..') },
    rounds: { type: 'string', default: '6' },
    count: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '8' },
  },
});
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = `bench-receiver-${randomBytes(6).toString('hex')}`;
const byName = new Map(examples.map((e) => [e.name, e.examples]));
const push = byName.get('push').find((p) => p.ref?.startsWith('refs/heads/') && !p.deleted);
const comment = structuredClone(byName.get('issue_comment').find((p) => p.action === 'created'));
comment.comment.body = 'A comment of ordinary length, with no key in it, scanned as it arrives.\n'.repeat(8);
const bodies = [
  { event: 'push', body: Buffer.from(JSON.stringify(push)) },
  { event: 'issue_comment', body: Buffer.from(JSON.stringify(comment)) },
].map((d) => ({ ...d, signature: `sha256=${createHmac('sha256', SECRET).update(d.body).digest('hex')}` }));

async function receiver(root, index) {
  const dist = (path) => pathToFileURL(join(root, 'dist', path)).href;
  const { readConfig } = await import(dist('config.js'));
  const { buildServer } = await import(dist('server/app.js'));
  const { loadRules } = await import(dist('rules/load.js'));
  const prefix = `bench-receiver-${index}-${randomBytes(4).toString('hex')}:`;
  const config = readConfig({
    REDIS_URL,
    NEEVSCAN_REDIS_PREFIX: prefix,
    GITHUB_WEBHOOK_SECRET: SECRET,
    PORT: '1',
    NEEVSCAN_ADMIN_TOKEN: 'bench-admin-token-0123456789',
  });
  const redis = new Redis(REDIS_URL);
  const none = async () => {};
  // Both shapes of the options: one enqueue (after the dispatch table) and the four of before it.
  const options = {
    logLevel: 'silent',
    rules: loadRules(),
    enqueue: none,
    enqueuePush: none,
    enqueueExposures: none,
    enqueueRepoScans: none,
    enqueueWiki: none,
  };
  const { app } = buildServer(config, redis, options);
  await app.ready();
  return { root, app, redis, prefix, times: [], rates: [] };
}

let sequence = 0;
async function round(r, count, width) {
  const started = process.hrtime.bigint();
  let next = 0;
  const times = [];
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) {
        const d = bodies[next++ % bodies.length];
        const t0 = process.hrtime.bigint();
        const res = await r.app.inject({
          method: 'POST',
          url: '/webhooks/github',
          headers: {
            'content-type': 'application/json',
            'x-github-event': d.event,
            'x-github-delivery': `bench-${sequence++}`,
            'x-hub-signature-256': d.signature,
          },
          payload: d.body,
        });
        if (res.statusCode !== 202) throw new Error(`${r.root}: ${res.statusCode} ${res.body}`);
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  r.times.push(...times);
  r.rates.push(count / seconds);
}

const roots = opt.roots.split(',').map((p) => resolve(p));
const receivers = [];
for (const [i, root] of roots.entries()) receivers.push(await receiver(root, i));
console.log(machineLine());
try {
  for (const r of receivers) await round(r, 500, Number(opt.concurrency)); // warm-up (JIT, connections)
  for (const r of receivers) {
    r.times = [];
    r.rates = [];
  }
  for (let k = 0; k < Number(opt.rounds); k++) for (const r of receivers) await round(r, Number(opt.count), Number(opt.concurrency));
  console.log(`| receiver | deliveries/s (median of ${opt.rounds} rounds) | p50 | p99 | max |`);
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of receivers) {
    const f = (ms) => `${ms.toFixed(2)} ms`;
    console.log(
      `| ${r.root} | ${median(r.rates).toFixed(0)} (${r.rates.map((x) => x.toFixed(0)).join(', ')}) | ${f(percentile(r.times, 50))} | ${f(percentile(r.times, 99))} | ${f(Math.max(...r.times))} |`,
    );
  }
  console.log(machineLine());
} finally {
  for (const r of receivers) {
    await r.app.close();
    await deletePrefix(r.redis, r.prefix);
    r.redis.disconnect();
  }
}
