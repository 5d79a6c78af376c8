import type { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { generateKey, sha256Hex } from '../../src/key-format/key.js';
import { enqueueNotification, type NotifyJob } from '../../src/pipeline/notify-queue.js';
import { notifyJobs } from '../../src/pipeline/jobs/notify.js';
import { openJobQueue } from '../../src/pipeline/registry.js';
import { AlertStore } from '../../src/stores/alert-store.js';
import { makeSecretScanningKey, signSecretScanningPayload, startGitHubStandIn, type GitHubStandIn } from '../helpers/github/standin.js';
import type { SecretScanningKey } from '../helpers/github/keys.js';
import { deletePrefix, dumpPrefix, freshPrefix, testRedis } from '../helpers/redis.js';
import { callApi, spawnServe, startServer, type TestServer } from '../helpers/server.js';
import { locationRecord } from '../../src/core/exposure.js';

const KEYS_PATH = '/meta/public_keys/secret_scanning';
const TYPE = 'neevcloud_api_key';
const ALL_JOB_STATES = ['delayed', 'waiting', 'active', 'completed', 'failed'] as const;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Setup {
  t: TestServer;
  gh: GitHubStandIn;
  signer: SecretScanningKey;
  queue: Queue<NotifyJob>;
  alerts: AlertStore;
  owner: string;
}

/** The server (startServer) with GITHUB_API_URL at a stand-in publishing one signing key, and a real notification queue. */
async function setup(env: Record<string, string> = {}, standIn: { tokens?: string[] } = {}): Promise<Setup> {
  const signer = makeSecretScanningKey();
  const gh = await startGitHubStandIn({ secretScanningKeys: [signer.publicKey], ...standIn });
  cleanups.push(() => gh.close());
  // The server only notifies once a test posts an alert, by which time the queue below exists.
  const t = await startServer({ GITHUB_API_URL: gh.url, ...env }, { notify: (alertId) => enqueueNotification(queue)(alertId) });
  const queue: Queue<NotifyJob> = openJobQueue(notifyJobs, t.redis, t.prefix);
  cleanups.push(async () => {
    await queue.close();
    await t.close();
  });
  const owner = (await t.api('POST', '/api/v1/owners', { body: { name: 'Acme' } })).body.id as string;
  return { t, gh, signer, queue, alerts: new AlertStore(t.redis, t.prefix), owner };
}

async function createKey(t: TestServer, owner: string, name: string): Promise<{ id: string; key: string; hint: string }> {
  const res = await t.api('POST', '/api/v1/keys', { body: { ownerId: owner, name } });
  expect(res.status).toBe(201);
  return res.body;
}

function match(token: string, url: string, source = 'content') {
  return { token, type: TYPE, url, source };
}

/** POSTs a body as GitHub does: signed with `signer` unless other headers are given. */
async function report(url: string, body: string | Buffer, signer: SecretScanningKey | null, headers: Record<string, string> = {}) {
  const signed = signer ? signSecretScanningPayload(body.toString(), signer) : {};
  const res = await fetch(`${url}/github/secret-scanning`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signed, ...headers },
    body,
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, body: json };
}

const keyFetches = (gh: GitHubStandIn) => gh.requests.filter((r) => r.path === KEYS_PATH).length;

async function metricValue(url: string, line: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found ? Number(found.slice(line.length + 1)) : 0;
}

const dump = async (t: TestServer) => Buffer.concat(await dumpPrefix(t.redis, t.prefix));

describe('POST /github/secret-scanning', () => {
  it('labels a batch (active, already revoked, unknown, malformed), revokes the active key, records partner alerts and queues their notifications', async () => {
    const { t, signer, queue, alerts, owner } = await setup();
    const active = await createKey(t, owner, 'active');
    const revoked = await createKey(t, owner, 'old');
    expect((await t.api('POST', `/api/v1/keys/${revoked.id}/revoke`, { body: { reason: 'rotated by hand' } })).status).toBe(200);
    const unknown = generateKey(); // a valid checksum, in no store
    const malformed = `${active.key.slice(0, -1)}${active.key.endsWith('A') ? 'B' : 'A'}`; // checksum broken
    const malformedBefore = await metricValue(t.url, 'neevscan_partner_tokens_total{label="false_positive",outcome="malformed"}');

    const activeUrl = 'https://github.com/octo-org/app/blob/1a2b3c/config/app.env';
    const body = JSON.stringify([
      match(active.key, activeUrl, 'commit'),
      match(revoked.key, 'https://gist.github.com/someone/abc123', 'gist_content'),
      match(unknown, 'https://github.com/octo-org/app/issues/7', 'issue_comment'),
      match(malformed, 'https://www.npmjs.com/package/leaky', 'npm'),
    ]);
    const res = await report(t.url, body, signer);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { token_hash: sha256Hex(active.key), token_type: TYPE, label: 'true_positive' },
      { token_hash: sha256Hex(revoked.key), token_type: TYPE, label: 'true_positive' },
      { token_hash: sha256Hex(unknown), token_type: TYPE, label: 'false_positive' },
      { token_hash: sha256Hex(malformed), token_type: TYPE, label: 'false_positive' },
    ]);
    for (const token of [active.key, revoked.key, unknown, malformed]) expect(res.text).not.toContain(token);
    // The malformed token was refused by its checksum, before any key store lookup.
    expect(await metricValue(t.url, 'neevscan_partner_tokens_total{label="false_positive",outcome="malformed"}')).toBe(malformedBefore + 1);

    const activeRecord = (await t.api('GET', `/api/v1/keys/${active.id}`)).body;
    expect(activeRecord).toMatchObject({
      status: 'revoked',
      revokedBy: 'leak-detector',
      revokedReason: expect.stringContaining(activeUrl),
    });
    const revokedRecord = (await t.api('GET', `/api/v1/keys/${revoked.id}`)).body;
    expect(revokedRecord).toMatchObject({ status: 'revoked', revokedBy: 'admin', revokedReason: 'rotated by hand' });

    const activeAlert = (await alerts.getByKeyId(active.id))!;
    expect(activeAlert).toMatchObject({
      keyId: active.id,
      ownerId: owner,
      keyHint: active.hint,
      secretSha256: sha256Hex(active.key),
      keyStatus: 'revoked',
      pushedAt: null,
    });
    expect(activeAlert.revokeLatencyMs).toEqual(expect.any(Number));
    expect(activeAlert.locations).toEqual([
      {
        source: 'partner',
        repo: null,
        path: null,
        line: null,
        commit: null,
        url: activeUrl,
        seenAt: expect.any(String),
        partnerSource: 'commit',
      },
    ]);
    const revokedAlert = (await alerts.getByKeyId(revoked.id))!;
    expect(revokedAlert).toMatchObject({ keyStatus: 'revoked', revokeLatencyMs: null });
    expect(revokedAlert.locations[0]).toMatchObject({
      source: 'partner',
      url: 'https://gist.github.com/someone/abc123',
      partnerSource: 'gist_content',
    });
    expect((await alerts.list()).alerts).toHaveLength(2);

    const jobs = await queue.getJobs([...ALL_JOB_STATES]);
    expect(jobs.map((j) => j.data.alertId).sort()).toEqual([activeAlert.id, revokedAlert.id].sort());

    // No raw token anywhere under the prefix: key store, alerts, notification jobs.
    const stored = await dump(t);
    for (const token of [active.key, revoked.key, unknown, malformed]) expect(stored.includes(token)).toBe(false);
  });

  it('adds each new place to the one alert, revoking nothing twice; a repeat changes nothing; identical tokens in a batch count once', async () => {
    const { t, signer, queue, alerts, owner } = await setup();
    const key = await createKey(t, owner, 'k');
    const first = await report(t.url, JSON.stringify([match(key.key, 'https://github.com/a/b/blob/1/x.env')]), signer);
    expect(first.body).toEqual([{ token_hash: sha256Hex(key.key), token_type: TYPE, label: 'true_positive' }]);
    const revokedAt = (await t.api('GET', `/api/v1/keys/${key.id}`)).body.revokedAt;
    expect(revokedAt).toEqual(expect.any(String));

    // The same token from two new places, one of them twice, and the first place again.
    const again = await report(
      t.url,
      JSON.stringify([
        match(key.key, 'https://github.com/fork/b/blob/1/x.env'),
        match(key.key, 'https://github.com/fork/b/blob/1/x.env'),
        match(key.key, 'https://github.com/a/b/pull/3', 'pull_request_description'),
        match(key.key, 'https://github.com/a/b/blob/1/x.env'),
      ]),
      signer,
    );
    expect(again.status).toBe(200);
    expect(again.body).toEqual([{ token_hash: sha256Hex(key.key), token_type: TYPE, label: 'true_positive' }]);
    const record = (await t.api('GET', `/api/v1/keys/${key.id}`)).body;
    expect(record.revokedAt).toBe(revokedAt);
    expect(record.revokedReason).toContain('https://github.com/a/b/blob/1/x.env');

    const alert = (await alerts.getByKeyId(key.id))!;
    expect(alert.locations.map((l) => l.url)).toEqual([
      'https://github.com/a/b/blob/1/x.env',
      'https://github.com/fork/b/blob/1/x.env',
      'https://github.com/a/b/pull/3',
    ]);
    expect(alert.locationCount).toBe(3);
    expect((await alerts.list()).alerts).toHaveLength(1);
    expect(await queue.getJobs([...ALL_JOB_STATES])).toHaveLength(1);

    // A repeat leaves the key store and the alerts as they were (BullMQ notes the duplicate job in its event stream).
    const stores = async () =>
      Buffer.concat((await Promise.all(['{ks}', '{k:', '{o:', '{al:'].map((tag) => dumpPrefix(t.redis, `${t.prefix}${tag}`)))).flat());
    const before = await stores();
    expect((await report(t.url, JSON.stringify([match(key.key, 'https://github.com/fork/b/blob/1/x.env')]), signer)).status).toBe(200);
    expect((await alerts.getByKeyId(key.id))!.locationCount).toBe(3);
    expect((await stores()).equals(before)).toBe(true);
    expect(await queue.getJobs([...ALL_JOB_STATES])).toHaveLength(1);
  });

  it('REVOKE_POLICY=off alerts without revoking', async () => {
    const { t, signer, alerts, owner } = await setup({ REVOKE_POLICY: 'off' });
    const key = await createKey(t, owner, 'k');
    const res = await report(t.url, JSON.stringify([match(key.key, 'https://github.com/a/b/blob/1/x.env')]), signer);
    expect(res.body).toEqual([{ token_hash: sha256Hex(key.key), token_type: TYPE, label: 'true_positive' }]);
    expect((await t.api('GET', `/api/v1/keys/${key.id}`)).body.status).toBe('active');
    expect(await alerts.getByKeyId(key.id)).toMatchObject({ keyStatus: 'active', revokedAt: null });
  });

  it('REVOKE_POLICY=public still revokes: every partner token is public', async () => {
    const { t, signer, owner } = await setup({ REVOKE_POLICY: 'public' });
    const key = await createKey(t, owner, 'k');
    expect((await report(t.url, JSON.stringify([match(key.key, '')]), signer)).status).toBe(200);
    expect((await t.api('GET', `/api/v1/keys/${key.id}`)).body).toMatchObject({ status: 'revoked', revokedBy: 'leak-detector' });
  });

  it('keeps only an http(s) url of sane length; a source name is reduced to a safe word, never markup', async () => {
    const { t, signer, alerts, owner } = await setup();
    const a = await createKey(t, owner, 'a');
    const b = await createKey(t, owner, 'b');
    const c = await createKey(t, owner, 'c');
    const body = JSON.stringify([
      { token: a.key, type: TYPE, url: 'javascript:alert(1)', source: '<script>' },
      { token: b.key, type: TYPE, url: `https://github.com/${'x'.repeat(5000)}` },
      { token: c.key, type: TYPE, url: '', source: `A${'b'.repeat(10_000)}` },
    ]);
    expect((await report(t.url, body, signer)).status).toBe(200);
    expect((await alerts.getByKeyId(a.id))!.locations[0]).toEqual({
      source: 'partner',
      repo: null,
      path: null,
      line: null,
      commit: null,
      url: null,
      seenAt: expect.any(String),
      partnerSource: 'script',
    });
    expect((await alerts.getByKeyId(b.id))!.locations[0]!.url).toBeNull();
    expect(locationRecord((await alerts.getByKeyId(b.id))!.locations[0]!).partnerSource).toBeUndefined();
    expect(locationRecord((await alerts.getByKeyId(c.id))!.locations[0]!).partnerSource).toBe(`a${'b'.repeat(63)}`);
    for (const key of [a, b, c]) expect((await t.api('GET', `/api/v1/keys/${key.id}`)).body.status).toBe('revoked');
  });

  it("keeps GitHub's source names as its partner page spells them (capitalised) and as its example sends them, in one form, and names it does not list", async () => {
    const { t, signer, alerts, owner } = await setup();
    // GitHub's partner program page lists these; its example payload sends `content`.
    const names = [
      'Content',
      'Commit',
      'Pull_request_title',
      'Pull_request_description',
      'Issue_comment',
      'Gist_content',
      'Npm',
      'Unknown',
      'content',
      'Some_new_place',
    ];
    const keys: Awaited<ReturnType<typeof createKey>>[] = [];
    for (const name of names) keys.push(await createKey(t, owner, name));
    const body = JSON.stringify(
      names.map((source, i) => ({ token: keys[i]!.key, type: TYPE, url: `https://github.com/octo-org/app/blob/abc/f${i}`, source })),
    );
    expect((await report(t.url, body, signer)).status).toBe(200);
    const kept = [];
    for (const key of keys) kept.push(locationRecord((await alerts.getByKeyId(key.id))!.locations[0]!).partnerSource);
    expect(kept).toEqual([
      'content',
      'commit',
      'pull_request_title',
      'pull_request_description',
      'issue_comment',
      'gist_content',
      'npm',
      'unknown',
      'content',
      'some_new_place',
    ]);
  });

  it('refuses what is unsigned, badly signed or unparseable, and changes nothing', async () => {
    const { t, gh, signer, owner } = await setup();
    const key = await createKey(t, owner, 'k');
    // The first request fetches the keys; an empty batch changes nothing.
    expect(await report(t.url, '[]', signer)).toMatchObject({ status: 200, body: [] });
    expect(keyFetches(gh)).toBe(1);
    const before = await dump(t);
    const body = JSON.stringify([match(key.key, 'https://github.com/a/b/blob/1/x.env')]);

    // A wrong signature: the right key's identifier, another key's signature; or the signature of another body.
    const other = makeSecretScanningKey();
    expect(
      await report(t.url, body, null, {
        ...signSecretScanningPayload(body, other),
        'Github-Public-Key-Identifier': signer.publicKey.key_identifier,
      }),
    ).toMatchObject({
      status: 401,
      body: { error: { code: 'bad_signature' } },
    });
    expect((await report(t.url, body, null, signSecretScanningPayload('[]', signer))).status).toBe(401);
    expect(
      (await report(t.url, body, null, { ...signSecretScanningPayload(body, signer), 'Github-Public-Key-Signature': 'not base64 DER' }))
        .status,
    ).toBe(401);

    // Unknown identifiers: one refetch for all of them within the rate-limit window, then 401 each, at once or in turn.
    const answers = await Promise.all([1, 2, 3].map(() => report(t.url, body, other)));
    answers.push(await report(t.url, body, other));
    answers.push(
      await report(t.url, body, null, { ...signSecretScanningPayload(body, signer), 'Github-Public-Key-Identifier': 'f'.repeat(64) }),
    );
    for (const a of answers) expect(a).toMatchObject({ status: 401, body: { error: { code: 'unknown_key' } } });
    expect(keyFetches(gh)).toBe(2);

    // Missing headers: 400.
    const signed = signSecretScanningPayload(body, signer);
    expect((await report(t.url, body, null, { 'Github-Public-Key-Signature': signed['Github-Public-Key-Signature']! })).status).toBe(400);
    expect((await report(t.url, body, null, { 'Github-Public-Key-Identifier': signed['Github-Public-Key-Identifier']! })).status).toBe(400);
    expect((await report(t.url, body, null)).status).toBe(400);

    // Signed, but not a JSON array: 400.
    for (const bad of ['not json', '{"token":"x"}', '"neev_"', '[{"type":"neevcloud_api_key"}]', '[42]']) {
      const res = await report(t.url, bad, signer);
      expect(res.status, bad).toBe(400);
      expect(res.body.error.code).toBe('bad_request');
    }

    // Over the body cap: 413, before any signature check.
    const huge = Buffer.alloc(30 * 1024 * 1024, 0x20);
    expect(
      (
        await report(t.url, huge, null, {
          'Github-Public-Key-Identifier': signer.publicKey.key_identifier,
          'Github-Public-Key-Signature': 'AAAA',
        })
      ).status,
    ).toBe(413);

    expect((await dump(t)).equals(before)).toBe(true);
    expect((await t.api('GET', `/api/v1/keys/${key.id}`)).body.status).toBe('active');
  });

  it('picks up a key GitHub adds after the first fetch (rotation), fetching with GITHUB_TOKEN when set', async () => {
    const { t, gh, signer } = await setup({ GITHUB_TOKEN: 'ghp_partnerkeys0123456789' }, { tokens: ['ghp_partnerkeys0123456789'] });
    expect((await report(t.url, '[]', signer)).status).toBe(200);
    const next = makeSecretScanningKey();
    gh.secretScanningKeys = [{ ...signer.publicKey, is_current: false }, next.publicKey];
    expect((await report(t.url, '[]', next)).status).toBe(200);
    // The old key, still published, still verifies, from the cache.
    expect((await report(t.url, '[]', signer)).status).toBe(200);
    const fetches = gh.requests.filter((r) => r.path === KEYS_PATH);
    expect(fetches.map((r) => r.status)).toEqual([200, 200]);
    for (const r of fetches) expect(r.headers.authorization).toBe('Bearer ghp_partnerkeys0123456789');
  });

  it("answers 503 when GitHub's key endpoint cannot be reached and the key is not cached", async () => {
    const { t, gh, signer, owner } = await setup();
    const key = await createKey(t, owner, 'k');
    gh.fail({ path: new RegExp(KEYS_PATH), times: 1, status: 502 });
    const res = await report(t.url, JSON.stringify([match(key.key, 'https://github.com/a/b/blob/1/x.env')]), signer);
    expect(res).toMatchObject({ status: 503, body: { error: { code: 'unavailable' } } });
    expect((await t.api('GET', `/api/v1/keys/${key.id}`)).body.status).toBe('active');
  });

  it('answers 503 for the whole batch when the key store is unavailable', async () => {
    const { t, signer } = await setup();
    expect((await report(t.url, '[]', signer)).status).toBe(200);
    t.redis.disconnect();
    const res = await report(
      t.url,
      JSON.stringify([match(generateKey(), 'https://github.com/a/b/blob/1/x.env'), match('not-a-key', '')]),
      signer,
    );
    expect(res).toMatchObject({ status: 503, body: { error: { code: 'unavailable' } } });
  });

  it("answers a batch of 1,000 tokens well within GitHub's 30 s", async () => {
    const { t, signer, owner } = await setup();
    const keys = await Promise.all(Array.from({ length: 50 }, (_, i) => createKey(t, owner, `k${i}`)));
    const tokens = [
      ...keys.map((k) => k.key),
      ...Array.from({ length: 450 }, () => generateKey()),
      ...Array.from({ length: 500 }, (_, i) => `neev_${String(i).padStart(38, 'x')}`),
    ];
    const started = performance.now();
    const res = await report(
      t.url,
      JSON.stringify(tokens.map((token, i) => match(token, `https://github.com/o/r/blob/1/f${i}.env`))),
      signer,
    );
    const elapsed = performance.now() - started;
    expect(res.status).toBe(200);
    expect(res.body.filter((f: any) => f.label === 'true_positive')).toHaveLength(50);
    expect(res.body).toHaveLength(1000);
    // The target is 2 s on an idle machine; this shared one gets slack, still far inside GitHub's 30 s.
    expect(elapsed).toBeLessThan(10_000);
  });
});

describe('neevscan serve', () => {
  it('wires the partner endpoint to the key store, the alert store and the notification queue', async () => {
    const prefix = freshPrefix();
    const redis = testRedis();
    cleanups.push(async () => {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    });
    const signer = makeSecretScanningKey();
    const gh = await startGitHubStandIn({ secretScanningKeys: [signer.publicKey] });
    cleanups.push(() => gh.close());
    const serve = await spawnServe({ NEEVSCAN_REDIS_PREFIX: prefix, GITHUB_API_URL: gh.url });
    cleanups.push(serve.stop);
    const owner = (await callApi(serve.url, 'POST', '/api/v1/owners', { body: { name: 'Acme' } })).body.id as string;
    const key = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'k' } })).body;

    const res = await report(serve.url, JSON.stringify([match(key.key, 'https://github.com/a/b/blob/1/x.env')]), signer);
    expect(res).toMatchObject({ status: 200, body: [{ token_hash: sha256Hex(key.key), token_type: TYPE, label: 'true_positive' }] });
    expect((await callApi(serve.url, 'GET', `/api/v1/keys/${key.id}`)).body).toMatchObject({
      status: 'revoked',
      revokedBy: 'leak-detector',
    });
    const alert = (await new AlertStore(redis, prefix).getByKeyId(key.id))!;
    expect(alert.locations[0]).toMatchObject({ source: 'partner', url: 'https://github.com/a/b/blob/1/x.env', partnerSource: 'content' });

    const queue = openJobQueue(notifyJobs, redis, prefix);
    cleanups.push(() => queue.close());
    const jobs = await queue.getJobs([...ALL_JOB_STATES]);
    expect(jobs.map((j) => j.data)).toEqual([{ alertId: alert.id }]);
    expect(Buffer.concat(await dumpPrefix(redis, prefix)).includes(key.key)).toBe(false);
    expect(serve.output()).not.toContain(key.key);
  });
});
