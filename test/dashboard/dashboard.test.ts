import { afterEach, describe, expect, it } from 'vitest';
import { keyHint, sha256Hex } from '../../src/key-format/key.js';
import { handleExposure } from '../../src/pipeline/handle-exposure.js';
import type { LocationRecord } from '../../src/core/exposure.js';
import { AlertStore, type Alert } from '../../src/stores/alert-store.js';
import { dumpPrefix } from '../helpers/redis.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { changeLastChar } from '../helpers/tamper.js';
import { asLocation } from '../helpers/location.js';

const COMMIT = '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function setup(env: Record<string, string> = {}) {
  const t = await startServer(env);
  servers.push(t);
  const alerts = new AlertStore(t.redis, t.prefix);
  const ownerId = (await t.api('POST', '/api/v1/owners', { body: { name: 'Acme Inc', email: 'sec@acme.example' } })).body.id as string;
  const mint = async (scope: string, name = `${scope} person`) =>
    (await t.api('POST', '/api/v1/tokens', { body: { name, scope } })).body as { id: string; token: string };
  /** A key leaked at `where`, through the pipeline's confirm → revoke → alert stage. */
  const leak = async (name: string, where: Partial<LocationRecord> = {}, isPublic = true): Promise<{ key: string; alert: Alert }> => {
    const created = (await t.api('POST', '/api/v1/keys', { body: { ownerId, name } })).body as { key: string };
    const now = new Date().toISOString();
    const { alert } = await handleExposure(
      { keyStore: t.server.store, alerts, policy: 'public' },
      {
        secretSha256: sha256Hex(created.key),
        redacted: keyHint(created.key),
        ruleId: 'neevcloud-api-key',
        location: asLocation({
          source: 'push',
          repo: 'octo-org/app',
          path: 'config/app.env',
          line: 3,
          commit: COMMIT,
          url: `https://github.com/octo-org/app/blob/${COMMIT}/config/app.env#L3`,
          seenAt: now,
          ...where,
        }),
        public: isPublic,
        pushedAt: now,
        receivedAt: now,
      },
    );
    return { key: created.key, alert: alert! };
  };
  return { t, alerts, mint, leak, origin: t.url };
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

async function request(url: string, init: RequestInit & { cookie?: string } = {}): Promise<Answer> {
  const headers = new Headers(init.headers);
  if (init.cookie) headers.set('cookie', init.cookie);
  const response = await fetch(url, { ...init, headers, redirect: 'manual' });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function postForm(url: string, form: Record<string, string>, options: { cookie?: string; headers?: Record<string, string> } = {}) {
  return request(url, {
    method: 'POST',
    body: new URLSearchParams(form).toString(),
    cookie: options.cookie,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...options.headers },
  });
}

/** Signs in like a browser on the dashboard's own page; returns the cookie to send back and the CSRF token from a page. */
async function signIn(base: string, token: string) {
  const answer = await postForm(`${base}/login`, { token, next: '/' }, { headers: { origin: base, 'sec-fetch-site': 'same-origin' } });
  expect(answer.status).toBe(303);
  const setCookie = answer.headers.get('set-cookie')!;
  const cookie = setCookie.split(';')[0]!;
  const home = await request(`${base}/`, { cookie });
  expect(home.status).toBe(200);
  return { cookie, setCookie, csrf: csrfOf(home.text), home };
}

const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;

describe('dashboard: sign-in and the session cookie', () => {
  it('signs in with a security token into an httpOnly, SameSite=Strict cookie that is not the token; refuses wrong and gateway tokens', async () => {
    const { t, mint, origin } = await setup();
    const security = await mint('security', 'alice@example.com');
    const gateway = await mint('gateway');

    const login = await request(`${t.url}/login`);
    expect(login.status).toBe(200);
    expect(login.text).toContain('<form method="post" action="/login"');
    expect((await request(`${t.url}/`)).headers.get('location')).toBe('/login?next=%2F');

    const wrong = await postForm(`${t.url}/login`, { token: 'nvs_not_a_token' }, { headers: { origin } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(wrong.text).toContain('That token was not accepted');
    const gatewayAnswer = await postForm(`${t.url}/login`, { token: gateway.token }, { headers: { origin } });
    expect(gatewayAnswer.status).toBe(403);
    expect(gatewayAnswer.headers.get('set-cookie')).toBeNull();

    const { cookie, setCookie, home } = await signIn(t.url, security.token);
    expect(setCookie).toMatch(/^neevscan_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; SameSite=Strict/);
    expect(setCookie).toMatch(/; Path=\//);
    expect(setCookie).not.toMatch(/Secure/);
    expect(cookie).not.toContain(security.token);
    expect(home.text).toContain('Signed in as <strong>alice@example.com</strong>');
    // Redis holds neither the token nor the cookie's value.
    const dump = Buffer.concat(await dumpPrefix(t.redis, t.prefix));
    expect(dump.includes(security.token)).toBe(false);
    expect(dump.includes(cookie.split('=')[1]!)).toBe(false);
    // An open redirect it is not.
    const elsewhere = await postForm(`${t.url}/login`, { token: security.token, next: '//evil.example/' }, { headers: { origin } });
    expect(elsewhere.headers.get('location')).toBe('/');
  });

  it('ends the session on sign-out, when its token is deleted, and after its lifetime', async () => {
    const { t, mint } = await setup({ NEEVSCAN_SESSION_MAX_SECONDS: '1' });
    const a = await mint('security');
    const first = await signIn(t.url, a.token);
    const out = await postForm(`${t.url}/logout`, { _csrf: first.csrf }, { cookie: first.cookie, headers: { origin: t.url } });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/^neevscan_session=;/);
    expect((await request(`${t.url}/`, { cookie: first.cookie })).status).toBe(303);

    const second = await signIn(t.url, a.token);
    expect((await t.api('DELETE', `/api/v1/tokens/${a.id}`)).status).toBe(204);
    expect((await request(`${t.url}/`, { cookie: second.cookie })).status).toBe(303);
    const rows = await request(`${t.url}/ui/rows?state=open`, { cookie: second.cookie });
    expect(rows.status).toBe(401);

    const b = await mint('security');
    const third = await signIn(t.url, b.token);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await request(`${t.url}/`, { cookie: third.cookie })).status).toBe(303);
  });

  it('with an https public URL, the cookie is Secure and __Host- prefixed, and forms must come from that origin', async () => {
    const { t, mint } = await setup({ NEEVSCAN_PUBLIC_URL: 'https://neevscan.example.com' });
    const a = await mint('security');
    const fromHost = await postForm(`${t.url}/login`, { token: a.token }, { headers: { origin: t.url } });
    expect(fromHost.status).toBe(403);
    const ok = await postForm(`${t.url}/login`, { token: a.token }, { headers: { origin: 'https://neevscan.example.com' } });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('set-cookie')).toMatch(/^__Host-neevscan_session=[^;]+;.*; Secure/);
    expect(ok.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
  });

  it('rate-limits sign-in attempts per address', async () => {
    const { t, origin } = await setup({ NEEVSCAN_LOGIN_RATE_LIMIT: '3/60' });
    for (let i = 0; i < 3; i++)
      expect((await postForm(`${t.url}/login`, { token: `nvs_guess_${i}` }, { headers: { origin } })).status).toBe(401);
    const limited = await postForm(`${t.url}/login`, { token: 'nvs_guess_4' }, { headers: { origin } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.text).toContain('Too many sign-in attempts');
  });
});

describe('dashboard: refusals', () => {
  it('refuses state changes without the CSRF token, with a wrong one, and from another site', async () => {
    const { t, mint, leak, alerts } = await setup();
    const { alert } = await leak('Production Web App');
    const { cookie, csrf } = await signIn(t.url, (await mint('security')).token);
    const resolve = (form: Record<string, string>, headers: Record<string, string>) =>
      postForm(`${t.url}/alerts/${alert.id}/resolve`, form, { cookie, headers });
    const same = { origin: t.url, 'sec-fetch-site': 'same-origin' };

    const missing = await resolve({ resolution: 'revoked' }, same);
    expect(missing.status).toBe(403);
    expect(missing.text).toContain('CSRF token is missing or wrong');
    expect((await resolve({ resolution: 'revoked', _csrf: changeLastChar(csrf) }, same)).status).toBe(403);
    expect((await resolve({ resolution: 'revoked', _csrf: csrf }, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await resolve({ resolution: 'revoked', _csrf: csrf }, { origin: t.url, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await resolve({ resolution: 'revoked', _csrf: csrf }, { origin: t.url, 'sec-fetch-site': 'same-site' })).status).toBe(403);
    expect((await resolve({ resolution: 'revoked', _csrf: csrf }, { origin: 'null' })).status).toBe(403);
    // Sign-in from another site is refused too (no login CSRF).
    expect((await postForm(`${t.url}/login`, { token: 'x' }, { headers: { origin: 'https://evil.example' } })).status).toBe(403);
    // None of it changed the alert.
    expect((await alerts.get(alert.id))!.state).toBe('open');

    const done = await resolve({ resolution: 'revoked', comment: 'gone', _csrf: csrf }, same);
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(`/alerts/${alert.id}?done=resolved`);
    expect(await alerts.get(alert.id)).toMatchObject({ state: 'resolved', resolution: 'revoked', resolutionComment: 'gone' });
  });

  it('answers with strict security headers and never caches a page', async () => {
    const { t, mint } = await setup();
    const { cookie } = await signIn(t.url, (await mint('security')).token);
    for (const path of ['/login', '/']) {
      const page = await request(`${t.url}${path}`, { cookie });
      const csp = page.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("form-action 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      expect(page.headers.get('referrer-policy')).toBe('same-origin');
      expect(page.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(page.headers.get('cache-control')).toBe('no-store');
      // No inline script or style for the CSP to have to allow.
      expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)/);
      expect(page.text).not.toMatch(/\sstyle=/);
      expect(page.text).not.toMatch(/\son[a-z]+=/);
    }
    const js = await request(`${t.url}/assets/dashboard.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await request(`${t.url}/assets/other.js`)).status).toBe(404);
  });
});

describe('dashboard: the pages', () => {
  it('lists, shows and exports alerts with everything escaped and never a raw key', async () => {
    const { t, mint, leak } = await setup();
    const hostile = await leak('<script>alert(1)</script>', {
      repo: 'octo-org/app',
      path: '"><img src=x onerror=alert(2)>.env',
      url: 'javascript:alert(3)',
    });
    const privateLeak = await leak('Staging', { repo: 'octo-org/internal', path: 'x.env' }, false);
    const { cookie, home } = await signIn(t.url, (await mint('security', 'sam <sam@example.com>')).token);

    expect(home.text).toContain(`href="/alerts/${hostile.alert.id}"`);
    expect(home.text).toContain(`href="/alerts/${privateLeak.alert.id}"`);
    expect(home.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(home.text).toContain('sam &lt;sam@example.com&gt;');
    expect(home.text).toMatch(/data-count="open">2</);
    const detail = await request(`${t.url}/alerts/${hostile.alert.id}`, { cookie });
    expect(detail.status).toBe(200);
    expect(detail.text).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;.env');
    expect(detail.text).not.toContain('<img');
    expect(detail.text).not.toContain('href="javascript:');
    expect(detail.text).toContain('Push to revoke');
    // The private key still works: the page offers to revoke it, and charts its use since it leaked.
    const gateway = await mint('gateway');
    expect(
      (await t.api('POST', '/api/v1/authenticate', { token: gateway.token, body: { key: privateLeak.key, tokens: 1234 } })).status,
    ).toBe(200);
    const privatePage = await request(`${t.url}/alerts/${privateLeak.alert.id}`, { cookie });
    expect(privatePage.text).toContain('Revoke the key now');
    expect(privatePage.text).toContain('<strong>1</strong> request and <strong>1,234</strong> tokens since the key was exposed');
    expect(privatePage.text).toMatch(/<svg class="chart"[^>]*role="img"/);
    expect(privatePage.text).toContain('1 request, 1,234 tokens');

    const rows = await request(`${t.url}/ui/rows?state=open`, { cookie });
    expect(rows.status).toBe(200);
    const live = JSON.parse(rows.text);
    expect(live.counts).toMatchObject({ open: 2, resolved: 0 });
    expect(live.rows).toContain(privateLeak.alert.id);
    const csv = await request(`${t.url}/export.csv?state=`, { cookie });
    expect(csv.status).toBe(200);
    expect(csv.text).toContain(hostile.alert.id);

    for (const text of [home.text, detail.text, privatePage.text, rows.text, csv.text]) {
      expect(text).not.toContain(hostile.key);
      expect(text).not.toContain(privateLeak.key);
    }
    expect((await request(`${t.url}/alerts/alt_0000000000000000`, { cookie })).status).toBe(404);
  });

  it('works an alert through the forms: assign, revoke the key, resolve, reopen, with refusals shown on the page', async () => {
    const { t, mint, leak, alerts } = await setup();
    const { alert } = await leak('Staging', {}, false);
    const { cookie, csrf } = await signIn(t.url, (await mint('security', 'alice')).token);
    const post = (action: string, form: Record<string, string>) =>
      postForm(
        `${t.url}/alerts/${alert.id}/${action}`,
        { ...form, _csrf: csrf },
        { cookie, headers: { origin: t.url, 'sec-fetch-site': 'same-origin' } },
      );

    const refused = await post('resolve', { resolution: 'revoked' });
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('still works: revoke it before resolving as revoked');
    expect((await post('assign', { assignee: 'alice' })).headers.get('location')).toBe(`/alerts/${alert.id}?done=assigned`);
    expect((await post('revoke-key', { comment: '' })).headers.get('location')).toBe(`/alerts/${alert.id}?done=key_revoked`);
    expect((await post('resolve', { resolution: 'revoked', comment: 'line one\nline two' })).status).toBe(303);
    expect((await post('comment', { comment: 'told the owner' })).status).toBe(303);
    const page = await request(`${t.url}/alerts/${alert.id}?done=resolved`, { cookie });
    expect(page.text).toContain('The alert is resolved.');
    expect(page.text).toContain('line one<br>line two');
    expect(page.text).toMatch(/<strong>alice<\/strong>.*assigned it to/);
    expect(page.text).toContain('revoked the key');
    expect((await post('reopen', {})).status).toBe(303);
    expect(await alerts.get(alert.id)).toMatchObject({ state: 'open', assignee: 'alice', keyStatus: 'revoked' });
    expect((await post('resolve', { resolution: 'bogus' })).status).toBe(400);
  });
});
