// CPU of one GitHub request as the service makes it (npm run bench:github-request): Octokit with plugin-throttling and
// plugin-retry, over Node's global fetch and over src/github/http-fetch.ts (node:http keep-alive), and the client as
// src/github/client.ts builds it now (plugin-throttling, retries as a loop), against a local
// server answering a compare like the pipeline bench's (one commit, one added file with its patch).
//
//   node bench/github-request.mjs [--requests 3000] [--rounds 3] [--concurrency 8]
//
// CPU is process.cpuUsage() of this one process (client and the little server together: the server's share is the
// same for every variant, shown by the "node:http alone" row), divided by requests: robust to machine load.
// Expects dist/ built.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { httpFetch } from '../dist/github/http-fetch.js';
import { createTokenClient } from '../dist/github/client.js';

const { values: opt } = parseArgs({
  options: {
    requests: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '8' },
  },
});
const N = Number(opt.requests);

const sha = (c) => c.repeat(40);
const url80 = 'https://api.github.com/repos/bench-org/svc/' + 'x'.repeat(40);
const body = JSON.stringify({
  url: url80,
  html_url: url80,
  status: 'ahead',
  ahead_by: 1,
  behind_by: 0,
  total_commits: 1,
  base_commit: {
    sha: sha('a'),
    commit: { message: 'docs', author: { name: 'A', email: 'a@example.com', date: '2023-11-14T22:13:21Z' } },
    parents: [],
  },
  merge_base_commit: { sha: sha('a'), commit: { message: 'docs' }, parents: [] },
  commits: [
    {
      sha: sha('b'),
      node_id: 'C_' + 'x'.repeat(30),
      commit: {
        message: 'config 1',
        author: { name: 'A', email: 'a@example.com', date: '2023-11-14T22:13:21Z' },
        committer: { name: 'A', email: 'a@example.com', date: '2023-11-14T22:13:21Z' },
        tree: { sha: sha('c'), url: url80 },
        url: url80,
      },
      url: url80,
      html_url: url80,
      parents: [{ sha: sha('a'), url: url80 }],
    },
  ],
  files: [
    {
      sha: sha('d'),
      filename: 'config/k1.env',
      status: 'added',
      additions: 5,
      deletions: 0,
      changes: 5,
      blob_url: url80,
      raw_url: url80,
      contents_url: url80,
      patch:
        '@@ -0,0 +1,5 @@\n+# settings for worker 1\n+REGION=in-west-1\n+TIMEOUT_MS=3000\n+NEEV_API_KEY=neev_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n+LOG_LEVEL=info',
    },
  ],
});
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
    });
    res.end(body);
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;

const ServiceOctokit = Octokit.plugin(throttling, retry);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const service = (fetch) =>
  new ServiceOctokit({
    baseUrl: base,
    auth: 'token',
    log: quiet,
    throttle: { id: `bench-${Math.random()}`, onRateLimit: () => false, onSecondaryRateLimit: () => false },
    request: { fetch },
  });
const where = { owner: 'bench-org', repo: 'svc', basehead: `${sha('a')}...${sha('b')}` };
const path = `${base}/repos/bench-org/svc/compare/${where.basehead}`;

const variants = {
  'node:http alone (floor)': () => httpFetch(path).then((r) => r.text()),
  'global fetch alone': () => fetch(path).then((r) => r.text()),
  'Octokit service client, global fetch': (
    (o) => () =>
      o.repos.compareCommitsWithBasehead(where)
  )(service(globalThis.fetch)),
  'Octokit service client, http-fetch': (
    (o) => () =>
      o.repos.compareCommitsWithBasehead(where)
  )(service(httpFetch)),
  // The client as src/github/client.ts builds it now: throttling, and 5xx retries as a loop (no Bottleneck per request).
  'service client as built (createTokenClient)': (
    (o) => () =>
      o.repos.compareCommitsWithBasehead(where)
  )(createTokenClient({ apiUrl: base, token: 'token', log: () => {} })),
};

async function run(fn, count) {
  let next = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Number(opt.concurrency) }, async () => {
      while (next++ < count) await fn();
    }),
  );
  const c = process.cpuUsage(c0);
  return { cpuUs: (c.user + c.system) / count, wallMs: (performance.now() - t0) / count };
}

const results = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (const fn of Object.values(variants)) await run(fn, 300); // JIT and connections
for (let round = 0; round < Number(opt.rounds); round++) {
  for (const [name, fn] of Object.entries(variants)) results[name].push(await run(fn, N));
}
console.log(`${N} requests a round, ${opt.rounds} rounds interleaved, ${opt.concurrency} at once; compare answer ${body.length} bytes\n`);
console.log('| variant | CPU per request (µs), each round | wall per request (ms) |\n| --- | --- | --- |');
for (const [name, rs] of Object.entries(results))
  console.log(`| ${name} | ${rs.map((r) => r.cpuUs.toFixed(0)).join(' / ')} | ${rs.map((r) => r.wallMs.toFixed(2)).join(' / ')} |`);
server.close();
process.exit(0);
