// Verifying a neevscan owner webhook (README, "Owner notifications").
// Node 18+, no dependencies. Run: NEEVSCAN_WEBHOOK_SECRET=whsec_… node verify-neevscan-webhook.mjs
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

/** Refuse deliveries signed more than this long ago (or ahead): a captured request cannot be replayed later. */
const TOLERANCE_SECONDS = 300;

/**
 * True when `rawBody` (the exact bytes received, before any JSON parsing) was
 * signed by neevscan with `secret` at `timestamp`, and `timestamp` is recent.
 */
export function verifyNeevscanSignature({ secret, rawBody, timestamp, signature, now = Date.now() }) {
  if (typeof timestamp !== 'string' || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(now / 1000 - Number(timestamp)) > TOLERANCE_SECONDS) return false;
  const expected = 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
  const a = Buffer.from(expected);
  const b = Buffer.from(String(signature ?? ''));
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A receiver: verify, drop repeats by X-Neevscan-Delivery, answer 2xx fast, act after. */
export function createReceiver(secret, onEvent) {
  const seen = new Set(); // use a database with a TTL in production
  return createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      const ok = verifyNeevscanSignature({
        secret,
        rawBody,
        timestamp: req.headers['x-neevscan-timestamp'],
        signature: req.headers['x-neevscan-signature'],
      });
      if (!ok) return void res.writeHead(401).end();
      const delivery = String(req.headers['x-neevscan-delivery']);
      if (seen.has(delivery)) return void res.writeHead(200).end(); // a retry of one already handled
      seen.add(delivery);
      res.writeHead(204).end();
      onEvent(req.headers['x-neevscan-event'], JSON.parse(rawBody.toString('utf8')));
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  createReceiver(process.env.NEEVSCAN_WEBHOOK_SECRET, (event, body) => {
    console.log(
      event,
      body.key.name,
      body.key.hint,
      body.action.kind,
      body.locations.map((l) => l.url),
    );
  }).listen(8080);
}
