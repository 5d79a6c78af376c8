// GitHub Secret Scanning partner endpoint benchmark (npm run bench:partner): a spawned
// `neevscan serve` (real Redis, fresh prefix, deleted afterwards) answering signed partner alerts.
// GITHUB_API_URL is a tiny local server that publishes one ECDSA P-256 key at
// /meta/public_keys/secret_scanning, as GitHub does; the bench signs every body with its private key.
//
//   node bench/partner.mjs [--runs 3] [--batch 1000] [--rate 100] [--seconds 10]
//
//   1. batches: a signed batch of --batch tokens (half active keys created through the key store
//      for that run, a quarter unknown keys with a valid checksum, a quarter malformed), --runs
//      times, each with fresh keys; then one batch of --batch active keys (the worst case: every
//      token revoked, alerted and notified). Time from sending to the whole 200 answer.
//   2. single-token requests at --rate per second for --seconds, open loop over keep-alive
//      connections, each a distinct token (half active, a quarter unknown, a quarter malformed);
//      p50/p99/max of the 200 answers.
// Expects dist/ built (npx tsc -p tsconfig.json).
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { Agent, createServer as createHttpServer, request } from 'node:http';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { generateKey } from '../dist/key-format/key.js';
import { RedisKeyStore } from '../dist/stores/redis-key-store.js';
import { machineLine, median, percentile } from './lib/stats.mjs';
import { ADMIN_TOKEN, spawnNeevscan, waitReady } from './lib/neevscan-process.mjs';
import { freePort, deletePrefix, serviceNodeFlags } from './lib/proc.mjs';

const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    batch: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '10' },
  },
});
const RUNS = Number(opt.runs);
const BATCH = Number(opt.batch);
const RATE = Number(opt.rate);
const SECONDS = Number(opt.seconds);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TYPE = 'neevcloud_api_key';
const log = (...a) => console.log(...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- GitHub's key endpoint
function signingKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return {
    privateKey,
    identifier: createHash('sha256').update(der).digest('hex'),
    pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function startKeyServer(key) {
  const body = JSON.stringify({ public_keys: [{ key_identifier: key.identifier, key: key.pem, is_current: true }] });
  let fetches = 0;
  return new Promise((resolve) => {
    const server = createHttpServer((req, res) => {
      if (req.url === '/meta/public_keys/secret_scanning') {
        fetches++;
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      } else res.writeHead(404).end('{"message":"Not Found"}');
    });
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${server.address().port}`, fetches: () => fetches, close: () => server.close() }),
    );
  });
}

// ---------------------------------------------------------------- serve

async function startServe(prefix, githubUrl) {
  const port = await freePort();
  const env = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    REDIS_URL,
    NEEVSCAN_REDIS_PREFIX: prefix,
    NEEVSCAN_ADMIN_TOKEN: ADMIN_TOKEN,
    GITHUB_API_URL: githubUrl,
    REVOKE_POLICY: 'public',
    LOG_LEVEL: 'warn',
  };
  const serve = spawnNeevscan(['serve'], env, serviceNodeFlags());
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, 'serve', { output: serve.output });
  return { url, output: serve.output, stop: serve.stop };
}

// ---------------------------------------------------------------- tokens and requests
/** `n` real keys, created through the key store (16 at a time), for one owner. */
async function createKeys(store, ownerId, n, label) {
  const keys = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < n) {
        const i = next++;
        keys.push((await store.createKey({ ownerId, name: `${label}-${i}` })).key);
      }
    }),
  );
  return keys;
}

const malformed = () => {
  const key = generateKey();
  return `${key.slice(0, -1)}${key.endsWith('0') ? '1' : '0'}`;
};

/** Half active keys, a quarter unknown (valid checksum), a quarter malformed, shuffled. */
function mix(active) {
  const tokens = [
    ...active,
    ...Array.from({ length: active.length / 2 }, generateKey),
    ...Array.from({ length: active.length / 2 }, malformed),
  ];
  for (let i = tokens.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [tokens[i], tokens[j]] = [tokens[j], tokens[i]];
  }
  return tokens;
}

function signedRequest(key, tokens) {
  const body = Buffer.from(
    JSON.stringify(
      tokens.map((token, i) => ({
        token,
        type: TYPE,
        url: `https://github.com/bench-org/repo-${i % 50}/blob/${randomBytes(20).toString('hex')}/config/app.env`,
        source: 'content',
      })),
    ),
  );
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'content-length': String(body.length),
      'github-public-key-identifier': key.identifier,
      'github-public-key-signature': sign('sha256', body, key.privateKey).toString('base64'),
    },
  };
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function post(base, { body, headers }) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request(
      { host: base.hostname, port: base.port, method: 'POST', path: '/github/secret-scanning', headers, agent },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function check(answer, tokens, what) {
  if (answer.status !== 200) throw new Error(`${what}: HTTP ${answer.status} ${answer.body.slice(0, 300)}`);
  const feedback = JSON.parse(answer.body);
  if (feedback.length !== new Set(tokens).size) throw new Error(`${what}: ${feedback.length} feedback entries for ${tokens.length} tokens`);
  for (const token of tokens) if (answer.body.includes(token)) throw new Error(`${what}: the answer holds a raw token`);
  return feedback.filter((f) => f.label === 'true_positive').length;
}

// ---------------------------------------------------------------- main
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
const prefix = `nsbench:partner:${process.pid}:${randomBytes(3).toString('hex')}:`;
const key = signingKey();
const keyServer = await startKeyServer(key);
let serve;
try {
  log(`machine: ${machineLine()}`);
  serve = await startServe(prefix, keyServer.url);
  const base = new URL(serve.url);
  const store = new RedisKeyStore(redis, prefix);
  const owner = await store.createOwner({ name: 'Bench Inc' });
  log(`serve on ${serve.url}, Redis prefix ${prefix}`);

  // Warm up: the key fetch, JIT, connections.
  const warmTokens = mix(await createKeys(store, owner.id, 100, 'warm'));
  check(await post(base, signedRequest(key, warmTokens)), warmTokens, 'warm-up');

  log(`\n1. signed batches of ${BATCH} tokens (½ active, ¼ unknown, ¼ malformed), fresh keys each run`);
  const batchTimes = [];
  for (let run = 1; run <= RUNS; run++) {
    const active = await createKeys(store, owner.id, BATCH / 2, `batch${run}`);
    const tokens = mix(active);
    const req = signedRequest(key, tokens);
    const answer = await post(base, req);
    const truePositives = check(answer, tokens, `batch ${run}`);
    batchTimes.push(answer.ms);
    log(
      `   run ${run}: ${answer.ms.toFixed(0)} ms, ${(req.body.length / 1024).toFixed(0)} KiB, ${truePositives} true_positive / ${tokens.length}`,
    );
  }
  const allActive = await createKeys(store, owner.id, BATCH, 'worst');
  const worst = await post(base, signedRequest(key, allActive));
  const worstTrue = check(worst, allActive, 'all-active batch');
  const statuses = await Promise.all(
    allActive.map(async (token) => (await store.findByHash(createHash('sha256').update(token).digest('hex')))?.status),
  );
  if (statuses.some((s) => s !== 'revoked'))
    throw new Error(`all-active batch: ${statuses.filter((s) => s !== 'revoked').length} keys not revoked`);
  log(
    `   ${BATCH} active keys (all revoked, alerted, notified): ${worst.ms.toFixed(0)} ms, ${worstTrue} true_positive, ${statuses.length} revoked in the store`,
  );
  log(
    `   median of the mixed runs: ${median(batchTimes).toFixed(0)} ms (min ${Math.min(...batchTimes).toFixed(0)}, max ${Math.max(...batchTimes).toFixed(0)})`,
  );

  const total = RATE * SECONDS;
  log(`\n2. single-token signed requests at ${RATE}/s for ${SECONDS} s (${total} requests; ½ active, ¼ unknown, ¼ malformed)`);
  const singles = mix(await createKeys(store, owner.id, Math.ceil(total / 2), 'single')).slice(0, total);
  const prepared = singles.map((token) => ({ token, req: signedRequest(key, [token]) }));
  const results = [];
  const inflight = [];
  const started = performance.now();
  for (let i = 0; i < prepared.length; i++) {
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const { token, req } = prepared[i];
    inflight.push(
      post(base, req).then((answer) => {
        check(answer, [token], `single ${i}`);
        results.push(answer.ms);
      }),
    );
  }
  await Promise.all(inflight);
  const wall = (performance.now() - started) / 1000;
  log(`   ${results.length} answered 200 in ${wall.toFixed(1)} s (${(results.length / wall).toFixed(0)}/s)`);
  log(
    `   p50 ${percentile(results, 50).toFixed(1)} ms, p90 ${percentile(results, 90).toFixed(1)} ms, p99 ${percentile(results, 99).toFixed(1)} ms, max ${Math.max(...results).toFixed(1)} ms`,
  );
  log(`\nkey fetches from the GitHub stand-in: ${keyServer.fetches()} (cached after the first)`);
  log(`machine after: ${machineLine()}`);
} catch (error) {
  console.error(error);
  if (serve) console.error(serve.output().slice(-3000));
  process.exitCode = 1;
} finally {
  await serve?.stop();
  await deletePrefix(redis, prefix);
  redis.disconnect();
  keyServer.close();
  agent.destroy();
}
