// Owner-notification benchmark (npm run bench:notify): a spawned `neevscan serve` (real Redis, fresh
// prefix, deleted afterwards) with SMTP_URL at an in-process SMTP server (the smtp-server package)
// and every owner's webhook at an in-process HTTP receiver, both on loopback.
//
//   node bench/notify.mjs [--keys 200] [--rate 20] [--delay-ms 2000] [--drain-seconds 60]
//
// Each key (its own owner, with an email and a webhook) is pasted into a signed issue_comment
// delivery, --rate deliveries a second, open loop. Per key it measures, from the moment the
// delivery was sent: the owner's mail accepted by the SMTP server, and the signed webhook received.
// The first notice waits NEEVSCAN_NOTIFY_DELAY_MS (--delay-ms; 2000 by default, as in production)
// so that places found in the same burst go in it; the figures are printed with and without it.
// Expects dist/ built.
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import examples from '@octokit/webhooks-examples' with { type: 'json' };
import { Redis } from 'ioredis';
import { SMTPServer } from 'smtp-server';
import { percentile } from './lib/stats.mjs';
import { ADMIN_TOKEN, adminApi, waitReady } from './lib/neevscan-process.mjs';
import { freePort } from './lib/proc.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const BIN = join(HERE, '..', 'bin', 'neevscan.js');
const { values: opt } = parseArgs({
  options: {
    keys: { type: 'string', default: '200' },
    rate: { type: 'string', default: '20' },
    'delay-ms': { type: 'string', default: '2000' },
    'drain-seconds': { type: 'string', default: '60' },
  },
});
const KEYS = Number(opt.keys);
const RATE = Number(opt.rate);
const DELAY_MS = Number(opt['delay-ms']);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = `bench-webhook-secret-${randomBytes(8).toString('hex')}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.log(...a);

const commentExample = examples.find((e) => e.name === 'issue_comment').examples.find((e) => e.action === 'created');

async function main() {
  const mailAt = new Map(); // owner address → ms
  const hookAt = new Map(); // key id → ms
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    // A mail server's reverse DNS of its client is not our latency.
    disableReverseLookup: true,
    onData(stream, session, callback) {
      stream.on('data', () => {});
      stream.on('end', () => {
        const now = Date.now();
        for (const r of session.envelope.rcptTo) if (!mailAt.has(r.address)) mailAt.set(r.address, now);
        callback();
      });
    },
  });
  await new Promise((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const receiver = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const now = Date.now();
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (!hookAt.has(body.key.id)) hookAt.set(body.key.id, now);
      res.writeHead(204).end();
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));

  const prefix = `nsbench:${process.pid}:notify:`;
  const port = await freePort();
  const serve = spawn(process.execPath, [BIN, 'serve'], {
    env: {
      ...process.env,
      REDIS_URL,
      NEEVSCAN_REDIS_PREFIX: prefix,
      NEEVSCAN_ADMIN_TOKEN: ADMIN_TOKEN,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'error',
      GITHUB_WEBHOOK_SECRET: SECRET,
      SMTP_URL: `smtp://127.0.0.1:${smtp.server.address().port}`,
      MAIL_FROM: 'neevscan <bench@neevscan.example>',
      NEEVSCAN_ALLOW_PRIVATE_WEBHOOKS: '1',
      NEEVSCAN_NOTIFY_DELAY_MS: String(DELAY_MS),
      NEEVSCAN_DEFAULT_RATE_LIMIT: '100000/60',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const redis = new Redis(REDIS_URL);
  try {
    await waitReady(base, 'serve');
    const hookUrl = `http://127.0.0.1:${receiver.address().port}/hook`;
    const keys = [];
    for (let i = 0; i < KEYS; i++) {
      const owner = await adminApi(base, 'POST', '/api/v1/owners', {
        name: `Owner ${i}`,
        email: `owner-${i}@bench.example`,
        webhookUrl: hookUrl,
      });
      const key = await adminApi(base, 'POST', '/api/v1/keys', { ownerId: owner.id, name: `bench key ${i}` });
      keys.push({ id: key.id, key: key.key, email: `owner-${i}@bench.example` });
    }
    log(`neevscan notify bench: ${KEYS} keys (one owner each), ${RATE} deliveries/s, NEEVSCAN_NOTIFY_DELAY_MS=${DELAY_MS}`);
    log(`machine: ${cpus().length} × ${cpus()[0]?.model}, Node ${process.version}`);

    const sentAt = new Array(KEYS);
    const started = Date.now();
    await Promise.all(
      keys.map(async (k, i) => {
        const due = started + (i * 1000) / RATE;
        if (due > Date.now()) await sleep(due - Date.now());
        const example = structuredClone(commentExample);
        const payload = {
          ...example,
          comment: {
            ...example.comment,
            id: 50_000 + i,
            html_url: `${example.issue.html_url}#issuecomment-${50_000 + i}`,
            body: `key: ${k.key}`,
          },
          repository: { ...example.repository, private: false },
        };
        const body = JSON.stringify(payload);
        sentAt[i] = Date.now();
        const res = await fetch(`${base}/webhooks/github`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-github-event': 'issue_comment',
            'x-github-delivery': `bench-notify-${process.pid}-${i}`,
            'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
          },
          body,
        });
        if (res.status !== 202) throw new Error(`delivery ${i}: ${res.status}`);
      }),
    );
    const deadline = Date.now() + Number(opt['drain-seconds']) * 1000;
    while ((mailAt.size < KEYS || hookAt.size < KEYS) && Date.now() < deadline) await sleep(100);

    const mail = keys.map((k, i) => (mailAt.has(k.email) ? mailAt.get(k.email) - sentAt[i] : NaN)).filter(Number.isFinite);
    const hook = keys.map((k, i) => (hookAt.has(k.id) ? hookAt.get(k.id) - sentAt[i] : NaN)).filter(Number.isFinite);
    const row = (name, xs) =>
      `${name}: ${xs.length}/${KEYS} arrived; p50 ${percentile(xs, 50)} ms, p99 ${percentile(xs, 99)} ms, max ${Math.max(...xs)} ms ` +
      `(beyond the ${DELAY_MS} ms burst window: p50 ${percentile(xs, 50) - DELAY_MS} ms, p99 ${percentile(xs, 99) - DELAY_MS} ms)`;
    log(row('comment delivered → owner mail accepted by SMTP', mail));
    log(row('comment delivered → owner webhook received    ', hook));
    log(
      `load average during the run: ${loadavg()
        .map((n) => n.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    serve.kill('SIGTERM');
    await new Promise((resolve) => serve.once('exit', resolve));
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000);
      cursor = next;
      if (found.length) await redis.unlink(...found);
    } while (cursor !== '0');
    redis.disconnect();
    receiver.close();
    smtp.close();
  }
}

await main();
