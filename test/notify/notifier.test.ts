import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/key-format/key.js';
import { DeliveryState } from '../../src/notify/delivery-state.js';
import { smtpMailer } from '../../src/notify/mailer.js';
import { processNotification, RetryLaterError, type NotifierDeps } from '../../src/notify/notifier.js';
import { safePost } from '../../src/notify/safe-webhook.js';
import { handleExposure } from '../../src/pipeline/handle-exposure.js';
import type { Exposure } from '../../src/core/exposure.js';
import { AlertStore } from '../../src/stores/alert-store.js';
import { RedisKeyStore } from '../../src/stores/redis-key-store.js';
import { REDIS_URL, deletePrefix, dumpPrefix, freshPrefix } from '../helpers/redis.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

/**
 * The notifier in-process against everything real but BullMQ: Redis, the key
 * and alert stores, an SMTP server and an HTTP receiver on loopback. Each
 * processNotification call is one run of a job, as BullMQ would make it
 * (retries, a stalled job run again).
 */

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function exposure(sha: string, repo: string, line = 3): Exposure {
  const now = new Date().toISOString();
  return {
    secretSha256: sha,
    redacted: 'neev_…abcd',
    ruleId: 'neevcloud-api-key',
    location: {
      source: 'push',
      repo,
      path: 'config/app.env',
      line,
      commit: 'c'.repeat(40),
      url: `https://github.com/${repo}/blob/${'c'.repeat(40)}/config/app.env#L${line}`,
      seenAt: now,
    },
    public: true,
    pushedAt: now,
    receivedAt: now,
  };
}

interface World {
  redis: Redis;
  prefix: string;
  smtp: SmtpSink;
  hooks: WebhookReceiver;
  keys: RedisKeyStore;
  alerts: AlertStore;
  state: DeliveryState;
  deps: NotifierDeps;
  logs: string[];
  key: string;
  keyId: string;
  /** Records an exposure of the key at `repo`; returns the alert id. */
  expose(repo: string): Promise<string>;
  run(alertId: string, jobId?: string, lastAttempt?: boolean): ReturnType<typeof processNotification>;
}

async function world(
  owner: { email?: boolean; webhook?: boolean } = { email: true, webhook: true },
  extra: Partial<NotifierDeps> = {},
): Promise<World> {
  const prefix = freshPrefix();
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const smtp = await startSmtpSink();
  const hooks = await startWebhookReceiver();
  cleanups.push(async () => {
    await hooks.close();
    await smtp.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });
  const keys = new RedisKeyStore(redis, prefix);
  const created = await keys.createOwner({
    name: 'Acme Inc',
    email: owner.email ? 'dev@acme.example' : null,
    webhookUrl: owner.webhook ? `${hooks.url}/hook` : null,
  });
  const { key, record } = await keys.createKey({ ownerId: created.id, name: 'Production Web App' });
  const alerts = new AlertStore(redis, prefix);
  const state = new DeliveryState(redis, prefix);
  const logs: string[] = [];
  const deps: NotifierDeps = {
    alerts,
    keyStore: keys,
    state,
    policy: 'public',
    mailer: smtpMailer(smtp.url, 'neevscan <alerts@neevscan.example>'),
    post: safePost,
    allowPrivateWebhooks: true,
    securityTeamEmail: undefined,
    securityTeamSlackWebhook: undefined,
    keysUrl: undefined,
    log: (m) => logs.push(m),
    ...extra,
  };
  const exposureDeps = { keyStore: keys, alerts, policy: 'public' as const };
  return {
    redis,
    prefix,
    smtp,
    hooks,
    keys,
    alerts,
    state,
    deps,
    logs,
    key,
    keyId: record.id,
    expose: async (repo) => (await handleExposure(exposureDeps, exposure(sha256Hex(key), repo))).alert!.id,
    run: (alertId, jobId = `alert-${alertId}`, lastAttempt = false) => processNotification(deps, { alertId, jobId, lastAttempt }),
  };
}

async function notifications(w: World, alertId: string) {
  return (await w.alerts.get(alertId))!.notifications;
}

describe('delivering a notice', () => {
  it('sends the owner one mail and one signed webhook, records both, and a second run of the job sends nothing', async () => {
    const w = await world();
    const alertId = await w.expose('octo-org/app');
    expect(await w.run(alertId)).toMatchObject({ outcome: 'delivered', notice: 1, channels: { email: 'sent', webhook: 'sent' } });
    expect(w.smtp.messages).toHaveLength(1);
    expect(w.smtp.messages[0]).toMatchObject({ to: ['dev@acme.example'], subject: expect.stringContaining('"Production Web App"') });
    expect(w.smtp.messages[0]!.headers['message-id']).toBe(`<${alertId}.email.1@neevscan.example>`);
    expect(w.hooks.requests).toHaveLength(1);
    expect(w.hooks.requests[0]!.headers).toMatchObject({
      'x-neevscan-event': 'key.exposed',
      'x-neevscan-delivery': `${alertId}.webhook.1`,
    });
    expect(await notifications(w, alertId)).toEqual([
      expect.objectContaining({ channel: 'email', notice: 1, status: 'sent', attempts: 1 }),
      expect.objectContaining({ channel: 'webhook', notice: 1, status: 'sent', attempts: 1 }),
    ]);

    // BullMQ runs a job again when its worker died after the work but before completing it.
    expect(await w.run(alertId)).toMatchObject({ outcome: 'delivered', channels: { email: 'done', webhook: 'done' } });
    expect(w.smtp.messages).toHaveLength(1);
    expect(w.hooks.requests).toHaveLength(1);
    expect(Buffer.concat(await dumpPrefix(w.redis, w.prefix)).includes(w.key)).toBe(false);
  });

  it('a receiver failing twice with 500 gets a third try; mail is not sent again; one success, 3 attempts, one delivery id', async () => {
    const w = await world();
    w.hooks.script('/hook', [500, 500]);
    const alertId = await w.expose('octo-org/app');
    await expect(w.run(alertId)).rejects.toBeInstanceOf(RetryLaterError);
    expect(await notifications(w, alertId)).toContainEqual(
      expect.objectContaining({ channel: 'webhook', status: 'retrying', attempts: 1, error: 'http_500' }),
    );
    await expect(w.run(alertId)).rejects.toThrow('will retry webhook');
    expect(await w.run(alertId)).toMatchObject({ outcome: 'delivered', channels: { email: 'done', webhook: 'sent' } });

    const webhook = (await notifications(w, alertId)).find((n) => n.channel === 'webhook')!;
    expect(webhook).toMatchObject({ status: 'sent', attempts: 3 });
    expect(webhook.error).toBeUndefined();
    expect(w.smtp.messages).toHaveLength(1);
    expect(w.hooks.requests.map((r) => r.status)).toEqual([500, 500, 204]);
    expect(new Set(w.hooks.requests.map((r) => r.headers['x-neevscan-delivery'])).size).toBe(1);
  });

  it('a 4xx answer is a permanent failure: recorded as failed, not retried, and the job completes', async () => {
    const w = await world();
    w.hooks.script('/hook', [410]);
    const alertId = await w.expose('octo-org/app');
    expect(await w.run(alertId)).toMatchObject({ outcome: 'delivered', channels: { email: 'sent', webhook: 'failed' } });
    expect(await w.run(alertId)).toMatchObject({ channels: { webhook: 'done' } });
    expect(w.hooks.requests).toHaveLength(1);
    expect((await notifications(w, alertId)).find((n) => n.channel === 'webhook')).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: 'http_410',
    });
  });

  it('on the last attempt a transient failure is given up and recorded as failed', async () => {
    const w = await world({ webhook: true });
    w.hooks.script('/hook', [503]);
    const alertId = await w.expose('octo-org/app');
    expect(await w.run(alertId, undefined, true)).toMatchObject({ channels: { webhook: 'failed' } });
    expect((await notifications(w, alertId)).find((n) => n.channel === 'webhook')).toMatchObject({ status: 'failed', error: 'http_503' });
  });

  it('SMTP: a 4xx reply is retried, a 5xx reply (unknown mailbox) is not', async () => {
    const w = await world({ email: true });
    w.smtp.failNext(1, 451);
    const alertId = await w.expose('octo-org/app');
    await expect(w.run(alertId)).rejects.toThrow('will retry email');
    expect((await notifications(w, alertId)).find((n) => n.channel === 'email')).toMatchObject({ status: 'retrying', error: 'smtp_451' });
    await w.run(alertId);
    expect((await notifications(w, alertId)).find((n) => n.channel === 'email')).toMatchObject({ status: 'sent', attempts: 2 });

    const other = await world({ email: true });
    other.smtp.failNext(1, 550);
    const second = await other.expose('octo-org/app');
    expect(await other.run(second)).toMatchObject({ channels: { email: 'failed' } });
    expect((await notifications(other, second)).find((n) => n.channel === 'email')).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: 'smtp_550',
    });
  });

  it('a channel another worker is sending is left to it; a claim left by a crashed worker lapses and the channel is sent', async () => {
    const w = await world({ webhook: true });
    const alertId = await w.expose('octo-org/app');
    await w.state.takeNotice(alertId, `alert-${alertId}`, Date.now());
    // A live claim: another worker is mid-send.
    await w.state.claim(alertId, 1, 'webhook', new Date());
    await expect(w.run(alertId)).rejects.toThrow('will retry webhook');
    expect(w.hooks.requests).toHaveLength(0);

    // That worker died: its claim is older than the lease.
    const other = await world({ webhook: true });
    const second = await other.expose('octo-org/app');
    await other.state.takeNotice(second, `alert-${second}`, Date.now());
    await other.state.claim(second, 1, 'webhook', new Date(Date.now() - 10 * 60_000));
    expect(await other.run(second)).toMatchObject({ channels: { webhook: 'sent' } });
    expect(other.hooks.requests).toHaveLength(1);
    expect((await notifications(other, second)).find((n) => n.channel === 'webhook')).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('an owner with no email and no webhook: both recorded as skipped, nothing retried', async () => {
    const w = await world({});
    const alertId = await w.expose('octo-org/app');
    expect(await w.run(alertId)).toMatchObject({ outcome: 'delivered', channels: { email: 'skipped', webhook: 'skipped' } });
    expect(await notifications(w, alertId)).toEqual([
      expect.objectContaining({ channel: 'email', status: 'skipped', attempts: 0, error: 'no_address' }),
      expect.objectContaining({ channel: 'webhook', status: 'skipped', attempts: 0, error: 'no_address' }),
    ]);
  });

  it('mail off (no SMTP_URL) shows on the alert as skipped: mail_off', async () => {
    const w = await world({ email: true }, { mailer: null });
    const alertId = await w.expose('octo-org/app');
    await w.run(alertId);
    expect((await notifications(w, alertId)).find((n) => n.channel === 'email')).toMatchObject({ status: 'skipped', error: 'mail_off' });
  });

  it('the security team gets its copy by mail and Slack on the first notice only', async () => {
    const w = await world({ email: true }, {});
    w.deps.securityTeamEmail = 'security@neevcloud.example';
    w.deps.securityTeamSlackWebhook = `${w.hooks.url}/slack`;
    const alertId = await w.expose('octo-org/app');
    await w.run(alertId);
    expect(w.smtp.messages.map((m) => m.to[0])).toEqual(expect.arrayContaining(['dev@acme.example', 'security@neevcloud.example']));
    const slack = w.hooks.requests.find((r) => r.path === '/slack')!;
    expect(JSON.parse(slack.body).text).toContain('"Production Web App"');
    expect(await notifications(w, alertId)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ channel: 'security-email', status: 'sent' }),
        expect.objectContaining({ channel: 'slack', status: 'sent' }),
      ]),
    );
  });
});

describe('one notice per burst, follow-ups for places found later', () => {
  const timing = { delayMs: 2000, followUpMs: 3600_000 };

  it('schedules one job while the first notice is pending, then one delayed follow-up at a time', async () => {
    const w = await world();
    const alertId = await w.expose('octo-org/app');
    const first = await w.state.schedule(alertId, Date.now(), timing);
    expect(first).toEqual({ jobId: `alert-${alertId}`, delayMs: 2000 });
    await w.expose('fork-1/app');
    expect(await w.state.schedule(alertId, Date.now(), timing)).toEqual(first);

    expect(await w.run(alertId)).toMatchObject({ notice: 1 });
    const mail = w.smtp.messages[0]!;
    expect(mail.text).toContain('WHERE IT WAS FOUND (2 places)');
    expect(mail.text).toContain('octo-org/app: config/app.env');
    expect(mail.text).toContain('fork-1/app: config/app.env');

    await w.expose('mirror/app');
    const followUp = await w.state.schedule(alertId, Date.now(), timing);
    expect(followUp.jobId).toBe(`alert-${alertId}-1`);
    expect(followUp.delayMs).toBeGreaterThan(3590_000);
    await w.expose('mirror-2/app');
    expect((await w.state.schedule(alertId, Date.now(), timing)).jobId).toBe(followUp.jobId);

    expect(await w.run(alertId, followUp.jobId)).toMatchObject({ outcome: 'delivered', notice: 2 });
    const second = w.smtp.messages[1]!;
    expect(second.subject).toContain('was found in 2 more places');
    expect(second.text).toContain('mirror/app');
    expect(second.text).toContain('mirror-2/app');
    expect(second.text).not.toContain('fork-1/app');
    const hook = JSON.parse(w.hooks.requests[1]!.body);
    expect(hook).toMatchObject({ event: 'key.exposed.follow_up', alert: { notice: 2 }, locationsInNotice: 2, locationsTotal: 4 });
    expect(w.hooks.requests[1]!.headers['x-neevscan-delivery']).toBe(`${alertId}.webhook.2`);

    // A redelivery (no new place) schedules a follow-up that finds nothing to tell.
    await w.expose('mirror-2/app');
    const idle = await w.state.schedule(alertId, Date.now(), timing);
    expect(await w.run(alertId, idle.jobId)).toEqual({ outcome: 'nothing-new' });
    expect(w.smtp.messages).toHaveLength(2);
  });

  it('no follow-ups once the alert is resolved', async () => {
    const w = await world({ email: true });
    const alertId = await w.expose('octo-org/app');
    await w.run(alertId);
    await w.redis.hset(w.alerts.names.alert(alertId), 'st', 'resolved', 'rs', 'revoked');
    await w.expose('fork/app');
    const { jobId } = await w.state.schedule(alertId, Date.now(), timing);
    expect(await w.run(alertId, jobId)).toEqual({ outcome: 'resolved' });
    expect(w.smtp.messages).toHaveLength(1);
  });
});
