import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey, keyHint } from '../../src/key-format/key.js';
import { AlertStore } from '../../src/stores/alert-store.js';
import { until } from '../helpers/pipeline.js';
import { deletePrefix, dumpPrefix, freshPrefix, testRedis } from '../helpers/redis.js';
import { readConfig } from '../../src/config.js';
import type { ExposureJob } from '../../src/pipeline/queues.js';
import { callApi, enqueueTo, spawnServe, startServer } from '../helpers/server.js';
import { EXPOSURE_QUEUE } from '../../src/core/queue-names.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.js';

/**
 * POST /api/v1/public/report through HTTP on `neevscan serve` as a process
 * (real Redis, the exposure and notify workers, a real SMTP server): a
 * reported live key is revoked, its alert names the reported URL, its owner
 * gets a mail naming it, and every answer is the same 202. Each test speaks
 * from its own address (X-Forwarded-For behind NEEVSCAN_TRUST_PROXY=1), so
 * the per-address rate limit is met only where a test means to.
 */

const FAST = { NEEVSCAN_NOTIFY_DELAY_MS: '300', NEEVSCAN_NOTIFY_BACKOFF_MS: '150', NEEVSCAN_NOTIFY_FOLLOW_UP_SECONDS: '2' };

interface Service {
  url: string;
  prefix: string;
  output: () => string;
  stop(): Promise<void>;
}

let smtp: SmtpSink;
const redis = testRedis();
const services: Service[] = [];
let main: Service;
let alertOnly: Service;

async function serve(env: Record<string, string> = {}): Promise<Service> {
  const prefix = freshPrefix();
  const s = await spawnServe({
    NEEVSCAN_REDIS_PREFIX: prefix,
    NEEVSCAN_TRUST_PROXY: '1',
    SMTP_URL: smtp.url,
    MAIL_FROM: 'NeevCloud Security <security@neevcloud.example>',
    ...FAST,
    ...env,
  });
  const service = { url: s.url, prefix, output: s.output, stop: s.stop };
  services.push(service);
  return service;
}

beforeAll(async () => {
  smtp = await startSmtpSink();
  main = await serve();
  alertOnly = await serve({ REPORT_REVOKE_POLICY: 'alert-only' });
}, 60_000);

afterAll(async () => {
  for (const s of services) await s.stop();
  for (const s of services) await deletePrefix(redis, s.prefix);
  redis.disconnect();
  await smtp.close();
});

let addresses = 0;
/** A client address of its own (10.9.x.y), as the trusted proxy would name it. */
function freshAddress(): string {
  addresses++;
  return `10.9.${Math.floor(addresses / 250)}.${(addresses % 250) + 1}`;
}

async function report(service: Service, body: unknown, address = freshAddress(), raw?: string) {
  return callApi(service.url, 'POST', '/api/v1/public/report', {
    token: null,
    headers: { 'x-forwarded-for': address },
    ...(raw !== undefined ? { raw } : { body }),
  });
}

async function ownerAndKey(service: Service, name: string) {
  const owner = await callApi(service.url, 'POST', '/api/v1/owners', {
    body: { name: `${name} Inc`, email: `${name.toLowerCase()}@owner.example` },
  });
  expect(owner.status).toBe(201);
  const key = await callApi(service.url, 'POST', '/api/v1/keys', { body: { ownerId: owner.body.id, name: `${name} Production` } });
  expect(key.status).toBe(201);
  return { owner: owner.body as { id: string; email: string }, key: key.body as { id: string; key: string; hint: string } };
}

const keyStatus = async (service: Service, id: string) =>
  (await callApi(service.url, 'GET', `/api/v1/keys/${id}`)).body as { status: string; revokedReason: string | null };
const alertOf = (service: Service, keyId: string) =>
  until(async () => (await new AlertStore(redis, service.prefix).getByKeyId(keyId)) ?? undefined, 'the alert');
const mailsTo = (address: string) => smtp.messages.filter((m) => m.to.includes(address));

/** A string that fails the checksum: a valid key with its last check digit changed. */
function badChecksum(): string {
  const key = generateKey();
  return key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
}

describe('POST /api/v1/public/report', () => {
  it('a live key reported with no token: 202, revoked, an alert of source report at the URL, and the owner mail names the URL', async () => {
    const { owner, key } = await ownerAndKey(main, 'Reported');
    const url = 'https://paste.example/raw/abc123?lang=<env>&x=1';
    const res = await report(main, { key: key.key, url });
    expect(res.status).toBe(202);

    const alert = await alertOf(main, key.id);
    const normalised = new URL(url).href;
    expect(alert.locations).toEqual([expect.objectContaining({ source: 'report', url: normalised, repo: null, path: null })]);
    expect(alert.keyStatus).toBe('revoked');
    const record = await keyStatus(main, key.id);
    expect(record.status).toBe('revoked');
    expect(record.revokedReason).toContain(normalised);

    const mail = await until(async () => mailsTo(owner.email)[0], 'the owner mail');
    expect(mail.subject).toContain('was exposed and revoked');
    expect(mail.text).toContain(normalised);
    expect(mail.html).not.toContain('<env>');

    // The raw key reached no log line, no mail, no Redis value or key (job data, alert, metrics' rate-limit counters).
    for (const text of [mail.raw, main.output()]) expect(text).not.toContain(key.key);
    expect(Buffer.concat(await dumpPrefix(redis, main.prefix)).includes(key.key)).toBe(false);
  });

  it('the answer is the same 202 and body for a live, an unknown, an already revoked and a checksum-failing key', async () => {
    const live = await ownerAndKey(main, 'Oracle');
    const revoked = await ownerAndKey(main, 'Gone');
    expect((await callApi(main.url, 'POST', `/api/v1/keys/${revoked.key.id}/revoke`, { body: {} })).status).toBe(200);
    const url = 'https://gist.example/u/1';
    const answers = [];
    for (const key of [live.key.key, generateKey(), revoked.key.key, badChecksum(), 'not a key at all']) {
      const res = await report(main, { key, url });
      answers.push({ status: res.status, body: res.body, type: res.headers.get('content-type') });
    }
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(answers[0]!.status).toBe(202);
    expect(answers[0]!.body).toMatchObject({ status: 'received', reports: 1 });

    await alertOf(main, live.key.id);
    expect((await keyStatus(main, live.key.id)).status).toBe('revoked');
    // The already revoked key gets its alert too (its owner learns where it turned up); its revocation is its own, not ours.
    const gone = await alertOf(main, revoked.key.id);
    expect(gone.locations[0]).toMatchObject({ source: 'report', url });

    const metrics = await until(async () => {
      const text = await (await fetch(`${main.url}/metrics`)).text();
      return /neevscan_public_reports_total\{outcome="unknown"\} [1-9]/.test(text) && /outcome="already-revoked"\} [1-9]/.test(text)
        ? text
        : undefined;
    }, 'the report metrics');
    expect(metrics).toMatch(/neevscan_public_reports_total\{outcome="invalid"\} [2-9]/);
    expect(metrics).toMatch(/neevscan_public_reports_total\{outcome="revoked"\} [1-9]/);
  });

  it('a batch of 1,000 is taken; 1,001 is refused with 400 and queues nothing', async () => {
    const { key } = await ownerAndKey(main, 'Batch');
    const reports = Array.from({ length: 999 }, (_, i) => ({
      key: i % 2 ? generateKey() : badChecksum(),
      url: `https://leaks.example/${i}`,
    }));
    reports.push({ key: key.key, url: 'https://leaks.example/the-live-one' });
    const ok = await report(main, { reports });
    expect(ok.status).toBe(202);
    expect(ok.body).toMatchObject({ status: 'received', reports: 1000 });
    const alert = await alertOf(main, key.id);
    expect(alert.locations[0]).toMatchObject({ source: 'report', url: 'https://leaks.example/the-live-one' });

    const other = await ownerAndKey(main, 'TooMany');
    const tooMany = [...reports.slice(0, 1000), { key: other.key.key, url: 'https://leaks.example/1001' }];
    const refused = await report(main, { reports: tooMany });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('at most 1000');
    await new Promise((r) => setTimeout(r, 1000));
    expect((await keyStatus(main, other.key.id)).status).toBe('active');
  });

  it('malformed bodies are refused with a clear 400 naming what is wrong', async () => {
    const key = generateKey();
    const cases: Array<[unknown, string | undefined, string]> = [
      [undefined, '{"key": ', 'JSON'],
      [[{ key, url: 'https://a.example/' }], undefined, 'JSON object'],
      [{ key }, undefined, 'url'],
      [{ key, url: 'javascript:alert(1)' }, undefined, 'http(s) URL'],
      [{ key, url: `https://a.example/${'x'.repeat(2100)}` }, undefined, 'at most 2048'],
      [{ key, url: 'https://user:pw@a.example/' }, undefined, 'user name or password'],
      [{ key: 42, url: 'https://a.example/' }, undefined, 'key must be a string'],
      [{ key, url: 'https://a.example/', extra: 1 }, undefined, 'other than'],
      [{ reports: [] }, undefined, 'non-empty array'],
      [{ reports: [{ key, url: 'https://a.example/' }, 'x'] }, undefined, 'reports[1]'],
    ];
    for (const [body, raw, message] of cases) {
      const res = await report(main, body, freshAddress(), raw);
      expect(res.status, message).toBe(400);
      expect(res.body.error.code).toBe('bad_request');
      expect(res.body.error.message).toContain(message);
    }
    // Over 4 MB: 413, in test/hostile/http-hostile.test.ts (a body refused mid-send needs a raw socket to read the answer).
  });

  it('one address is held to 10 requests a minute (429 with Retry-After); another address is not', async () => {
    const address = freshAddress();
    const body = { key: generateKey(), url: 'https://a.example/flood' };
    for (let i = 0; i < 10; i++) expect((await report(main, body, address)).status).toBe(202);
    const limited = await report(main, body, address);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await report(main, body, freshAddress())).status).toBe(202);
  });

  it('REPORT_REVOKE_POLICY=alert-only: the key stays active, the alert is raised and the owner told', async () => {
    const { owner, key } = await ownerAndKey(alertOnly, 'Cautious');
    const res = await report(alertOnly, { key: key.key, url: 'https://forum.example/t/42' });
    expect(res.status).toBe(202);
    const alert = await alertOf(alertOnly, key.id);
    expect(alert.locations[0]).toMatchObject({ source: 'report', url: 'https://forum.example/t/42' });
    expect(alert.keyStatus).toBe('active');
    const mail = await until(async () => mailsTo(owner.email)[0], 'the owner mail');
    expect(mail.text).toContain('https://forum.example/t/42');
    expect((await keyStatus(alertOnly, key.id)).status).toBe('active');
  });
});

describe('what the endpoint queues', () => {
  async function queued(env: Record<string, string>) {
    const jobs: ExposureJob[] = [];
    const t = await startServer(env, {
      enqueue: enqueueTo({ [EXPOSURE_QUEUE]: async (batch) => void jobs.push(...batch.map((job) => job.data as ExposureJob)) }),
    });
    try {
      const key = generateKey();
      const other = generateKey();
      const body = {
        reports: [
          { key: ` ${key} `, url: 'https://a.example/x' },
          { key, url: 'https://a.example/x' },
          { key: badChecksum(), url: 'https://a.example/y' },
          // A search link holding keys: they are replaced by their hints, never queued.
          { key, url: `https://search.example/?q=${key}&also=${other}neev_` },
        ],
      };
      const res = await callApi(t.url, 'POST', '/api/v1/public/report', { token: null, body });
      expect(res.status).toBe(202);
      expect(res.body.reports).toBe(4);
      expect(JSON.stringify(jobs)).not.toContain(key.slice(5));
      expect(JSON.stringify(jobs)).not.toContain(other.slice(5));
      expect(jobs[1]?.exposure.location.url).toBe(`https://search.example/?q=${keyHint(key)}&also=${keyHint(other)}neev_`);
      return { jobs, key };
    } finally {
      await t.close();
    }
  }

  it('one job per distinct key and place, hash and hint only, never a checksum-failing key; the policy follows REPORT_REVOKE_POLICY and REVOKE_POLICY=off', async () => {
    const { jobs } = await queued({});
    expect(jobs).toHaveLength(2);
    expect(jobs[0]).toMatchObject({
      policy: 'all',
      exposure: { public: true, location: { source: 'report', url: 'https://a.example/x' } },
    });
    expect(jobs[0]!.exposure.secretSha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await queued({ REPORT_REVOKE_POLICY: 'alert-only' })).jobs[0]!.policy).toBe('off');
    expect((await queued({ REVOKE_POLICY: 'off' })).jobs[0]!.policy).toBe('off');
    expect((await queued({ REVOKE_POLICY: 'all' })).jobs[0]!.policy).toBe('all');
  });

  it('REPORT_REVOKE_POLICY: revoke by default; anything but revoke or alert-only is refused at start', () => {
    expect(readConfig({}).reportRevokePolicy).toBe('revoke');
    expect(readConfig({ REPORT_REVOKE_POLICY: 'alert-only' }).reportRevokePolicy).toBe('alert-only');
    expect(() => readConfig({ REPORT_REVOKE_POLICY: 'maybe' })).toThrow('REPORT_REVOKE_POLICY must be revoke or alert-only');
  });
});
