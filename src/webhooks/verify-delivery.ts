import { verifyWebhookSignature } from '../github/webhook-signature.js';

/** A delivery whose signature matched one of the secrets, with its event name, delivery id and parsed JSON object. */
export interface VerifiedDelivery {
  event: string;
  delivery: string;
  payload: object;
}

/** Why a delivery is refused, as the receiver answers it. */
export interface Refusal {
  refused: { status: 400 | 401 | 503; code: string; message: string };
}

/** The headers GitHub signs and names a delivery with, as they arrived (absent, repeated or otherwise). */
export interface DeliveryHeaders {
  signature: unknown;
  event: unknown;
  delivery: unknown;
}

const DELIVERY_ID = /^[\w-]{1,100}$/;
const refuse = (status: Refusal['refused']['status'], code: string, message: string): Refusal => ({ refused: { status, code, message } });

/**
 * Verification, before anything of the body is read: `X-Hub-Signature-256`
 * over the raw bytes, against every secret of a rotation
 * (GITHUB_WEBHOOK_SECRET=new,old). @octokit/webhooks' own verify
 * (`verifyWithFallback`) takes the body as a string: decoding it first would
 * sign U+FFFD where invalid UTF-8 was sent and copy up to 25 MB before it is
 * trusted, and it stops at the first secret that matches (the time taken
 * would tell which one did); github/webhook-signature.ts does neither.
 * A forged or unsigned delivery is refused here and changes nothing.
 */
export function verifyDelivery(secrets: readonly string[], headers: DeliveryHeaders, raw: Buffer): VerifiedDelivery | Refusal {
  if (secrets.length === 0) return refuse(503, 'not_configured', 'webhooks are refused: GITHUB_WEBHOOK_SECRET is not set');
  const { signature, event, delivery } = headers;
  if (typeof signature !== 'string' || !signature.startsWith('sha256=')) return refuse(401, 'unsigned', 'X-Hub-Signature-256 is missing');
  if (!verifyWebhookSignature(secrets, raw, signature)) return refuse(401, 'bad_signature', 'X-Hub-Signature-256 does not match the body');
  if (typeof event !== 'string' || typeof delivery !== 'string' || !DELIVERY_ID.test(delivery)) {
    return refuse(400, 'bad_request', 'X-GitHub-Event and X-GitHub-Delivery are required');
  }
  let payload: unknown;
  try {
    payload = JSON.parse(raw.toString('utf8'));
  } catch {
    return refuse(400, 'bad_request', 'the body is not JSON');
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload))
    return refuse(400, 'bad_request', 'the body is not a JSON object');
  return { event, delivery, payload };
}
