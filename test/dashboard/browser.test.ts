import { webhookExamples } from '../helpers/webhook-examples.js';
import { copyFileSync, mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WEBHOOK_SECRET, deliver, until } from '../helpers/pipeline.js';
import { launchChromium } from '../helpers/chromium.js';
import { deletePrefix, freshPrefix, testRedis } from '../helpers/redis.js';
import { callApi, spawnServe } from '../helpers/server.js';
import { startSmtpSink } from '../helpers/smtp.js';

/**
 * The whole alert lifecycle in a real browser: chromium, headless, driven by
 * playwright-core, against `neevscan serve` as its own process. The chromium
 * comes with `npm ci` (test/helpers/chromium.ts). Skipped only when
 * NEEVSCAN_SKIP_BROWSER=1; no chromium fails it, so the dashboard is never
 * silently untested.
 */
const SKIP = process.env.NEEVSCAN_SKIP_BROWSER === '1';
const OUTPUT = new URL('../../test-output/', import.meta.url);
const README_SCREENSHOT = new URL('../../docs/dashboard.png', import.meta.url);

const commentExample = (webhookExamples as Array<{ name: string; examples: Array<Record<string, any>> }>)
  .find((e) => e.name === 'issue_comment')!
  .examples.find((e) => e.action === 'created')!;

/** GitHub's own issue_comment example, posted just now on a public repository. */
function comment(body: string, id: number) {
  const example = structuredClone(commentExample);
  const postedAt = new Date(Date.now() - 1200).toISOString();
  return {
    ...example,
    comment: {
      ...example.comment,
      id,
      body,
      created_at: postedAt,
      updated_at: postedAt,
      html_url: `${example.issue.html_url}#issuecomment-${id}`,
    },
    repository: { ...example.repository, private: false },
  };
}

let browser: Browser | undefined;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  if (SKIP) return;
  ({ browser } = await launchChromium());
}, 120_000);
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.skipIf(SKIP)('the dashboard in a browser', () => {
  it('signs in, sees a pipeline alert, gets a new one live, resolves it by keyboard, and sees it leave the open list', async () => {
    const prefix = freshPrefix();
    const redis = testRedis();
    cleanups.push(async () => {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    });
    // Mail goes to a real SMTP server, so the owner's notification is delivered and shows on the alert.
    const smtp = await startSmtpSink();
    cleanups.push(() => smtp.close());
    const serve = await spawnServe({
      NEEVSCAN_REDIS_PREFIX: prefix,
      GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
      NEEVSCAN_DASHBOARD_POLL_SECONDS: '1',
      SMTP_URL: smtp.url,
      NEEVSCAN_NOTIFY_DELAY_MS: '0',
    });
    cleanups.push(serve.stop);
    const ownerId = (await callApi(serve.url, 'POST', '/api/v1/owners', { body: { name: 'Acme Inc', email: 'security@acme.example' } }))
      .body.id;
    const security = (await callApi(serve.url, 'POST', '/api/v1/tokens', { body: { name: 'priya@security.example', scope: 'security' } }))
      .body.token as string;
    const newKey = async (name: string) =>
      (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId, name } })).body as { id: string; key: string; hint: string };
    const openAlertFor = (keyId: string) =>
      until(async () => {
        const list = (await callApi(serve.url, 'GET', '/api/v1/alerts?state=open')).body.alerts as Array<{ id: string; keyId: string }>;
        return list.find((a) => a.keyId === keyId);
      }, 'the alert');

    // An alert made by the real pipeline: a key, in use, pasted into a public issue comment.
    const first = await newKey('Production Web App');
    const gateway = (await callApi(serve.url, 'POST', '/api/v1/tokens', { body: { name: 'gateway', scope: 'gateway' } })).body
      .token as string;
    for (const tokens of [1200, 800, 2500]) {
      expect((await callApi(serve.url, 'POST', '/api/v1/authenticate', { token: gateway, body: { key: first.key, tokens } })).status).toBe(
        200,
      );
    }
    expect((await deliver(serve.url, 'issue_comment', comment(`deploy with NEEV_API_KEY=${first.key}`, 9001), 'browser-1')).status).toBe(
      202,
    );
    const alert = await openAlertFor(first.id);

    const context = await browser!.newContext({ viewport: { width: 1280, height: 860 } });
    cleanups.push(() => context.close());
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));

    // Signed out: the dashboard sends the browser to sign in; a wrong token is refused.
    await page.goto(serve.url);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('API token').fill('nvs_wrong_token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('That token was not accepted');
    await page.getByLabel('API token').fill(security);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${serve.url}/`);
    problems.length = 0; // the refused sign-in's 401 is logged as a failed load: expected
    const cookies = await context.cookies();
    expect(cookies).toEqual([expect.objectContaining({ name: 'neevscan_session', httpOnly: true, sameSite: 'Strict' })]);
    expect(
      await page.evaluate(() => {
        // Runs in the page: its globals, typed here because the tests compile without the DOM lib (it would clash with Node's fetch types).
        const { localStorage, document } = globalThis as unknown as { localStorage: Record<string, string>; document: { cookie: string } };
        return JSON.stringify(localStorage) + document.cookie;
      }),
    ).not.toContain(security.slice(4));

    const rows = page.locator('table.alerts tbody tr[data-id]');
    await expect.poll(() => rows.count()).toBe(1);
    await expect.poll(() => page.locator(`tr[data-id="${alert.id}"]`).textContent()).toContain('Production Web App');

    // A second leak arrives while the list is open: it appears without a reload.
    const second = await newKey('Billing worker');
    expect((await deliver(serve.url, 'issue_comment', comment(`try ${second.key} here`, 9002), 'browser-2')).status).toBe(202);
    const secondAlert = await openAlertFor(second.id);
    await expect.poll(() => page.locator(`tr[data-id="${secondAlert.id}"]`).count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => page.locator('#live').textContent()).toContain('1 new alert');
    await expect.poll(() => page.locator('[data-count="open"]').textContent()).toBe('2');
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: new URL('dashboard-list.png', OUTPUT).pathname });

    // Open the first alert: key, owner, place, timeline, usage, the owner's notification; no raw key anywhere.
    await until(
      async () =>
        (await callApi(serve.url, 'GET', `/api/v1/alerts/${alert.id}`)).body.timeline.some((e: { event: string }) => e.event === 'notified')
          ? true
          : undefined,
      'the owner to be mailed',
    );
    await page.getByRole('link', { name: first.hint }).click();
    await page.waitForURL(`${serve.url}/alerts/${alert.id}`);
    const detail = page.locator('main');
    await expect.poll(() => detail.textContent()).toContain('Acme Inc');
    const text = (await detail.textContent())!;
    expect(text).toContain('Production Web App');
    expect(text).toContain('Key revoked');
    expect(text).toContain('Owner notified');
    expect(text).toContain('a comment');
    expect(text).toContain('3 requests and 4,500 tokens since the key was exposed');
    expect(await page.locator('svg.chart').count()).toBe(2);
    expect(
      await page
        .locator('main table')
        .first()
        .getByRole('link', { name: /^open / })
        .getAttribute('href'),
    ).toContain('#issuecomment-9001');
    await page.screenshot({ path: new URL('dashboard-detail.png', OUTPUT).pathname, fullPage: true });

    // Resolve it, by keyboard: choose, write, then Enter on the focused button.
    await page.getByLabel('Resolution').selectOption('revoked');
    await page.locator('#resolve-comment').fill('Revoked by neevscan within a second; owner rotated.');
    await page.getByRole('button', { name: 'Resolve', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(`${serve.url}/alerts/${alert.id}?done=resolved`);
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('The alert is resolved.');
    expect(await detail.textContent()).toContain('priya@security.example');

    // It has left the open list, and is under Resolved.
    await page.getByRole('navigation', { name: 'Alerts' }).getByRole('link', { name: 'Open alerts' }).click();
    await page.waitForURL(`${serve.url}/?state=open`);
    await expect.poll(() => page.locator(`tr[data-id="${alert.id}"]`).count()).toBe(0);
    await expect.poll(() => page.locator(`tr[data-id="${secondAlert.id}"]`).count()).toBe(1);
    await page.screenshot({ path: new URL('dashboard-open-after-resolve.png', OUTPUT).pathname });
    await page
      .getByRole('link', { name: /^Resolved/ })
      .first()
      .click();
    await expect.poll(() => page.locator(`tr[data-id="${alert.id}"]`).count()).toBe(1);

    const html = await page.content();
    expect(html).not.toContain(first.key);
    expect(html).not.toContain(second.key);
    expect(problems).toEqual([]);
    expect(serve.output()).not.toContain(first.key);

    // What happened is on the service's /metrics, with queue depths read at the scrape.
    const metrics = await (await fetch(`${serve.url}/metrics`)).text();
    expect(metrics).toContain('neevscan_webhook_deliveries_total{event="issue_comment",outcome="accepted"} 2');
    expect(metrics).toContain('neevscan_findings_total{source="comment",outcome="revoked"} 2');
    expect(metrics).toContain('neevscan_revocations_total{source="comment"} 2');
    expect(metrics).toMatch(/^neevscan_push_to_revoke_seconds_count\{source="comment"\} 2$/m);
    expect(metrics).toContain('neevscan_queue_jobs{queue="exposure",state="waiting"} 0');
    expect(metrics).toContain('neevscan_alert_review_actions_total{action="resolved"} 1');
    expect(metrics).toMatch(/^neevscan_notifications_sent_total\{channel="email"\} [12]$/m);

    // The README's picture is refreshed on request only, so a test run never dirties the checkout.
    if (process.env.NEEVSCAN_UPDATE_SCREENSHOT === '1') copyFileSync(new URL('dashboard-detail.png', OUTPUT), README_SCREENSHOT);
  }, 60_000);
});
