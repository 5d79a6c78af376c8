import { webhookExamples } from '../helpers/webhook-examples.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyNeevscanSignature } from '../../docs/examples/verify-neevscan-webhook.mjs';
import { AlertStore, type AlertNotification } from '../../src/stores/alert-store.js';
import { RedisKeyStore } from '../../src/stores/redis-key-store.js';
import { WEBHOOK_SECRET, deliver as deliverEvent, until } from '../helpers/pipeline.js';
import { deletePrefix, dumpPrefix, freshPrefix, testRedis } from '../helpers/redis.js';
import { callApi, spawnServe } from '../helpers/server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

/**
 * `neevscan serve` as a process, with SMTP_URL at a real SMTP server and
 * owner webhooks at a real HTTP receiver, both on loopback: a key pasted into
 * a GitHub comment travels receiver → exposure worker → revoke → alert →
 * notify queue → mail and signed webhook. Delays and backoff are shrunk by
 * their documented settings so the file runs in seconds.
 */

const commentExample = (webhookExamples as Array<{ name: string; examples: Array<Record<string, any>> }>)
  .find((e) => e.name === 'issue_comment')!
  .examples.find((e) => e.action === 'created')!;

/** GitHub's issue_comment example with this body, at its own comment URL (a distinct place). */
function comment(body: string, n: number) {
  const example = structuredClone(commentExample);
  const html_url = `${example.issue.html_url}#issuecomment-${9000 + n}`;
  return {
    ...example,
    comment: { ...example.comment, id: 9000 + n, html_url, body },
    repository: { ...example.repository, private: false },
  };
}

const FAST = { NEEVSCAN_NOTIFY_DELAY_MS: '1000', NEEVSCAN_NOTIFY_BACKOFF_MS: '150', NEEVSCAN_NOTIFY_FOLLOW_UP_SECONDS: '2' };

interface Service {
  url: string;
  prefix: string;
  output: () => string;
  stop(): Promise<void>;
}

let smtp: SmtpSink;
let hooks: WebhookReceiver;
const redis = testRedis();
const prefixes: string[] = [];
const services: Service[] = [];

async function serve(env: Record<string, string>): Promise<Service> {
  const prefix = freshPrefix();
  prefixes.push(prefix);
  const s = await spawnServe({
    NEEVSCAN_REDIS_PREFIX: prefix,
    GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
    SMTP_URL: smtp.url,
    MAIL_FROM: 'NeevCloud Security <security@neevcloud.example>',
    ...FAST,
    ...env,
  });
  const service = { url: s.url, prefix, output: s.output, stop: s.stop };
  services.push(service);
  return service;
}

let main: Service;

beforeAll(async () => {
  smtp = await startSmtpSink();
  hooks = await startWebhookReceiver();
  main = await serve({
    NEEVSCAN_ALLOW_PRIVATE_WEBHOOKS: '1',
    SECURITY_TEAM_EMAIL: 'secteam@neevcloud.example',
    SECURITY_TEAM_SLACK_WEBHOOK: `${hooks.url}/slack`,
  });
});

afterAll(async () => {
  for (const s of services) await s.stop();
  for (const p of prefixes) await deletePrefix(redis, p);
  redis.disconnect();
  await hooks.close();
  await smtp.close();
});

async function ownerAndKey(service: Service, name: string, webhookPath: string | null, webhookBase = hooks.url) {
  const owner = await callApi(service.url, 'POST', '/api/v1/owners', {
    body: {
      name: `${name} Inc`,
      email: `${name.toLowerCase()}@owner.example`,
      ...(webhookPath ? { webhookUrl: `${webhookBase}${webhookPath}` } : {}),
    },
  });
  expect(owner.status).toBe(201);
  const key = (await callApi(service.url, 'POST', '/api/v1/keys', { body: { ownerId: owner.body.id, name: `${name} Production` } })).body;
  return {
    owner: owner.body as { id: string; email: string; webhookSecret: string | null },
    key: key as { id: string; key: string; hint: string },
  };
}

const mailsTo = (address: string) => smtp.messages.filter((m) => m.to.includes(address));
const hooksAt = (path: string) => hooks.requests.filter((r) => r.path === path);

async function alertOf(service: Service, keyId: string) {
  return until(async () => (await new AlertStore(redis, service.prefix).getByKeyId(keyId)) ?? undefined, 'the alert');
}

async function channelStatus(service: Service, keyId: string, channel: AlertNotification['channel'], status: string) {
  return until(async () => {
    const alert = await new AlertStore(redis, service.prefix).getByKeyId(keyId);
    return alert?.notifications.find((n) => n.channel === channel && n.status === status && n.notice === 1);
  }, `${channel} ${status}`);
}

describe('owner notifications, end to end', () => {
  it('a key pasted in a public comment: within seconds one mail and one signed webhook reach the owner, the security team gets mail and Slack, the alert shows it', async () => {
    const { owner, key } = await ownerAndKey(main, 'Alpha', '/alpha');
    const sentAt = Date.now();
    expect((await deliverEvent(main.url, 'issue_comment', comment(`my key: ${key.key}`, 1), 'e2e-alpha')).status).toBe(202);

    const mail = await until(async () => mailsTo(owner.email)[0], 'the owner mail');
    const hook = await until(async () => hooksAt('/alpha')[0], 'the owner webhook');
    const latencyMs = Date.now() - sentAt;
    expect(latencyMs).toBeLessThan(8000);

    expect(mail.subject).toBe(`NeevCloud API key "Alpha Production" (${key.hint}) was exposed and revoked`);
    expect(mail.text).toContain(comment('', 1).comment.html_url);
    expect(mail.text).toContain('We revoked the key automatically at');
    expect(mail.html).toContain('Alpha Production');

    expect(hook.headers['x-neevscan-event']).toBe('key.exposed');
    expect(
      verifyNeevscanSignature({
        secret: owner.webhookSecret!,
        rawBody: Buffer.from(hook.body),
        timestamp: hook.headers['x-neevscan-timestamp'],
        signature: hook.headers['x-neevscan-signature'],
      }),
    ).toBe(true);
    const body = JSON.parse(hook.body);
    expect(body).toMatchObject({
      version: 1,
      event: 'key.exposed',
      key: { id: key.id, name: 'Alpha Production', hint: key.hint, status: 'revoked' },
      action: { kind: 'revoked' },
    });
    expect(body.locations).toEqual([expect.objectContaining({ source: 'comment', url: comment('', 1).comment.html_url })]);

    const sec = await until(
      async () => mailsTo('secteam@neevcloud.example').find((m) => m.subject.includes('Alpha Production')),
      'the security team mail',
    );
    expect(sec.subject).toContain('[neevscan] New alert');
    const slack = await until(async () => hooksAt('/slack').find((r) => r.body.includes('Alpha Production')), 'the Slack message');
    expect(JSON.parse(slack.body).text).toContain(key.hint);

    await channelStatus(main, key.id, 'slack', 'sent');
    const alert = await alertOf(main, key.id);
    expect(alert.notifications).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ channel: 'email', status: 'sent', attempts: 1, notice: 1 }),
        expect.objectContaining({ channel: 'webhook', status: 'sent', attempts: 1, notice: 1 }),
        expect.objectContaining({ channel: 'security-email', status: 'sent', attempts: 1 }),
        expect.objectContaining({ channel: 'slack', status: 'sent', attempts: 1 }),
      ]),
    );
    // Once: nothing more arrives for this key.
    await new Promise((r) => setTimeout(r, 1500));
    expect(mailsTo(owner.email)).toHaveLength(1);
    expect(hooksAt('/alpha')).toHaveLength(1);

    const metrics = await (await fetch(`${main.url}/metrics`)).text();
    expect(metrics).toMatch(/neevscan_notifications_sent_total\{channel="email"\} [1-9]/);
    expect(metrics).toContain('neevscan_notification_latency_seconds_bucket');

    for (const text of [mail.raw, sec.raw, hook.body, slack.body, main.output()]) expect(text).not.toContain(key.key);
    expect(Buffer.concat(await dumpPrefix(redis, main.prefix)).includes(key.key)).toBe(false);
    console.log(`alert → owner mail and webhook: ${latencyMs} ms (comment delivered → both received, NEEVSCAN_NOTIFY_DELAY_MS=1000)`);
  });

  it('a receiver that fails twice with 500 then succeeds: exactly one success recorded, 3 attempts, one delivery id', async () => {
    const { owner, key } = await ownerAndKey(main, 'Beta', '/beta');
    hooks.script('/beta', [500, 500]);
    expect((await deliverEvent(main.url, 'issue_comment', comment(`key ${key.key}`, 2), 'e2e-beta')).status).toBe(202);
    const sent = await channelStatus(main, key.id, 'webhook', 'sent');
    expect(sent.attempts).toBe(3);
    expect(hooksAt('/beta').map((r) => r.status)).toEqual([500, 500, 204]);
    expect(new Set(hooksAt('/beta').map((r) => r.headers['x-neevscan-delivery'])).size).toBe(1);
    expect(mailsTo(owner.email)).toHaveLength(1);
    expect((await alertOf(main, key.id)).notifications.find((n) => n.channel === 'email')).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('the same key in several places within the window: one notification lists them all; a place found later comes as a follow-up', async () => {
    const { owner, key } = await ownerAndKey(main, 'Gamma', '/gamma');
    const payloads = [3, 4, 5].map((n) => comment(`leaked ${key.key}`, n));
    for (const [i, p] of payloads.entries()) expect((await deliverEvent(main.url, 'issue_comment', p, `e2e-gamma-${i}`)).status).toBe(202);

    const mail = await until(async () => mailsTo(owner.email)[0], 'the owner mail');
    expect(mail.text).toContain('WHERE IT WAS FOUND (3 places)');
    for (const p of payloads) expect(mail.text).toContain(p.comment.html_url);
    const hook = await until(async () => hooksAt('/gamma')[0], 'the webhook');
    expect(JSON.parse(hook.body).locations).toHaveLength(3);
    // The security team's mail is its own channel: it may land after the owner's.
    await until(
      async () => (mailsTo('secteam@neevcloud.example').some((m) => m.subject.includes('Gamma Production')) ? true : undefined),
      'the security team mail',
    );
    expect(mailsTo('secteam@neevcloud.example').filter((m) => m.subject.includes('Gamma Production'))).toHaveLength(1);

    const later = comment(`again ${key.key}`, 6);
    expect((await deliverEvent(main.url, 'issue_comment', later, 'e2e-gamma-later')).status).toBe(202);
    const followUp = await until(async () => mailsTo(owner.email)[1], 'the follow-up mail', 15_000);
    expect(followUp.subject).toContain('was found in 1 more place');
    expect(followUp.text).toContain(later.comment.html_url);
    expect(followUp.text).not.toContain(payloads[0]!.comment.html_url);
    const secondHook = await until(async () => hooksAt('/gamma')[1], 'the follow-up webhook');
    expect(JSON.parse(secondHook.body)).toMatchObject({ event: 'key.exposed.follow_up', locationsInNotice: 1, locationsTotal: 4 });
    // Follow-ups are for the owner; the security team heard of the alert once.
    // The security team's mail is its own channel: it may land after the owner's.
    await until(
      async () => (mailsTo('secteam@neevcloud.example').some((m) => m.subject.includes('Gamma Production')) ? true : undefined),
      'the security team mail',
    );
    expect(mailsTo('secteam@neevcloud.example').filter((m) => m.subject.includes('Gamma Production'))).toHaveLength(1);
  });
});

describe('owner webhooks without NEEVSCAN_ALLOW_PRIVATE_WEBHOOKS', () => {
  it('plain http and internal addresses are refused when the owner is created; a name that resolves to loopback by delivery time is refused then (failed, not retried), and mail still goes', async () => {
    const strict = await serve({});
    const port = new URL(hooks.url).port;
    for (const webhookUrl of [
      `${hooks.url}/strict`,
      `https://localhost:${port}/strict`,
      'https://169.254.169.254/latest/meta-data/',
      'https://[::1]/x',
      'https://10.1.2.3/x',
    ]) {
      const refused = await callApi(strict.url, 'POST', '/api/v1/owners', { body: { name: 'Refused Inc', webhookUrl } });
      expect(refused.status, webhookUrl).toBe(400);
    }

    // An owner whose host name was public when it was registered and resolves to loopback now (DNS changed, or rebinding).
    const owner = await new RedisKeyStore(redis, strict.prefix).createOwner({
      name: 'Delta Inc',
      email: 'delta@owner.example',
      webhookUrl: `https://localhost:${port}/strict`,
    });
    const key = (await callApi(strict.url, 'POST', '/api/v1/keys', { body: { ownerId: owner.id, name: 'Delta Production' } })).body;
    expect((await deliverEvent(strict.url, 'issue_comment', comment(`k ${key.key}`, 7), 'e2e-delta')).status).toBe(202);
    const failed = await channelStatus(strict, key.id, 'webhook', 'failed');
    expect(failed).toMatchObject({ attempts: 1, error: 'refused_address' });
    await until(async () => mailsTo('delta@owner.example')[0], 'the owner mail');
    expect(hooksAt('/strict')).toHaveLength(0);
    expect(strict.output()).not.toContain(`localhost:${port}`);
  });
});
