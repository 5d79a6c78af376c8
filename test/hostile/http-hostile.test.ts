/**
 * Hostile requests to `neevscan serve` (a real process, so its memory can be
 * read from /proc): bodies far over each limit, bodies that are not JSON,
 * wrong content types, missing and forged signatures, replays, JSON nested
 * 100,000 deep, invalid UTF-8. Each gets a clear answer, the service stays
 * up, and Redis is left as it was wherever nothing should change.
 */
import { createHmac, randomBytes, sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { webhookExamples } from '../helpers/webhook-examples.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/key-format/key.js';
import { AlertStore } from '../../src/stores/alert-store.js';
import { makeSecretScanningKey, startGitHubStandIn, type GitHubStandIn } from '../helpers/github/standin.js';
import type { SecretScanningKey } from '../helpers/github/keys.js';
import { WEBHOOK_SECRET, until } from '../helpers/pipeline.js';
import { deletePrefix, freshPrefix, testRedis } from '../helpers/redis.js';
import { callApi, spawnServe } from '../helpers/server.js';

const MB = 1024 * 1024;
const redis = testRedis();
const prefix = freshPrefix();
let gh: GitHubStandIn;
const signer: SecretScanningKey = makeSecretScanningKey();
let serve: Awaited<ReturnType<typeof spawnServe>>;
let owner: string;

const commentExample = (webhookExamples as Array<{ name: string; examples: Array<Record<string, any>> }>)
  .find((e) => e.name === 'issue_comment')!
  .examples.find((e) => e.action === 'created')!;

beforeAll(async () => {
  gh = await startGitHubStandIn({ secretScanningKeys: [signer.publicKey] });
  // Notices held back 200 ms rather than 2 s, so that the jobs earlier tests cause are done sooner before the next snapshot.
  serve = await spawnServe({
    NEEVSCAN_REDIS_PREFIX: prefix,
    GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
    GITHUB_API_URL: gh.url,
    NEEVSCAN_NOTIFY_DELAY_MS: '200',
  });
  owner = (await callApi(serve.url, 'POST', '/api/v1/owners', { body: { name: 'Acme' } })).body.id;
});

afterAll(async () => {
  await serve?.stop();
  await gh?.close();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

/**
 * Every key under the test prefix with its serialized value. BullMQ's workers
 * rewrite their stalled-jobs check marker on a timer, with or without work:
 * that key says nothing about what a request changed.
 */
async function snapshot(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      if (key.endsWith(':stalled-check')) continue;
      const dumped = await redis.dumpBuffer(key);
      if (dumped) out.set(key, dumped.toString('base64'));
    }
  } while (cursor !== '0');
  return out;
}

const same = (a: Map<string, string>, b: Map<string, string>) => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

/**
 * Jobs of earlier tests not yet done: waiting, running, or delayed until the
 * next minute. (A notice's follow-up waits an hour, and goes out only if a
 * new place came: it is not work in progress.) BullMQ scores a delayed job
 * by its due time in ms times 4096.
 */
async function jobsPending(): Promise<number> {
  let pending = 0;
  for (const key of await redis.keys(`${prefix}{q:*}:*`)) {
    if (/:(wait|paused|active)$/.test(key)) pending += await redis.llen(key);
    else if (/:prioritized$/.test(key)) pending += await redis.zcard(key);
    else if (/:delayed$/.test(key)) pending += await redis.zcount(key, 0, (Date.now() + 60_000) * 4096);
  }
  return pending;
}

/** A snapshot once the workers are done with earlier tests' jobs: no job pending, and two snapshots in a row 200 ms apart agree. */
async function settled(): Promise<Map<string, string>> {
  let last = await snapshot();
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 200));
    const next = await snapshot();
    if ((await jobsPending()) === 0 && same(last, next)) return next;
    last = next;
  }
  throw new Error('Redis did not settle');
}

/** Runs `act` and checks that it left Redis as it found it (but for the keys `allowed` matches). */
async function changesNothing(act: () => Promise<void>, allowed?: RegExp): Promise<void> {
  const before = await settled();
  await act();
  const after = await snapshot();
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k));
  expect(changed.filter((k) => !allowed?.test(k))).toEqual([]);
}

const hmac = (body: Buffer | string) => `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`;
let deliveries = 0;
const deliveryId = () => `hostile-${process.pid}-${++deliveries}`;

async function postWebhook(body: Buffer | string, headers: Record<string, string | undefined>) {
  const res = await fetch(`${serve.url}/webhooks/github`, {
    method: 'POST',
    headers: Object.fromEntries(
      Object.entries({
        'content-type': 'application/json',
        'x-github-event': 'issue_comment',
        'x-github-delivery': deliveryId(),
        ...headers,
      }).filter(([, v]) => v !== undefined),
    ) as Record<string, string>,
    body,
  });
  const text = await res.text();
  return { status: res.status, text, json: safeJson(text) };
}

async function postPartner(body: Buffer | string, headers: Record<string, string> = signedPartner(body)) {
  const res = await fetch(`${serve.url}/github/secret-scanning`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, text, json: safeJson(text) };
}

function signedPartner(body: Buffer | string, key = signer): Record<string, string> {
  return {
    'Github-Public-Key-Identifier': key.publicKey.key_identifier,
    'Github-Public-Key-Signature': sign('sha256', Buffer.from(body), key.privateKey).toString('base64'),
  };
}

function safeJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Peak resident memory of the serve process since the last reset, and a reset (writing 5 to clear_refs sets the peak to what is resident now). */
const status = () => readFileSync(`/proc/${serve.child.pid}/status`, 'utf8');
const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status())![1]);
function resetPeak(): number {
  writeFileSync(`/proc/${serve.child.pid}/clear_refs`, '5');
  return kb('VmRSS');
}

/**
 * Sends `size` bytes to `path` over a raw socket, as fast as the server takes
 * them, declared up front (Content-Length) or streamed (chunked), and stops
 * once it is answered. The server may close the connection mid-body (an HTTP
 * client library then reports EPIPE and drops the answer): what counts is the
 * answer it sent first. Resolves with its status, body and how long it took.
 */
function sendHuge(
  path: string,
  size: number,
  options: { chunked: boolean; headers?: Record<string, string> },
): Promise<{ status: number; body: string; ms: number }> {
  const url = new URL(path, serve.url);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const headers: Record<string, string> = { host: url.host, 'content-type': 'application/json', ...options.headers };
    if (options.chunked) headers['transfer-encoding'] = 'chunked';
    else headers['content-length'] = String(size);
    let received = Buffer.alloc(0);
    let answeredAt: number | undefined;
    let done = false;
    const finish = () => {
      if (done) return;
      const text = received.toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (!status || end === -1) return;
      const length = /\r\ncontent-length: (\d+)/i.exec(text.slice(0, end));
      const body = text.slice(end + 4);
      if (length && Buffer.byteLength(body) < Number(length[1])) return;
      done = true;
      socket.destroy();
      resolve({ status: Number(status[1]), body, ms: (answeredAt ?? performance.now()) - started });
    };
    socket.on('data', (data: Buffer) => {
      answeredAt ??= performance.now();
      received = Buffer.concat([received, data]);
      finish();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      finish();
      if (!done) reject(new Error(`no answer: ${received.toString('utf8').slice(0, 200)}`));
    });
    socket.write(
      `POST ${url.pathname} HTTP/1.1\r\n${Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('')}\r\n`,
    );
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const frame = options.chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk;
    let sent = 0;
    // A chunk at a time, letting the answer in between: once the server has answered and closed, more data makes
    // its kernel reset the connection, and a reset can discard an answer not yet read.
    const pump = () => {
      if (answeredAt !== undefined || socket.destroyed) return;
      if (sent >= size) return void (options.chunked && socket.write('0\r\n\r\n'));
      sent += chunk.length;
      if (socket.write(frame)) setImmediate(pump);
      else socket.once('drain', pump);
    };
    // A body declared too large is answered before a byte of it is read: give that answer a moment to come in
    // before sending (under load, a client that writes at once can have the answer reset away; see pump).
    setTimeout(pump, 200);
  });
}

/** sendHuge, again if the connection was reset before the answer could be read (see pump); the answer is what is checked. */
async function sendHugeAnswered(path: string, size: number, options: { chunked: boolean; headers?: Record<string, string> }) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await sendHuge(path, size, options);
    } catch (error) {
      if (attempt === 5) throw error;
    }
  }
}

describe('oversized bodies', () => {
  const cases = [
    {
      what: 'webhook (limit 25 MB)',
      limit: 25 * MB,
      path: '/webhooks/github',
      headers: { 'x-github-event': 'push', 'x-github-delivery': 'big-1', 'x-hub-signature-256': hmac('x') },
    },
    { what: 'partner endpoint (limit 4 MB)', limit: 4 * MB, path: '/github/secret-scanning', headers: signedPartner('x') },
    { what: 'public report (limit 4 MB)', limit: 4 * MB, path: '/api/v1/public/report', headers: {} },
    {
      what: 'API (limit 64 KB)',
      limit: 64 * 1024,
      path: '/api/v1/owners',
      headers: { authorization: 'Bearer test-admin-token-0123456789' },
    },
    {
      what: 'dashboard sign-in form (limit 32 KB)',
      limit: 32 * 1024,
      path: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://127.0.0.1', 'sec-fetch-site': 'same-origin' },
    },
  ];
  for (const c of cases) {
    for (const chunked of [false, true]) {
      it(`${c.what}, 30 MB ${chunked ? 'chunked' : 'with Content-Length'}: 413 at once, without reading it into memory`, async () => {
        // A sign-in attempt is counted by the client address's rate limit before its body is read; nothing else may change.
        await changesNothing(async () => {
          const baseline = resetPeak();
          const res = await sendHugeAnswered(c.path, 30 * MB, { chunked, headers: c.headers });
          const peakGrowthKb = kb('VmHWM') - baseline;
          expect(res.status).toBe(413);
          if (c.path !== '/login') expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'too_large' } });
          expect(res.ms).toBeLessThan(5000);
          // Declared too large, it is refused unread. Streamed, at most the route's limit is held (the webhook and
          // partner routes need the whole body to check its signature) before the answer: never the 30 MB.
          expect(peakGrowthKb * 1024).toBeLessThan(chunked ? Math.min(c.limit + 4 * MB, 30 * MB) : 4 * MB);
          console.log(
            `${c.what}, ${chunked ? 'chunked' : 'Content-Length'}: 413 in ${res.ms.toFixed(0)} ms, peak RSS +${(peakGrowthKb / 1024).toFixed(1)} MB`,
          );
        }, /\{rl\}:(dashboard:POST\/login|report:POST\/api\/v1\/public\/report)-/);
        expect((await fetch(`${serve.url}/healthz`)).status).toBe(200);
      });
    }
  }

  it('a webhook just under GitHub’s 25 MB cap is read and answered (400: a signed body that is not JSON)', async () => {
    const body = Buffer.alloc(25 * MB, 0x61);
    await changesNothing(async () => {
      const res = await postWebhook(body, { 'x-hub-signature-256': hmac(body) });
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ error: { code: 'bad_request', message: 'the body is not JSON' } });
    });
  });
});

describe('bodies that are not JSON, and wrong content types', () => {
  it('webhook: a signed body that is not JSON, binary, a JSON array or scalar, or form-encoded: 400 with what is wrong; nothing queued', async () => {
    const bodies: Array<[string, Buffer, string, string]> = [
      ['text', Buffer.from('hello, world'), 'text/plain', 'the body is not JSON'],
      [
        'binary with NULs',
        Buffer.concat([Buffer.from([0, 1, 2, 0xff, 0xfe, 0]), randomBytes(4096)]),
        'application/octet-stream',
        'the body is not JSON',
      ],
      [
        'JSON with a raw control character',
        Buffer.from('{"action":"created","comment":{"body":"a\u0000b"}}'),
        'application/json',
        'the body is not JSON',
      ],
      ['a JSON array', Buffer.from('[{"action":"created"}]'), 'application/json', 'the body is not a JSON object'],
      ['a JSON string', Buffer.from('"push"'), 'application/json', 'the body is not a JSON object'],
      [
        'form-encoded (GitHub’s other content type)',
        Buffer.from(`payload=${encodeURIComponent(JSON.stringify(commentExample))}`),
        'application/x-www-form-urlencoded',
        'the body is not JSON',
      ],
      ['empty', Buffer.alloc(0), 'application/json', 'the body is not JSON'],
    ];
    await changesNothing(async () => {
      for (const [what, body, type, message] of bodies) {
        const res = await postWebhook(body, { 'content-type': type, 'x-hub-signature-256': hmac(body) });
        expect(res.status, what).toBe(400);
        expect(res.json, what).toEqual({ error: { code: 'bad_request', message } });
      }
    });
  });

  it('webhook: a signed delivery without X-GitHub-Event or with an odd X-GitHub-Delivery: 400', async () => {
    const body = JSON.stringify(commentExample);
    await changesNothing(async () => {
      expect((await postWebhook(body, { 'x-github-event': undefined, 'x-hub-signature-256': hmac(body) })).status).toBe(400);
      expect((await postWebhook(body, { 'x-github-delivery': '../../etc/passwd', 'x-hub-signature-256': hmac(body) })).status).toBe(400);
      expect((await postWebhook(body, { 'x-github-delivery': 'x'.repeat(101), 'x-hub-signature-256': hmac(body) })).status).toBe(400);
    });
  });

  it('API: a body that is not JSON gets 400, another content type 415, unknown fields 400; nothing written', async () => {
    await changesNothing(async () => {
      const notJson = await callApi(serve.url, 'POST', '/api/v1/owners', { raw: '{"name": "Acme",' });
      expect(notJson.status).toBe(400);
      expect(notJson.body.error.code).toBe('bad_request');
      // Plain text is read as a string, which the schema refuses; other types have no parser.
      const text = await callApi(serve.url, 'POST', '/api/v1/owners', { raw: 'name=Acme', headers: { 'content-type': 'text/plain' } });
      expect(text.status).toBe(400);
      expect(text.body.error).toEqual({ code: 'bad_request', message: 'body must be object' });
      for (const type of [
        'application/xml',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/octet-stream',
      ]) {
        const other = await callApi(serve.url, 'POST', '/api/v1/owners', { raw: 'name=Acme', headers: { 'content-type': type } });
        expect(other.status, type).toBe(415);
        expect(other.body.error.code).toBe('unsupported_media_type');
      }
      const binary = await fetch(`${serve.url}/api/v1/keys`, {
        method: 'POST',
        headers: { authorization: 'Bearer test-admin-token-0123456789', 'content-type': 'application/json' },
        body: randomBytes(2048),
      });
      expect(binary.status).toBe(400);
      expect((await callApi(serve.url, 'POST', '/api/v1/owners', { body: { name: 'Acme', admin: true } })).status).toBe(400);
    });
  });

  it('partner endpoint: a signed body that is not JSON or not an array of matches: 400; any content type is read as the signed bytes', async () => {
    await changesNothing(async () => {
      for (const body of ['not json', '{"token":"x"}', '[1,2,3]', '[{"type":"neevcloud_api_key"}]', '']) {
        const res = await postPartner(body);
        expect(res.status, body).toBe(400);
        expect(res.json.error.code).toBe('bad_request');
      }
      const xml = await fetch(`${serve.url}/github/secret-scanning`, {
        method: 'POST',
        headers: { 'content-type': 'application/xml', ...signedPartner('[]') },
        body: '[]',
      });
      expect(xml.status).toBe(200);
      expect(await xml.json()).toEqual([]);
    });
  });
});

describe('missing and forged signatures', () => {
  it('webhook: no signature, another secret, another body’s signature, a malformed or sha1 signature: 401, nothing changes', async () => {
    const body = JSON.stringify({ ...commentExample, comment: { ...commentExample.comment, body: 'hello' } });
    await changesNothing(async () => {
      const cases: Array<[string, string | undefined, string]> = [
        ['missing', undefined, 'unsigned'],
        ['another secret', `sha256=${createHmac('sha256', 'not-the-secret').update(body).digest('hex')}`, 'bad_signature'],
        ['another body', hmac(body + ' '), 'bad_signature'],
        ['not hex', `sha256=${'z'.repeat(64)}`, 'bad_signature'],
        ['too short', hmac(body).slice(0, 40), 'bad_signature'],
        ['upper-case hex of the right signature', `sha256=${hmac(body).slice(7).toUpperCase()}`, 'bad_signature'],
        ['sha1', `sha1=${createHmac('sha1', WEBHOOK_SECRET).update(body).digest('hex')}`, 'unsigned'],
      ];
      for (const [what, signature, code] of cases) {
        const res = await postWebhook(body, { 'x-hub-signature-256': signature });
        expect(res.status, what).toBe(401);
        expect(res.json.error.code, what).toBe(code);
      }
    });
  });

  it('webhook: the signature is over the bytes sent, so a body with invalid UTF-8 signed by GitHub verifies, and one re-encoded in transit does not', async () => {
    const key = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Invalid UTF-8' } })).body;
    const text = JSON.stringify({
      ...commentExample,
      repository: { ...commentExample.repository, private: false },
      comment: { ...commentExample.comment, body: 'BAD\nline two\nkey=KEY' },
    });
    const [head, tail] = text.split('BAD');
    // Bytes no UTF-8 decoder accepts, inside a JSON string: JSON.parse reads them as U+FFFD.
    const raw = Buffer.concat([
      Buffer.from(head!),
      Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82]),
      Buffer.from(tail!.replace('KEY', key.key)),
    ]);
    const reencoded = Buffer.from(raw.toString('utf8'));
    expect((await postWebhook(raw, { 'x-hub-signature-256': hmac(reencoded) })).status).toBe(401);
    const accepted = await postWebhook(raw, { 'x-hub-signature-256': hmac(raw) });
    expect(accepted.status).toBe(202);
    expect(accepted.json).toEqual({ status: 'queued', exposures: 1 });
    const alert = await until(async () => (await new AlertStore(redis, prefix).getByKeyId(key.id)) ?? undefined, 'the alert');
    expect(alert.locations).toEqual([expect.objectContaining({ source: 'comment', line: 3 })]);
  });

  it('partner endpoint: missing headers 400, a signature by another key or over another body 401, an unknown identifier 401, garbage 401; nothing changes', async () => {
    const body = JSON.stringify([{ token: 'neev_x', type: 'neevcloud_api_key', url: 'https://github.com/x', source: 'content' }]);
    const stranger = makeSecretScanningKey();
    await changesNothing(async () => {
      expect((await postPartner(body, {})).status).toBe(400);
      expect((await postPartner(body, { 'Github-Public-Key-Identifier': signer.publicKey.key_identifier })).status).toBe(400);
      const otherKey = await postPartner(body, {
        ...signedPartner(body, stranger),
        'Github-Public-Key-Identifier': signer.publicKey.key_identifier,
      });
      expect(otherKey.status).toBe(401);
      expect(otherKey.json.error.code).toBe('bad_signature');
      expect((await postPartner(body, signedPartner(body + ' '))).status).toBe(401);
      expect((await postPartner(body, { ...signedPartner(body), 'Github-Public-Key-Signature': 'not base64 at all!!' })).status).toBe(401);
      const unknown = await postPartner(body, signedPartner(body, stranger));
      expect(unknown.status).toBe(401);
      expect(unknown.json.error.code).toBe('unknown_key');
    });
  });
});

describe('replayed deliveries', () => {
  it('webhook: a redelivered X-GitHub-Delivery gets 200 and changes nothing, whether the first was ignored or queued a key', async () => {
    const quiet = JSON.stringify({ ...commentExample, comment: { ...commentExample.comment, body: 'no key here' } });
    const id = deliveryId();
    expect((await postWebhook(quiet, { 'x-github-delivery': id, 'x-hub-signature-256': hmac(quiet) })).json).toMatchObject({
      status: 'ignored',
    });
    await changesNothing(async () => {
      const again = await postWebhook(quiet, { 'x-github-delivery': id, 'x-hub-signature-256': hmac(quiet) });
      expect(again.status).toBe(200);
      expect(again.json).toEqual({ status: 'duplicate' });
    });

    const key = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Replayed' } })).body;
    const loud = JSON.stringify({
      ...commentExample,
      repository: { ...commentExample.repository, private: false },
      comment: { ...commentExample.comment, body: `key ${key.key}` },
    });
    const loudId = deliveryId();
    expect((await postWebhook(loud, { 'x-github-delivery': loudId, 'x-hub-signature-256': hmac(loud) })).status).toBe(202);
    const alerts = new AlertStore(redis, prefix);
    const alert = await until(async () => (await alerts.getByKeyId(key.id)) ?? undefined, 'the alert');
    const revokedAt = (await callApi(serve.url, 'GET', `/api/v1/keys/${key.id}`)).body.revokedAt;
    for (let i = 0; i < 5; i++)
      expect((await postWebhook(loud, { 'x-github-delivery': loudId, 'x-hub-signature-256': hmac(loud) })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect((await alerts.getByKeyId(key.id))!.locations).toHaveLength(alert.locations.length);
    expect((await callApi(serve.url, 'GET', `/api/v1/keys/${key.id}`)).body.revokedAt).toBe(revokedAt);
    expect(await redis.exists(`${prefix}{q:exposure}:exposure:${loudId}.1`)).toBe(0);
  });

  it('partner endpoint: the same signed batch again gets the same answer and revokes and records nothing more', async () => {
    const key = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Partner replay' } })).body;
    const body = JSON.stringify([
      { token: key.key, type: 'neevcloud_api_key', url: 'https://github.com/octo-org/app/blob/abc/x.env', source: 'content' },
    ]);
    const first = await postPartner(body);
    expect(first.json).toEqual([{ token_hash: sha256Hex(key.key), token_type: 'neevcloud_api_key', label: 'true_positive' }]);
    const record = (await callApi(serve.url, 'GET', `/api/v1/keys/${key.id}`)).body;
    const alert = (await new AlertStore(redis, prefix).getByKeyId(key.id))!;
    const second = await postPartner(body);
    expect(second.json).toEqual(first.json);
    expect((await callApi(serve.url, 'GET', `/api/v1/keys/${key.id}`)).body.revokedAt).toBe(record.revokedAt);
    expect((await new AlertStore(redis, prefix).getByKeyId(key.id))!.locations).toHaveLength(alert.locations.length);
  });
});

describe('JSON nested 100,000 deep', () => {
  const deepArray = (n: number) => '['.repeat(n) + ']'.repeat(n);
  const deepObject = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

  it('webhook, partner endpoint and API: a clear 400 (413 over the API’s limit), no stack overflow, the service stays up', async () => {
    await changesNothing(async () => {
      const arrays = deepArray(100_000);
      const hook = await postWebhook(arrays, { 'x-github-event': 'push', 'x-hub-signature-256': hmac(arrays) });
      expect(hook.status).toBe(400);
      expect(hook.json).toEqual({ error: { code: 'bad_request', message: 'the body is not a JSON object' } });

      const partner = await postPartner(arrays);
      expect(partner.status).toBe(400);
      expect(partner.json.error).toEqual({ code: 'bad_request', message: 'item 0 is not an object' });

      const deepUnderLimit = await callApi(serve.url, 'POST', '/api/v1/owners', { raw: deepArray(30_000) });
      expect(deepUnderLimit.status).toBe(400);
      const deepObjectUnderLimit = await callApi(serve.url, 'POST', '/api/v1/keys', { raw: deepObject(10_000) });
      expect(deepObjectUnderLimit.status).toBe(400);
      expect((await callApi(serve.url, 'POST', '/api/v1/owners', { raw: deepArray(100_000) })).status).toBe(413);
    });
    // A deep object is a JSON object: a text event without the fields it needs is ignored (remembered as delivered, nothing queued).
    const objects = deepObject(100_000);
    const ignored = await postWebhook(objects, { 'x-hub-signature-256': hmac(objects) });
    expect(ignored.status).toBe(202);
    expect(ignored.json).toEqual({ status: 'ignored', reason: 'no key in the text' });
    expect((await fetch(`${serve.url}/healthz`)).status).toBe(200);
    expect(serve.child.exitCode).toBeNull();
  });
});

describe('invalid UTF-8 at the partner endpoint', () => {
  it('a token holding invalid UTF-8 is a false positive; the answer is 200', async () => {
    const raw = Buffer.concat([
      Buffer.from('[{"token":"neev_'),
      Buffer.from([0xff, 0xfe, 0x80]),
      Buffer.from('","type":"neevcloud_api_key","url":"https://github.com/x","source":"content"}]'),
    ]);
    await changesNothing(async () => {
      const res = await postPartner(raw);
      expect(res.status).toBe(200);
      expect(res.json).toEqual([
        { token_hash: expect.stringMatching(/^[0-9a-f]{64}$/), token_type: 'neevcloud_api_key', label: 'false_positive' },
      ]);
    });
  });
});
