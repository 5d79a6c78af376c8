import { afterEach, describe, expect, it } from 'vitest';
import { keyHint, sha256Hex } from '../../src/key-format/key.js';
import { handleExposure } from '../../src/pipeline/handle-exposure.js';
import { AlertStore } from '../../src/stores/alert-store.js';
import { until } from '../helpers/pipeline.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { asLocation } from '../helpers/location.js';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

/** Signs in like a browser; returns the session cookie. */
async function signIn(t: TestServer): Promise<string> {
  const token = (await t.api('POST', '/api/v1/tokens', { body: { name: 'sec person', scope: 'security' } })).body.token as string;
  const answer = await fetch(`${t.url}/login`, {
    method: 'POST',
    body: new URLSearchParams({ token, next: '/' }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: t.url, 'sec-fetch-site': 'same-origin' },
    redirect: 'manual',
  });
  expect(answer.status).toBe(303);
  return answer.headers.get('set-cookie')!.split(';')[0]!;
}

const page = async (t: TestServer, path: string, cookie: string) => (await fetch(`${t.url}${path}`, { headers: { cookie } })).text();

describe('dashboard: the alert page shows callers since the exposure and canaries', () => {
  it('lists the new address and user agent (escaped) apart from the usual caller; a canary alert says canary, its label and the caller', async () => {
    const t = await startServer();
    servers.push(t);
    const alerts = new AlertStore(t.redis, t.prefix);
    const ownerId = (await t.api('POST', '/api/v1/owners', { body: { name: 'Acme Inc' } })).body.id as string;
    const gateway = (await t.api('POST', '/api/v1/tokens', { body: { name: 'gw', scope: 'gateway' } })).body.token as string;
    const key = (await t.api('POST', '/api/v1/keys', { body: { ownerId, name: 'Production' } })).body as { id: string; key: string };
    const auth = (k: string, context: Record<string, string>) =>
      t.api('POST', '/api/v1/authenticate', { token: gateway, body: { key: k, ...context } });
    expect((await auth(key.key, { clientIp: '10.0.0.5', userAgent: 'acme-app/1' })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const now = new Date().toISOString();
    const { alert } = await handleExposure(
      { keyStore: t.server.store, alerts, policy: 'off' },
      {
        secretSha256: sha256Hex(key.key),
        redacted: keyHint(key.key),
        ruleId: 'neevcloud-api-key',
        location: asLocation({ source: 'push', repo: 'octo-org/app', path: '.env', line: 1, commit: null, url: null, seenAt: now }),
        public: true,
        pushedAt: now,
        receivedAt: now,
      },
    );
    expect((await auth(key.key, { clientIp: '203.0.113.50', userAgent: '<script>x</script>', endpoint: 'llama-3-70b' })).status).toBe(200);
    const cookie = await signIn(t);

    const detail = await page(t, `/alerts/${alert!.id}`, cookie);
    expect(detail).toContain('Who used it since it was exposed');
    expect(detail).toMatch(/New addresses \(not seen before the exposure\)<\/caption>.*<code>203\.0\.113\.50<\/code>/s);
    expect(detail).toContain('<code>&lt;script&gt;x&lt;/script&gt;</code>');
    expect(detail).not.toContain('<script>x');
    expect(detail).not.toMatch(/New addresses[^]*<code>10\.0\.0\.5<\/code>[^]*New user agents/);
    expect(detail).toContain('First use by a new caller');

    const canary = (await t.api('POST', '/api/v1/keys', { body: { ownerId, name: 'Decoy', canary: true, canaryLabel: 'backup bucket' } }))
      .body as { id: string; key: string };
    expect((await auth(canary.key, { clientIp: '198.51.100.23', userAgent: 'curl/8.4.0' })).status).toBe(401);
    const canaryAlert = await until(async () => (await alerts.getByKeyId(canary.id)) ?? undefined, 'the canary alert');
    const canaryPage = await page(t, `/alerts/${canaryAlert.id}`, cookie);
    expect(canaryPage).toContain('planted in: backup bucket');
    expect(canaryPage).toContain('Used from 198.51.100.23, user agent &quot;curl/8.4.0&quot;');
    expect(canaryPage).not.toContain(canary.key);
  });
});
