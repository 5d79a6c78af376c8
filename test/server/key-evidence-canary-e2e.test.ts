import { webhookExamples } from '../helpers/webhook-examples.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../../src/key-format/key.js';
import { AlertStore } from '../../src/stores/alert-store.js';
import { WEBHOOK_SECRET, deliver as deliverEvent, until } from '../helpers/pipeline.js';
import { deletePrefix, dumpPrefix, freshPrefix, testRedis } from '../helpers/redis.js';
import { callApi, spawnServe } from '../helpers/server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

/**
 * `neevscan serve` as a process with a real SMTP sink and webhook receiver: what the gateway tells authenticate
 * about its callers ends up in the alert, the owner's mail and webhook; a canary presented to authenticate is
 * refused like an unknown key and raises an alert to the owner and the security team; a revoked key is replaced.
 */

const commentExample = (webhookExamples as Array<{ name: string; examples: Array<Record<string, any>> }>)
  .find((e) => e.name === 'issue_comment')!
  .examples.find((e) => e.action === 'created')!;

/** GitHub's issue_comment example, posted now, with this body, public. */
function comment(body: string, n: number) {
  const example = structuredClone(commentExample);
  const now = new Date().toISOString();
  const html_url = `${example.issue.html_url}#issuecomment-${7000 + n}`;
  return {
    ...example,
    comment: { ...example.comment, id: 7000 + n, html_url, body, created_at: now, updated_at: now },
    repository: { ...example.repository, private: false },
  };
}

let smtp: SmtpSink;
let hooks: WebhookReceiver;
const redis = testRedis();
const prefixes: string[] = [];
const stops: Array<() => Promise<void>> = [];
let url: string;
let prefix: string;

async function serve(env: Record<string, string>): Promise<{ url: string; prefix: string }> {
  const p = freshPrefix();
  prefixes.push(p);
  const s = await spawnServe({
    NEEVSCAN_REDIS_PREFIX: p,
    GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
    SMTP_URL: smtp.url,
    NEEVSCAN_NOTIFY_DELAY_MS: '1500',
    NEEVSCAN_NOTIFY_BACKOFF_MS: '150',
    NEEVSCAN_NOTIFY_FOLLOW_UP_SECONDS: '2',
    NEEVSCAN_ALLOW_PRIVATE_WEBHOOKS: '1',
    SECURITY_TEAM_EMAIL: 'secteam@neevcloud.example',
    NEEVSCAN_KEYS_URL: 'https://console.neevcloud.example/api-keys',
    ...env,
  });
  stops.push(s.stop);
  return { url: s.url, prefix: p };
}

beforeAll(async () => {
  smtp = await startSmtpSink();
  hooks = await startWebhookReceiver();
  // Nothing revoked automatically: the evidence test needs the exposed key to keep working for the intruder.
  ({ url, prefix } = await serve({ REVOKE_POLICY: 'off' }));
}, 60_000);

afterAll(async () => {
  for (const stop of stops) await stop();
  for (const p of prefixes) await deletePrefix(redis, p);
  redis.disconnect();
  await hooks.close();
  await smtp.close();
});

const api = (method: string, path: string, body?: unknown, base = url) => callApi(base, method, path, body === undefined ? {} : { body });

async function gatewayToken(base = url): Promise<string> {
  const res = await api('POST', '/api/v1/tokens', { name: 'gateway', scope: 'gateway' }, base);
  expect(res.status).toBe(201);
  return res.body.token;
}

async function owner(name: string, webhookPath: string | null, base = url) {
  const res = await api(
    'POST',
    '/api/v1/owners',
    { name, email: `${name.toLowerCase()}@owner.example`, ...(webhookPath ? { webhookUrl: `${hooks.url}${webhookPath}` } : {}) },
    base,
  );
  expect(res.status).toBe(201);
  return res.body as { id: string; email: string };
}

const mailsTo = (address: string) => smtp.messages.filter((m) => m.to.includes(address));

describe('caller evidence since the exposure', () => {
  it('the alert, the owner mail and the signed webhook name the address and user agent first seen after the exposure, not the usual caller', async () => {
    const gateway = await gatewayToken();
    const o = await owner('Evid', '/evid');
    const key = (await api('POST', '/api/v1/keys', { ownerId: o.id, name: 'Evid Production' })).body as { id: string; key: string };
    const auth = (context: Record<string, unknown>) =>
      callApi(url, 'POST', '/api/v1/authenticate', { token: gateway, body: { key: key.key, tokens: 10, ...context } });
    const usual = { clientIp: '10.1.1.1', userAgent: 'acme-app/2.1', endpoint: 'llama-3-70b' };
    for (let i = 0; i < 3; i++) expect((await auth(usual)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect((await deliverEvent(url, 'issue_comment', comment(`leaked ${key.key}`, 1), 'evid-1')).status).toBe(202);
    const intruder = { clientIp: '203.0.113.9', userAgent: 'python-requests/2.31', endpoint: 'llama-3-70b' };
    for (let i = 0; i < 2; i++) expect((await auth(intruder)).status).toBe(200);
    expect((await auth(usual)).status).toBe(200);
    // Hostile context never breaks authentication: an address that is not one is dropped, control characters go.
    expect((await auth({ clientIp: 'not-an-ip', userAgent: 'x\u0007y' })).status).toBe(200);
    expect((await auth({ userAgent: 'u'.repeat(2000) })).status).toBe(400);

    const mail = await until(async () => mailsTo(o.email)[0], 'the owner mail');
    expect(mail.text).toContain('WHO USED IT');
    expect(mail.text).toMatch(/New address: +203\.0\.113\.9 +2 requests/);
    expect(mail.text).toContain('New user agent: python-requests/2.31');
    expect(mail.text).not.toContain('New address:    10.1.1.1');
    expect(mail.text).not.toContain(key.key);
    expect(mail.html).toContain('203.0.113.9');

    const hook = await until(async () => hooks.requests.find((r) => r.path === '/evid'), 'the owner webhook');
    const payload = JSON.parse(hook.body);
    expect(payload.callers.newAddresses.map((c: { value: string }) => c.value)).toEqual(['203.0.113.9']);
    expect(payload.callers.newUserAgents.map((c: { value: string }) => c.value)).toEqual(['python-requests/2.31', 'xy']);
    expect(payload.callers.distinctAddresses).toBe(2);
    expect(payload.callers.firstNewUseDelayMs).toBeGreaterThanOrEqual(0);
    expect(payload.callers.firstNewUseDelayMs).toBeLessThan(60_000);

    const alert = await until(async () => (await new AlertStore(redis, prefix).getByKeyId(key.id)) ?? undefined, 'the alert');
    const detail = (await api('GET', `/api/v1/alerts/${alert.id}`)).body;
    const callers = detail.callersSinceExposure;
    expect(callers.newAddresses).toEqual([{ value: '203.0.113.9', requests: 2, firstSeenAt: expect.any(String) }]);
    expect(callers.addresses).toEqual(
      expect.arrayContaining([
        { value: '203.0.113.9', requests: 2 },
        { value: '10.1.1.1', requests: 4 },
      ]),
    );
    expect(callers.endpoints[0]).toEqual({ value: 'llama-3-70b', requests: 6 });
    expect(Date.parse(callers.firstNewUseAt)).toBeGreaterThanOrEqual(Date.parse(callers.since));
    // Never the key in the summaries.
    const dump = Buffer.concat(await dumpPrefix(redis, prefix));
    expect(dump.includes(key.key)).toBe(false);
  });
});

describe('canary keys', () => {
  it('answers 401 exactly like an unknown key and alerts the owner and the security team with the caller', async () => {
    const gateway = await gatewayToken();
    const o = await owner('Trap', '/trap');
    const created = await api('POST', '/api/v1/keys', {
      ownerId: o.id,
      name: 'Billing',
      canary: true,
      canaryLabel: 'planted in staging .env',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ canary: true, canaryLabel: 'planted in staging .env' });
    const canary = created.body as { id: string; key: string; hint: string };

    const caller = { clientIp: '198.51.100.7', userAgent: 'curl/8.4.0', endpoint: '/v1/chat/completions' };
    const used = await callApi(url, 'POST', '/api/v1/authenticate', { token: gateway, body: { key: canary.key, ...caller } });
    const unknown = await callApi(url, 'POST', '/api/v1/authenticate', { token: gateway, body: { key: generateKey(), ...caller } });
    expect(used.status).toBe(401);
    expect(used.body).toEqual(unknown.body);
    expect([...used.headers.keys()].sort()).toEqual([...unknown.headers.keys()].sort());

    const mail = await until(async () => mailsTo(o.email)[0], 'the owner mail');
    expect(mail.subject).toBe(`SECURITY: canary key "Billing" (${canary.hint}) was used`);
    expect(mail.text).toContain('Used from 198.51.100.7, user agent "curl/8.4.0", for /v1/chat/completions');
    expect(mail.text).toContain('planted in staging .env');
    expect(mail.text).not.toContain(canary.key);
    const team = await until(
      async () => mailsTo('secteam@neevcloud.example').find((m) => m.subject.includes('CANARY USED')),
      'the security team mail',
    );
    expect(team.subject).toContain(`key "Billing" (${canary.hint}) of Trap`);
    // A second caller: the owner and, for a canary, the security team hear of it too (a follow-up).
    expect(
      (await callApi(url, 'POST', '/api/v1/authenticate', { token: gateway, body: { key: canary.key, clientIp: '198.51.100.99' } })).status,
    ).toBe(401);
    const again = await until(
      async () =>
        mailsTo('secteam@neevcloud.example').find((m) => m.subject.includes('was used again') || m.text.includes('198.51.100.99')),
      'the follow-up',
    );
    expect(again.text).toContain('Used from 198.51.100.99');
    await until(
      async () => mailsTo(o.email).find((m) => m.subject === `SECURITY: canary key "Billing" (${canary.hint}) was used again`),
      'the owner follow-up',
    );
    const hook = JSON.parse((await until(async () => hooks.requests.find((r) => r.path === '/trap'), 'the owner webhook')).body);
    expect(hook.action.kind).toBe('canary');
    expect(hook.canary).toEqual({ label: 'planted in staging .env' });
    expect(hook.locations[0]).toMatchObject({
      source: 'canary-use',
      caller: { clientIp: '198.51.100.7', userAgent: 'curl/8.4.0', endpoint: '/v1/chat/completions' },
    });

    const alert = await new AlertStore(redis, prefix).getByKeyId(canary.id);
    const detail = (await api('GET', `/api/v1/alerts/${alert!.id}`)).body;
    expect(detail).toMatchObject({ canary: true, canaryLabel: 'planted in staging .env', keyStatus: 'active', key: { canary: true } });
    // The owner and admins see which keys are canaries.
    const listed = (await api('GET', `/api/v1/keys?ownerId=${o.id}`)).body.keys;
    expect(listed).toEqual([
      expect.objectContaining({
        id: canary.id,
        canary: true,
        canaryLabel: 'planted in staging .env',
        usage24h: { requests: 0, tokens: 0 },
      }),
    ]);
  });

  it('a canary found in a public comment is alerted as a canary and not revoked, even where every key found is revoked', async () => {
    const strict = await serve({ REVOKE_POLICY: 'all' });
    const o = await owner('Wild', null, strict.url);
    const canary = (await api('POST', '/api/v1/keys', { ownerId: o.id, name: 'Decoy', canary: true, canaryLabel: 'wiki page' }, strict.url))
      .body;
    const real = (await api('POST', '/api/v1/keys', { ownerId: o.id, name: 'Real' }, strict.url)).body;
    expect((await deliverEvent(strict.url, 'issue_comment', comment(`${canary.key} and ${real.key}`, 2), 'wild-1')).status).toBe(202);
    const mail = await until(async () => mailsTo(o.email).find((m) => m.subject.includes('canary')), 'the canary mail');
    expect(mail.subject).toBe(`SECURITY: canary key "Decoy" (${canary.hint}) was found`);
    expect(mail.text).toContain('This key is a canary (planted in: wiki page)');
    expect((await api('GET', `/api/v1/keys/${canary.id}`, undefined, strict.url)).body.status).toBe('active');
    await until(
      async () => ((await api('GET', `/api/v1/keys/${real.id}`, undefined, strict.url)).body.status === 'revoked' ? true : undefined),
      'the real key revoked',
    );
  });
});

describe('replacing a revoked key', () => {
  it('the owner notice says how; replace makes one new key, the old alert records it, a second replace is a 409 naming it', async () => {
    const strict = await serve({});
    const o = await owner('Repl', null, strict.url);
    const old = (
      await api(
        'POST',
        '/api/v1/keys',
        { ownerId: o.id, name: 'Repl Production', rateLimit: { requests: 5, windowSeconds: 60 } },
        strict.url,
      )
    ).body;
    expect((await api('POST', `/api/v1/keys/${old.id}/replace`, undefined, strict.url)).status).toBe(409);
    expect((await deliverEvent(strict.url, 'issue_comment', comment(`oops ${old.key}`, 3), 'repl-1')).status).toBe(202);
    const mail = await until(async () => mailsTo(o.email)[0], 'the owner mail');
    expect(mail.text).toContain(`neevscan keys replace ${old.id}`);
    expect(mail.text).toContain('https://console.neevcloud.example/api-keys');

    const replaced = await api('POST', `/api/v1/keys/${old.id}/replace`, undefined, strict.url);
    expect(replaced.status).toBe(201);
    expect(replaced.headers.get('cache-control')).toBe('no-store');
    expect(replaced.body).toMatchObject({
      name: 'Repl Production',
      ownerId: o.id,
      replaces: old.id,
      rateLimit: { requests: 5, windowSeconds: 60 },
      status: 'active',
    });
    const alert = (await api('GET', `/api/v1/alerts/${replaced.body.alertId}`, undefined, strict.url)).body;
    expect(alert).toMatchObject({ keyId: old.id, replacedBy: replaced.body.id, key: { replacedBy: replaced.body.id, status: 'revoked' } });
    const again = await api('POST', `/api/v1/keys/${old.id}/replace`, undefined, strict.url);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'already_replaced', keyId: replaced.body.id });
  });
});
