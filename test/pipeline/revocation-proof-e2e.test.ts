import { webhookExamples } from '../helpers/webhook-examples.js';
import { createServer, type Server as HttpServer } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/key-format/key.js';
import { RedisKeyStore } from '../../src/stores/redis-key-store.js';
import { TestRepo } from '../helpers/github/test-repo.js';
import { INSTALLATION, WEBHOOK_SECRET, deliver as deliverEvent, startPipeline, until } from '../helpers/pipeline.js';
import { githubPushPayload } from '../helpers/push-payload.js';
import { deletePrefix, dumpPrefix, freshPrefix, testRedis } from '../helpers/redis.js';
import { ADMIN, callApi, spawnServe, startServer, type TestServer } from '../helpers/server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.js';
import { tempDir } from '../helpers/tmp.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

/**
 * Proof of revocation, through the running service: after revoking, the verify-revocation job asks the gateway's
 * own authenticate (probe mode) whether the key still works. A live key pushed to a public repository ends with
 * verifiedRevokedAt on the alert, in the owner's mail and webhook, on the check run and the dashboard. A key store
 * whose revoke answers "revoked" but leaves the key working raises an incident to the security team, and the alert
 * ends "failed", unverified.
 */

let smtp: SmtpSink;
let hooks: WebhookReceiver;
const SECURITY = 'secteam@neevcloud.example';

beforeAll(async () => {
  smtp = await startSmtpSink();
  hooks = await startWebhookReceiver();
});
afterAll(async () => {
  await hooks.close();
  await smtp.close();
});

const mailsTo = (address: string) => smtp.messages.filter((m) => m.to.includes(address));
const notifyEnv = () => ({
  SMTP_URL: smtp.url,
  SECURITY_TEAM_EMAIL: SECURITY,
  SECURITY_TEAM_SLACK_WEBHOOK: `${hooks.url}/slack`,
  NEEVSCAN_ALLOW_PRIVATE_WEBHOOKS: '1',
  NEEVSCAN_NOTIFY_DELAY_MS: '1000',
  NEEVSCAN_NOTIFY_BACKOFF_MS: '150',
});

describe('proof of revocation', () => {
  it('a live key pushed to a public repository: revoked, then verified through the gateway check; the alert, notice, check run and dashboard show it', async () => {
    const { gh, prefix, redis, serve } = await startPipeline(undefined, { env: notifyEnv() });
    const owner = (
      await callApi(serve.url, 'POST', '/api/v1/owners', {
        body: { name: 'Proof Inc', email: 'proof@owner.example', webhookUrl: `${hooks.url}/proof` },
      })
    ).body;
    const created = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner.id, name: 'Proof Production' } })).body;

    const repo = TestRepo.init(join(tempDir(), 'proof'));
    const base = repo.commit('initial', { 'README.md': '# app\n' });
    const head = repo.commit('add config', { 'config/app.env': `NEEV_API_KEY=${created.key}\n` });
    gh.addRepo({ owner: 'octo-org', name: 'proof', path: repo.path, private: false, installationId: INSTALLATION });
    const payload = githubPushPayload({
      owner: 'octo-org',
      name: 'proof',
      private: false,
      before: base,
      after: head,
      installation: INSTALLATION,
    });
    expect((await deliverEvent(serve.url, 'push', payload, 'proof-a')).status).toBe(202);

    const listed = await until(async () => {
      const page = (await callApi(serve.url, 'GET', `/api/v1/alerts?ownerId=${owner.id}`)).body;
      const alert = page.alerts?.[0];
      return alert?.verifiedRevokedAt ? alert : undefined;
    }, 'the verified revocation in the alert list');
    expect(listed).toMatchObject({ keyId: created.id, keyStatus: 'revoked', revocationVerification: 'verified' });
    expect(Date.parse(listed.verifiedRevokedAt)).toBeGreaterThanOrEqual(Date.parse(listed.revokedAt));
    const detail = (await callApi(serve.url, 'GET', `/api/v1/alerts/${listed.id}`)).body;
    expect(detail).toMatchObject({ verifiedRevokedAt: listed.verifiedRevokedAt, revocationVerification: 'verified' });
    expect(detail.timeline.map((t: { event: string }) => t.event)).toEqual(expect.arrayContaining(['revoked', 'verified_revoked']));
    // The probe spent none of the key's use: the gateway saw no request with it.
    expect((await callApi(serve.url, 'GET', `/api/v1/keys/${created.id}`)).body.lastUsedAt).toBeNull();
    // And the key is refused by the gateway itself.
    expect((await callApi(serve.url, 'POST', '/api/v1/authenticate', { body: { key: created.key } })).status).toBe(401);

    const mail = await until(async () => mailsTo('proof@owner.example')[0], 'the owner mail');
    expect(mail.text).toContain('Verified at');
    expect(mail.text).toContain('the API refuses the key');
    const hook = await until(async () => hooks.requests.find((r) => r.path === '/proof'), 'the owner webhook');
    expect(JSON.parse(hook.body).action).toMatchObject({
      kind: 'revoked',
      verifiedRevokedAt: listed.verifiedRevokedAt,
      revocationVerification: 'verified',
    });

    const run = await until(async () => gh.checkRuns.find((r) => r.head_sha === head && r.conclusion), 'the check run');
    expect(run.output.annotations[0]?.message).toMatch(/revoked at .*, verified at .*: the API refuses it/);

    // The dashboard's alert page, signed in with a security token like a browser.
    const token = (await callApi(serve.url, 'POST', '/api/v1/tokens', { body: { name: 'reviewer', scope: 'security' } })).body.token;
    const login = await fetch(`${serve.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ token, next: '/' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: serve.url, 'sec-fetch-site': 'same-origin' },
    });
    expect(login.status).toBe(303);
    const page = await (
      await fetch(`${serve.url}/alerts/${listed.id}`, { headers: { cookie: login.headers.get('set-cookie')!.split(';')[0]! } })
    ).text();
    expect(page).toContain('<dt>Revocation verified</dt>');
    expect(page).toContain(`<time datetime="${listed.verifiedRevokedAt}">`);
    expect(page).toContain('Revocation verified (the API refuses the key)');

    const metrics = await (await fetch(`${serve.url}/metrics`)).text();
    expect(metrics).toMatch(/neevscan_revocations_verified_total\{outcome="verified"\} 1/);
    // No incident for a revocation that took.
    expect(mailsTo(SECURITY).filter((m) => m.subject.includes('INCIDENT'))).toHaveLength(0);

    // Found again (a new delivery of the same push): already verified, so no second check is made.
    expect((await deliverEvent(serve.url, 'push', payload, 'proof-b')).status).toBe(202);
    await until(
      async () =>
        gh.checkRuns.filter((r) => r.head_sha === head).length === 1 && gh.requests.some((r) => r.method === 'PATCH') ? true : undefined,
      'the second run',
    );
    // The gateway refused the key at the first try, made where it was revoked: no verify-revocation job was needed, for
    // either delivery (a key that still authenticates gets one: the next test).
    const checks = await redis.keys(`${prefix}{q:verify-revocation}:verify-revocation:alt_*`);
    expect(checks).toHaveLength(0);

    expect(Buffer.concat(await dumpPrefix(redis, prefix)).includes(created.key)).toBe(false);
    for (const text of [mail.raw, hook.body, JSON.stringify(run), serve.output()]) expect(text).not.toContain(created.key);
  }, 90_000);

  it('a key store whose revoke says "revoked" but leaves the key working: INCIDENT mail and Slack to the security team, revoked again, and the alert ends unverified', async () => {
    const store: TestServer = await startServer();
    const lying = await lyingKeyStore(store.url);
    const prefix = freshPrefix();
    const redis = testRedis();
    const serve = await spawnServe({
      NEEVSCAN_REDIS_PREFIX: prefix,
      GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
      NEEVSCAN_KEYSTORE_URL: lying.url,
      NEEVSCAN_KEYSTORE_TOKEN: ADMIN,
      NEEVSCAN_REVOCATION_CHECK_ATTEMPTS: '3',
      NEEVSCAN_REVOCATION_CHECK_BACKOFF_MS: '100',
      ...notifyEnv(),
    });
    try {
      const owner = (await store.api('POST', '/api/v1/owners', { body: { name: 'Lied Inc', email: 'lied@owner.example' } })).body;
      const created = (await store.api('POST', '/api/v1/keys', { body: { ownerId: owner.id, name: 'Lied Production' } })).body;
      expect((await deliverEvent(serve.url, 'issue_comment', publicComment(`my key: ${created.key}`), 'lied-1')).status).toBe(202);

      const incident = await until(async () => mailsTo(SECURITY).find((m) => m.subject.includes('INCIDENT')), 'the incident mail');
      expect(incident.subject).toBe(`[neevscan] INCIDENT: revoked key still authenticates: "Lied Production" (${created.hint})`);
      expect(incident.text).toContain(created.id);
      const slack = await until(
        async () => hooks.requests.find((r) => r.path === '/slack' && r.body.includes('INCIDENT')),
        'the incident Slack message',
      );
      expect(JSON.parse(slack.body).text).toContain(created.hint);

      const alert = await until(async () => {
        const page = (await callApi(serve.url, 'GET', '/api/v1/alerts')).body;
        const found = page.alerts?.find((a: { keyId: string }) => a.keyId === created.id);
        return found?.revocationVerification === 'failed' ? found : undefined;
      }, 'the alert to say verification failed');
      expect(alert).toMatchObject({ keyStatus: 'revoked', verifiedRevokedAt: null });
      expect(alert.notifications).toEqual(
        expect.arrayContaining([expect.objectContaining({ channel: 'incident-email', status: 'sent', notice: 1 })]),
      );
      // Each check that found it live revoked it again (3 checks: the first revoke, then 2 more before the last check).
      expect(lying.revokes()).toBe(3);
      // The key really does still work, and the incident was told once, however many checks found it live.
      expect((await store.api('POST', '/api/v1/authenticate', { body: { key: created.key } })).status).toBe(200);
      expect(mailsTo(SECURITY).filter((m) => m.subject.includes('INCIDENT'))).toHaveLength(1);

      const metrics = await (await fetch(`${serve.url}/metrics`)).text();
      expect(metrics).toMatch(/neevscan_revocations_verified_total\{outcome="still_authenticates"\} 2/);
      expect(metrics).toMatch(/neevscan_revocations_verified_total\{outcome="failed"\} 1/);
      for (const text of [incident.raw, slack.body, serve.output()]) expect(text).not.toContain(created.key);
    } finally {
      await serve.stop();
      await lying.close();
      await store.close();
      await deletePrefix(redis, prefix);
      redis.disconnect();
    }
  }, 90_000);

  it("the probe takes the gateway's decision without spending the key's rate limit or counting usage", async () => {
    const store: TestServer = await startServer();
    try {
      const owner = (await store.api('POST', '/api/v1/owners', { body: { name: 'Limits Inc' } })).body;
      const created = (
        await store.api('POST', '/api/v1/keys', {
          body: { ownerId: owner.id, name: 'Limited', rateLimit: { requests: 1, windowSeconds: 3600 } },
        })
      ).body;
      const keys = new RedisKeyStore(store.redis, store.prefix);
      const sha = sha256Hex(created.key);
      for (let i = 0; i < 5; i++) expect(await keys.authenticatesByHash(sha)).toBe(true);
      // The one request the limit allows is still there: the probes spent none of it.
      expect((await store.api('POST', '/api/v1/authenticate', { body: { key: created.key } })).status).toBe(200);
      expect((await store.api('POST', '/api/v1/authenticate', { body: { key: created.key } })).status).toBe(429);
      // Rate-limited is still "authenticates": the key is live.
      expect((await store.api('POST', '/api/v1/authenticate/probe', { body: { sha256: sha } })).body).toEqual({ authenticates: true });
      const usage = (await store.api('GET', `/api/v1/keys/${created.id}/usage`)).body.buckets;
      expect(usage).toMatchObject([{ requests: 1 }]);
      await store.api('POST', `/api/v1/keys/${created.id}/revoke`, { body: {} });
      expect((await store.api('POST', '/api/v1/authenticate/probe', { body: { sha256: sha } })).body).toEqual({ authenticates: false });
      expect((await store.api('POST', '/api/v1/authenticate/probe', { body: { sha256: 'f'.repeat(64) } })).body).toEqual({
        authenticates: false,
      });
      expect((await store.api('POST', '/api/v1/authenticate/probe', { body: { sha256: 'nope' } })).status).toBe(400);
      // A reader's question: no token, no answer; a gateway token is not a reader.
      expect((await store.api('POST', '/api/v1/authenticate/probe', { token: null, body: { sha256: sha } })).status).toBe(401);
      const gateway = (await store.api('POST', '/api/v1/tokens', { body: { name: 'gw', scope: 'gateway' } })).body.token;
      expect((await store.api('POST', '/api/v1/authenticate/probe', { token: gateway, body: { sha256: sha } })).status).toBe(403);
    } finally {
      await store.close();
    }
  });
});

const commentExample = (webhookExamples as Array<{ name: string; examples: Array<Record<string, any>> }>)
  .find((e) => e.name === 'issue_comment')!
  .examples.find((e) => e.action === 'created')!;

function publicComment(body: string) {
  const example = structuredClone(commentExample);
  return {
    ...example,
    comment: { ...example.comment, id: 7001, html_url: `${example.issue.html_url}#issuecomment-7001`, body },
    repository: { ...example.repository, private: false },
  };
}

/**
 * A key store in front of the real one that lies about revoking: it answers a revoke with the record marked
 * revoked and leaves the key as it was. Everything else (confirm, owners, usage, the authenticate probe) passes through.
 */
async function lyingKeyStore(realUrl: string): Promise<{ url: string; revokes: () => number; close(): Promise<void> }> {
  let revokes = 0;
  const server: HttpServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const revoke = /^\/api\/v1\/keys\/([^/]+)\/revoke$/.exec(req.url ?? '');
      try {
        if (req.method === 'POST' && revoke) {
          revokes++;
          const record = await fetch(`${realUrl}/api/v1/keys/${revoke[1]}`, {
            headers: { authorization: req.headers.authorization ?? '' },
          });
          const body = record.ok
            ? {
                ...((await record.json()) as Record<string, unknown>),
                status: 'revoked',
                revokedAt: new Date().toISOString(),
                revokedBy: 'leak-detector',
                revokedReason: 'lied',
              }
            : undefined;
          res.writeHead(record.status, { 'content-type': 'application/json' }).end(body ? JSON.stringify(body) : '');
          return;
        }
        const headers: Record<string, string> = { authorization: req.headers.authorization ?? '' };
        if (req.headers['content-type']) headers['content-type'] = req.headers['content-type'];
        const answer = await fetch(realUrl + req.url, {
          method: req.method,
          headers,
          body: chunks.length ? Buffer.concat(chunks) : undefined,
        });
        res
          .writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' })
          .end(Buffer.from(await answer.arrayBuffer()));
      } catch {
        res.writeHead(502).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, revokes: () => revokes, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
