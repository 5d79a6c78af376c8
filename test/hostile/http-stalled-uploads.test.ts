/**
 * Stalled uploads against `neevscan serve` as a process, with its default
 * limits: many connections each send most of a large webhook body and stop.
 * The webhook endpoint must hold the whole body before it can check the
 * signature, so what bounds memory is how many bytes of such bodies it lets
 * in at once, and how long it waits for the rest.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { webhookExamples } from '../helpers/webhook-examples.js';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { REQUEST_TIMEOUT_MS } from '../../src/server/app.js';
import { BODY_BUDGET } from '../../src/server/body-budget.js';
import { WEBHOOK_BODY_LIMIT } from '../../src/server/routes/github-webhooks.js';
import { WEBHOOK_SECRET, deliver, until } from '../helpers/pipeline.js';
import { deletePrefix, freshPrefix, testRedis } from '../helpers/redis.js';
import { spawnServe } from '../helpers/server.js';

const MB = 1024 * 1024;
const redis = testRedis();
const prefix = freshPrefix();
let serve: Awaited<ReturnType<typeof spawnServe>>;

const pushExample = (webhookExamples as Array<{ name: string; examples: Array<Record<string, any>> }>).find((e) => e.name === 'push')!
  .examples[0]!;

beforeAll(async () => {
  serve = await spawnServe({ NEEVSCAN_REDIS_PREFIX: prefix, GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET });
});

afterAll(async () => {
  await serve?.stop();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

const rssKb = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${serve.child.pid}/status`, 'utf8'))![1]);

interface Stalled {
  socket: Socket;
  /** The first status line the server sent, if any. */
  status: () => number | null;
  sent: () => number;
  closed: () => boolean;
  closedAt: Promise<number>;
}

/**
 * Opens a connection from `localAddress` (any 127.x address reaches the
 * server's 127.0.0.1 on Linux: a client per address), declares a signed-looking
 * webhook of `declared` bytes, sends `send` bytes of it as fast as it is taken,
 * and then sends nothing more.
 */
function stalledUpload(localAddress: string, declared: number, send: number): Stalled {
  const url = new URL(serve.url);
  const socket = connect({ port: Number(url.port), host: url.hostname, localAddress });
  let received = '';
  let sent = 0;
  let closed = false;
  const started = performance.now();
  const closedAt = new Promise<number>((resolve) =>
    socket.once('close', () => {
      closed = true;
      resolve(performance.now() - started);
    }),
  );
  socket.on('error', () => {});
  socket.on('data', (data: Buffer) => (received += data.toString('latin1')));
  socket.write(
    `POST /webhooks/github HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\nx-github-event: push\r\n` +
      `x-github-delivery: stalled-${localAddress}-${Math.random()}\r\nx-hub-signature-256: sha256=${'0'.repeat(64)}\r\ncontent-length: ${declared}\r\n\r\n`,
  );
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const pump = () => {
    // Refused (an answer came) or closed: stop; sent what it meant to: stall, connection left open.
    if (received || socket.destroyed || sent >= send) return;
    sent += chunk.length;
    if (socket.write(chunk)) setImmediate(pump);
    else socket.once('drain', pump);
  };
  pump();
  return {
    socket,
    status: () => {
      const match = /^HTTP\/1\.1 (\d{3})/.exec(received);
      return match ? Number(match[1]) : null;
    },
    sent: () => sent,
    closed: () => closed,
    closedAt,
  };
}

it('16 uploads of 20 MB of a 25 MB webhook that then stall, from 4 addresses: at most the body budget is let in, the rest refused at once, the stalled ones cut off by the request timeout, RSS growth bounded; a signed delivery sent meanwhile gets 202', async () => {
  const before = rssKb();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssKb())), 100);
  onTestFinished(() => clearInterval(sampler));
  const uploads: Stalled[] = [];
  for (let i = 0; i < 16; i++) uploads.push(stalledUpload(`127.0.0.${2 + (i % 4)}`, WEBHOOK_BODY_LIMIT, 20 * MB));

  // Wait until every upload is either refused (answered, or closed: a reset can discard the answer) or has sent its
  // 20 MB and stalled.
  const deadline = Date.now() + 10_000;
  const refusedOne = (u: Stalled) => u.status() !== null || u.closed();
  while (!uploads.every((u) => refusedOne(u) || u.sent() >= 20 * MB) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const refused = uploads.filter(refusedOne);
  const stalled = uploads.filter((u) => !refusedOne(u));
  // Three 25 MB bodies fit in the budget for large bodies (80 MB), two from one address (50 MB).
  expect(stalled.length).toBe(Math.floor(BODY_BUDGET.largeBytes / WEBHOOK_BODY_LIMIT));
  for (const u of stalled) expect(u.sent()).toBeGreaterThanOrEqual(20 * MB);
  const answers = refused.map((u) => u.status()).filter((s) => s !== null);
  expect(answers.every((s) => s === 503 || s === 429)).toBe(true);
  expect(answers.length).toBeGreaterThan(0);

  // The attack holds what it was let in: a real delivery still gets through.
  const started = performance.now();
  const res = await deliver(serve.url, 'push', pushExample, `real-${process.pid}`);
  const realMs = performance.now() - started;
  expect(res.status).toBe(202);
  // GitHub's example push has no App installation: verified, read and answered, with nothing to queue.
  expect(await res.json()).toMatchObject({ status: expect.stringMatching(/^(queued|ignored)$/) });

  // Every connection is closed within the request timeout (Node checks once a second): the stalled ones with 408.
  const closed = await Promise.all(
    uploads.map((u) => Promise.race([u.closedAt, new Promise<number>((r) => setTimeout(() => r(Infinity), REQUEST_TIMEOUT_MS + 5000))])),
  );
  clearInterval(sampler);
  expect(Math.max(...closed)).toBeLessThan(REQUEST_TIMEOUT_MS + 2500);
  for (const u of stalled) expect(u.status()).toBe(408);

  const growthMb = (peak - before) / 1024;
  console.log(
    `stalled uploads: ${stalled.length} let in, ${refused.length} refused (answers seen: ${answers.join(',')}); ` +
      `signed delivery 202 in ${realMs.toFixed(0)} ms; stalled closed after ${Math.max(...closed.filter((_, i) => uploads[i]!.status() === 408)).toFixed(0)} ms; ` +
      `RSS ${(before / 1024).toFixed(0)} MB → peak ${(peak / 1024).toFixed(0)} MB (+${growthMb.toFixed(0)} MB)`,
  );
  // 16 × 20 MB would be 320 MB; the budget lets in 3 × 20 MB.
  expect(growthMb).toBeLessThan(140);

  // The budget is given back: a large signed body is read again (400: it is not JSON), not refused.
  const big = Buffer.alloc(5 * MB, 0x61);
  const after = await fetch(`${serve.url}/webhooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': `after-${process.pid}`,
      'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(big).digest('hex')}`,
    },
    body: big,
  });
  expect(after.status).toBe(400);

  // One address alone: two large bodies at once, not a third (429), whatever room the service has.
  // Refused means answered 429, or closed: the server closes a refused upload with its bytes unread, and the reset
  // that follows can reach a busy client before it has read the answer.
  const mine = [0, 1, 2].map(() => stalledUpload('127.0.0.9', WEBHOOK_BODY_LIMIT, 1 * MB));
  await until(async () => (mine.some(refusedOne) ? true : undefined), 'one upload to be refused', 10_000);
  await new Promise((r) => setTimeout(r, 300));
  const mineRefused = mine.filter(refusedOne);
  expect(mineRefused).toHaveLength(1);
  expect([429, null]).toContain(mineRefused[0]!.status());
  expect(mine.filter((u) => !refusedOne(u)).map((u) => u.status())).toEqual([null, null]);
  for (const u of mine) u.socket.destroy();
}, 40_000);
