import { createHmac } from 'node:crypto';

/**
 * The owner-webhook signature (docs/notifications.md, "The webhook"): `sha256=` and the hex
 * HMAC-SHA256 of `<timestamp>.<body>` under the owner's webhookSecret. The
 * timestamp is inside the MAC so a receiver that refuses old timestamps
 * refuses replays too; docs/notifications.md shows the receiver's side
 * (docs/examples/verify-neevscan-webhook.mjs, which a test runs against this).
 */
export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`;
}

/** The headers of one signed delivery. A retry signs again with a fresh timestamp; the delivery id stays the same. */
export function webhookHeaders(input: {
  secret: string;
  body: string;
  event: string;
  deliveryId: string;
  now: Date;
}): Record<string, string> {
  const timestamp = Math.floor(input.now.getTime() / 1000);
  return {
    'x-neevscan-event': input.event,
    'x-neevscan-delivery': input.deliveryId,
    'x-neevscan-timestamp': String(timestamp),
    'x-neevscan-signature': signWebhook(input.secret, timestamp, input.body),
  };
}
