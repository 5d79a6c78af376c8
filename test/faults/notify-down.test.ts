import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertNotification } from '../../src/stores/alert-store.js';
import {
  alertsOf,
  commentPayload,
  keyRecord,
  ownerWithKey,
  pause,
  startFaultRig,
  type FaultRig,
  type OwnedKey,
} from '../helpers/fault-rig.js';
import { deliver, until } from '../helpers/pipeline.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

/**
 * The owners' mail server and webhook receiver are down (nothing listens on
 * their ports) when keys are found. The keys are revoked and alerted at
 * once; the notices are retried with backoff (NEEVSCAN_NOTIFY_BACKOFF_MS
 * shrunk to 200 ms) and delivered once each when the servers return: mail
 * first, webhooks later, and the webhook's further retries send no second
 * mail. The servers come back on the same ports, as they would after a restart.
 */

const OWNERS = 6;

let rig: FaultRig;
const extra: Array<{ close(): Promise<void> }> = [];
beforeAll(async () => {
  rig = await startFaultRig();
});
afterAll(async () => {
  for (const server of extra) await server.close().catch(() => {});
  await rig?.close();
});

describe('SMTP and owner webhooks down', () => {
  it('keys are revoked at once; each owner gets one mail and one webhook once the servers return', async () => {
    const serve = await rig.serve({}, { withApp: false });
    const keys: OwnedKey[] = [];
    for (let i = 0; i < OWNERS; i++) keys.push(await ownerWithKey(rig, serve.url, `down${i}`));

    // Both servers go away: connections to their ports are refused.
    const smtpPort = rig.smtp.port;
    const hooksPort = Number(new URL(rig.hooks.url).port);
    await rig.smtp.close();
    await rig.hooks.close();
    const downAt = Date.now();

    for (const [i, key] of keys.entries())
      expect((await deliver(serve.url, 'issue_comment', commentPayload(`here: ${key.key}`, 300 + i), `down-${i}`)).status).toBe(202);
    for (const key of keys)
      await until(
        async () => ((await keyRecord(serve.url, key.id)).status === 'revoked' ? true : undefined),
        'the key revoked while mail is down',
      );
    const revokedMs = Date.now() - downAt;

    const alerts = alertsOf(rig);
    const channel = async (key: OwnedKey, name: AlertNotification['channel']) =>
      (await alerts.getByKeyId(key.id))?.notifications.find((n) => n.channel === name && n.notice === 1);
    // The failures are seen and classed, and will be retried.
    for (const key of keys) {
      const email = await until(
        async () => ((await channel(key, 'email'))?.status === 'retrying' ? channel(key, 'email') : undefined),
        'email retrying',
      );
      expect(email).toMatchObject({ status: 'retrying', error: 'smtp_unreachable' });
      const webhook = await until(
        async () => ((await channel(key, 'webhook'))?.status === 'retrying' ? channel(key, 'webhook') : undefined),
        'webhook retrying',
      );
      expect(webhook).toMatchObject({ status: 'retrying', error: 'connect_refused' });
    }

    await pause(Math.max(0, 4000 - (Date.now() - downAt)));
    const smtp: SmtpSink = await startSmtpSink({ port: smtpPort });
    extra.push(smtp);
    const mailBackAt = Date.now();
    await until(
      async () => (keys.every((key) => smtp.messages.some((m) => m.to.includes(key.email))) ? true : undefined),
      'every mail',
      30_000,
    );
    const mailMs = Date.now() - mailBackAt;

    // The receiver stays down a while longer: the webhook keeps being retried, the mail is not sent again.
    await pause(2500);
    const hooks: WebhookReceiver = await startWebhookReceiver({ port: hooksPort });
    extra.push(hooks);
    const hooksBackAt = Date.now();
    await until(
      async () => (keys.every((key) => hooks.requests.some((r) => r.path === key.hookPath)) ? true : undefined),
      'every webhook',
      30_000,
    );
    const hooksMs = Date.now() - hooksBackAt;

    await pause(2000);
    let attempts = 0;
    for (const key of keys) {
      expect(
        smtp.messages.filter((m) => m.to.includes(key.email)),
        key.name,
      ).toHaveLength(1);
      expect(
        hooks.requests.filter((r) => r.path === key.hookPath),
        key.name,
      ).toHaveLength(1);
      const email = (await channel(key, 'email'))!;
      const webhook = (await channel(key, 'webhook'))!;
      expect(email.status).toBe('sent');
      expect(webhook.status).toBe('sent');
      // Tried while down, then delivered: more than one attempt each, and the webhook more than the mail.
      expect(email.attempts).toBeGreaterThan(1);
      expect(webhook.attempts).toBeGreaterThan(email.attempts);
      attempts += email.attempts + webhook.attempts;
    }
    console.log(
      `notify down: ${OWNERS} keys revoked ${revokedMs} ms after the deliveries with mail and webhooks down; ` +
        `mail back after ${mailBackAt - downAt} ms → all ${OWNERS} mails in ${mailMs} ms; webhooks back after ${hooksBackAt - downAt} ms → all ${OWNERS} in ${hooksMs} ms; ` +
        `${attempts} attempts in all, one mail and one webhook per owner`,
    );
  }, 90_000);
});
