import { createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE = /^sha256=[0-9a-f]{64}$/;

/**
 * Checks `X-Hub-Signature-256` (HMAC-SHA256 of the body, hex) against each
 * secret (several during a rotation), over the body's bytes as received.
 * Decoding the body to a string first (as @octokit/webhooks-methods' verify
 * needs) would turn each invalid UTF-8 sequence into U+FFFD and sign that
 * instead of what was sent; it would also copy a 25 MB body before it is trusted.
 */
export function verifyWebhookSignature(secrets: readonly string[], body: Buffer, signature: string): boolean {
  if (!SIGNATURE.test(signature)) return false;
  const given = Buffer.from(signature.slice('sha256='.length), 'hex');
  let valid = false;
  // Every secret is tried, so the time taken says nothing about which one matched.
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    const expected = createHmac('sha256', secret).update(body).digest();
    if (timingSafeEqual(expected, given)) valid = true;
  }
  return valid;
}
