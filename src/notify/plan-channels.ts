import { VERSION } from '../version.js';
import { DeliveryError } from './delivery-error.js';
import type { Channel } from './delivery-state.js';
import type { Mailer } from './mailer.js';
import type { Notice } from './notice.js';
import { renderOwnerEmail } from './render-email.js';
import { renderSecurityEmail, renderSlackMessage } from './render-security.js';
import type { PostResult, SafePostOptions } from './safe-webhook.js';
import { webhookHeaders } from './signature.js';
import { webhookDeliveryId, webhookEvent, webhookPayload } from './webhook-payload.js';

/**
 * Which channels a notice goes to and how each is sent. The owner's two
 * channels are always listed, so the alert shows why one was not used
 * (`skipped`: no address, or mail off); the security team's only on an
 * alert's first notice, when configured.
 */

export type PlannedChannel =
  { channel: Channel; send: () => Promise<void> } | { channel: Channel; skip: string } | { channel: Channel; fail: DeliveryError };

export interface ChannelContext {
  owner: { email: string | null; webhookUrl: string | null; webhookSecret: string | null };
  mailer: Mailer | null;
  post: (url: string, body: string, headers: Record<string, string>, options: SafePostOptions) => Promise<PostResult>;
  allowPrivateWebhooks: boolean;
  securityTeamEmail: string | undefined;
  securityTeamSlackWebhook: string | undefined;
  now: () => Date;
}

export function planChannels(notice: Notice, ctx: ChannelContext): PlannedChannel[] {
  const planned: PlannedChannel[] = [];
  const { owner, mailer } = ctx;
  const messageId = (channel: Channel) => `${notice.alertId}.${channel}.${notice.number}`;

  if (!owner.email) planned.push({ channel: 'email', skip: 'no_address' });
  else if (!mailer) planned.push({ channel: 'email', skip: 'mail_off' });
  else {
    const to = owner.email;
    planned.push({ channel: 'email', send: () => mailer.send({ ...renderOwnerEmail(notice), to, messageId: messageId('email') }) });
  }

  if (!owner.webhookUrl) planned.push({ channel: 'webhook', skip: 'no_address' });
  else if (!owner.webhookSecret) planned.push({ channel: 'webhook', fail: new DeliveryError('no_webhook_secret', true) });
  else {
    const url = owner.webhookUrl;
    const secret = owner.webhookSecret;
    planned.push({
      channel: 'webhook',
      send: async () => {
        const body = webhookPayload(notice);
        // Signed at each attempt: a retry hours later carries a fresh timestamp, and the same delivery id.
        const headers = webhookHeaders({
          secret,
          body,
          event: webhookEvent(notice),
          deliveryId: webhookDeliveryId(notice.alertId, notice.number),
          now: ctx.now(),
        });
        await ctx.post(url, body, headers, { allowPrivate: ctx.allowPrivateWebhooks, userAgent: `neevscan/${VERSION}` });
      },
    });
  }

  // A canary's every new caller is the security team's business too, not only the first.
  if (notice.followUp && !notice.canary) return planned;
  if (ctx.securityTeamEmail) {
    const to = ctx.securityTeamEmail;
    if (!mailer) planned.push({ channel: 'security-email', skip: 'mail_off' });
    else
      planned.push({
        channel: 'security-email',
        send: () => mailer.send({ ...renderSecurityEmail(notice), to, messageId: messageId('security-email') }),
      });
  }
  if (ctx.securityTeamSlackWebhook) {
    const url = ctx.securityTeamSlackWebhook;
    // The operator's own URL, not an owner's: it may point into the private network (a self-hosted chat).
    planned.push({
      channel: 'slack',
      send: async () =>
        void (await ctx.post(
          url,
          JSON.stringify(renderSlackMessage(notice)),
          {},
          { allowPrivate: true, userAgent: `neevscan/${VERSION}` },
        )),
    });
  }
  return planned;
}
